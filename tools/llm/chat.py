"""The one chat interface every LLM call in coupondesk goes through, and the values it passes.

Backends differ a lot in strength (a 135M local model, a capable hosted endpoint, a scripted
fake), so the interface is deliberately small and says what a backend can do (`capable`,
`supports_tools`) instead of hiding it: callers pick the copy/plan strategy from those flags,
and they validate every output whatever the backend.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NotRequired, TypedDict

from coupondesk.tools.errors import LLMError

Role = Literal["system", "user", "assistant", "tool"]
JsonMode = Literal["json_schema", "json_object", "plain"]


class ChatMessage(TypedDict):
    """One message in OpenAI chat shape; tool fields only on assistant/tool turns."""

    role: Role
    content: str | None
    tool_calls: NotRequired[list[dict[str, Any]]]
    tool_call_id: NotRequired[str]
    name: NotRequired[str]


def system(content: str) -> ChatMessage:
    """A system message."""
    return {"role": "system", "content": content}


def user(content: str) -> ChatMessage:
    """A user message."""
    return {"role": "user", "content": content}


def assistant(content: str) -> ChatMessage:
    """An assistant message (used to replay a rejected draft when asking for a redraft)."""
    return {"role": "assistant", "content": content}


@dataclass(frozen=True)
class ToolCall:
    """A function call the model asked for; `arguments` is parsed JSON, `raw_arguments` as sent."""

    id: str
    name: str
    arguments: dict[str, Any]
    raw_arguments: str = ""

    def as_message_part(self) -> dict[str, Any]:
        """The OpenAI `tool_calls` entry, to replay this call in the next request."""
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.raw_arguments or "{}"},
        }


@dataclass(frozen=True)
class ToolSpec:
    """A tool offered to the model: the JSON schema of its arguments plus a description."""

    name: str
    description: str
    parameters: dict[str, Any]

    def as_openai(self) -> dict[str, Any]:
        """The `tools=[...]` entry of the chat completions API."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }

    @classmethod
    def from_function(
        cls, function: Callable[..., Any], *, skip: Sequence[str] = ("session", "settings")
    ) -> ToolSpec:
        """Describe a plain typed function: its docstring is the description (as in simonw/llm).

        Parameters named in `skip` are injected by the caller (a database session, settings)
        and never shown to the model.
        """
        from pydantic import create_model

        signature = inspect.signature(function, eval_str=True)
        fields: dict[str, Any] = {}
        for name, parameter in signature.parameters.items():
            if name in skip or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                continue
            annotation = (
                Any if parameter.annotation is inspect.Parameter.empty else parameter.annotation
            )
            default = ... if parameter.default is inspect.Parameter.empty else parameter.default
            fields[name] = (annotation, default)
        arguments_model = create_model(f"{function.__name__}_arguments", **fields)
        schema = arguments_model.model_json_schema()
        schema.pop("title", None)
        description = inspect.getdoc(function) or function.__name__
        return cls(name=function.__name__, description=description, parameters=schema)


@dataclass(frozen=True)
class ChatResult:
    """What one completion returned, with what is needed to measure and audit it."""

    text: str
    """The assistant's text ("" when it only called tools). Unvalidated: check before use."""
    backend: str
    model: str
    seconds: float
    """Wall time of the request (excluding a model load that was already done)."""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str | None = None
    json_mode: JsonMode | None = None
    """How a requested json_schema was enforced: by the endpoint, as a JSON object, or by prompt."""
    tool_calls: list[ToolCall] = field(default_factory=list)

    @property
    def tokens_per_second(self) -> float | None:
        """Generation speed, when the backend reports token counts."""
        if not self.completion_tokens or self.seconds <= 0:
            return None
        return self.completion_tokens / self.seconds


@dataclass(frozen=True)
class LLMInfo:
    """What the TUI settings view and `--json` reports show about the configured model."""

    backend: str
    model: str
    endpoint: str | None = None
    engine: str | None = None
    capable: bool = False
    supports_tools: bool = False
    loaded: bool | None = None
    """For in-process models: whether the weights are in memory yet (None = not applicable)."""

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for JSON output and table rows."""
        return {
            "backend": self.backend,
            "model": self.model,
            "endpoint": self.endpoint,
            "engine": self.engine,
            "capable": self.capable,
            "supports_tools": self.supports_tools,
            "loaded": self.loaded,
        }


class ChatModel(ABC):
    """A chat model. Thread-safe: the TUI calls it from workers while the agent runs."""

    backend: str = "abstract"
    source_label: Literal["llm", "fake"] = "llm"
    """How text this model wrote is labelled (`source`) wherever it is shown or stored: "fake"
    for the scripted test backend, so scripted words are never presented as a model's."""
    capable: bool = False
    """True for endpoints strong enough to write whole copy, extract plans and write Chinese.
    False for the tiny local model: it only writes short number-free hooks."""
    supports_tools: bool = False
    """True when `complete_with_tools` works (function calling at the endpoint)."""

    @abstractmethod
    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.7,
        stop: Sequence[str] | None = None,
        json_schema: dict[str, Any] | None = None,
    ) -> ChatResult:
        """One completion. `json_schema` asks for JSON of that shape where the backend can
        enforce it; the caller still validates. Raises LLMError when the backend fails."""

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.7,
        stop: Sequence[str] | None = None,
    ) -> Iterator[str]:
        """Text pieces as they are generated (for the TUI); default: the whole text at once."""
        yield self.complete(
            messages, max_tokens=max_tokens, temperature=temperature, stop=stop
        ).text

    def complete_with_tools(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSpec],
        *,
        max_tokens: int = 512,
        temperature: float = 0.0,
        tool_choice: Literal["auto", "required", "none"] = "auto",
    ) -> ChatResult:
        """One completion that may call tools (result.tool_calls); only where supports_tools."""
        raise LLMError(f"the {self.backend} LLM backend cannot call tools")

    def warm_up(self) -> None:
        """Start loading whatever is slow to load, without blocking; a no-op for remote models."""
        return None

    @abstractmethod
    def describe(self) -> LLMInfo:
        """Backend, model and endpoint, for display. Never loads anything."""


def assistant_tool_calls(result: ChatResult) -> ChatMessage:
    """The assistant turn that asked for `result.tool_calls`, to replay before the results."""
    return {
        "role": "assistant",
        "content": result.text or None,
        "tool_calls": [call.as_message_part() for call in result.tool_calls],
    }


def tool_result(call: ToolCall, content: str) -> ChatMessage:
    """The answer to one tool call (the tool's return value as text)."""
    return {"role": "tool", "content": content, "tool_call_id": call.id}
