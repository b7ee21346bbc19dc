"""A scripted chat model for tests (simonw/llm's MockModel.enqueue pattern).

It answers from a queue, records every request it got, and can be told to be `capable` or
not, so tests drive both copy strategies without a network or a 40-second model load.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from coupondesk.tools.errors import LLMError
from coupondesk.tools.llm.chat import (
    ChatMessage,
    ChatModel,
    ChatResult,
    LLMInfo,
    ToolCall,
    ToolSpec,
)

ScriptedResponse = str | ChatResult | list[ToolCall] | BaseException
"""Text to answer with, a full result, tool calls to make, or an exception to raise."""


@dataclass
class FakeCall:
    """One request the fake received, kept for assertions on what was sent."""

    method: Literal["complete", "stream", "complete_with_tools"]
    messages: list[ChatMessage]
    max_tokens: int
    temperature: float
    stop: list[str] | None = None
    json_schema: dict[str, Any] | None = None
    tools: list[ToolSpec] = field(default_factory=list)

    @property
    def prompt(self) -> str:
        """The last user message: what the prompt template rendered."""
        for message in reversed(self.messages):
            if message["role"] == "user":
                return message["content"] or ""
        return ""

    @property
    def text(self) -> str:
        """Every message's content joined, for "was X sent anywhere" assertions."""
        return "\n".join(m["content"] or "" for m in self.messages)


class FakeChatModel(ChatModel):
    """Answers from a queue of scripted responses; `calls` records every request."""

    backend = "fake"
    source_label = "fake"

    def __init__(
        self,
        responses: Sequence[ScriptedResponse] = (),
        *,
        capable: bool = False,
        supports_tools: bool = True,
        default: str | None = None,
        responder: Callable[[list[ChatMessage]], str] | None = None,
        model: str = "fake-model",
    ) -> None:
        """`default` answers when the queue is empty (None: an empty queue is an LLMError);
        `responder` computes an answer from the messages instead of the queue."""
        self.capable = capable
        self.supports_tools = supports_tools
        self.default = default
        self.responder = responder
        self.model = model
        self.calls: list[FakeCall] = []
        self._queue: deque[ScriptedResponse] = deque(responses)
        self._lock = threading.Lock()

    def enqueue(self, *responses: ScriptedResponse) -> None:
        """Script the next answers, in order."""
        with self._lock:
            self._queue.extend(responses)

    @property
    def pending(self) -> int:
        """Scripted answers not used yet."""
        return len(self._queue)

    @property
    def prompts(self) -> list[str]:
        """The last user message of every request, in order."""
        return [call.prompt for call in self.calls]

    def _next(self, call: FakeCall) -> ChatResult:
        with self._lock:
            self.calls.append(call)
            if self.responder is not None:
                scripted: ScriptedResponse = self.responder(call.messages)
            elif self._queue:
                scripted = self._queue.popleft()
            elif self.default is not None:
                scripted = self.default
            else:
                raise LLMError("fake LLM: no scripted response left")
        if isinstance(scripted, BaseException):
            raise scripted
        if isinstance(scripted, ChatResult):
            return scripted
        if isinstance(scripted, list):
            return self._result("", tool_calls=scripted, finish_reason="tool_calls")
        text = scripted
        for marker in call.stop or ():
            if marker in text:
                text = text[: text.index(marker)]
        return self._result(text, finish_reason="stop")

    def _result(
        self, text: str, *, tool_calls: list[ToolCall] | None = None, finish_reason: str
    ) -> ChatResult:
        return ChatResult(
            text=text,
            backend=self.backend,
            model=self.model,
            seconds=0.0,
            prompt_tokens=None,
            completion_tokens=len(text.split()),
            finish_reason=finish_reason,
            tool_calls=tool_calls or [],
        )

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.7,
        stop: Sequence[str] | None = None,
        json_schema: dict[str, Any] | None = None,
    ) -> ChatResult:
        started = time.perf_counter()
        call = FakeCall(
            "complete",
            list(messages),
            max_tokens,
            temperature,
            stop=list(stop) if stop else None,
            json_schema=json_schema,
        )
        result = self._next(call)
        if json_schema is not None and result.json_mode is None:
            result = _with(result, json_mode="json_schema")
        return _with(result, seconds=time.perf_counter() - started)

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.7,
        stop: Sequence[str] | None = None,
    ) -> Iterator[str]:
        call = FakeCall(
            "stream", list(messages), max_tokens, temperature, stop=list(stop) if stop else None
        )
        text = self._next(call).text
        for index, word in enumerate(text.split(" ")):
            yield word if index == 0 else " " + word

    def complete_with_tools(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSpec],
        *,
        max_tokens: int = 512,
        temperature: float = 0.0,
        tool_choice: Literal["auto", "required", "none"] = "auto",
    ) -> ChatResult:
        if not self.supports_tools:
            return super().complete_with_tools(messages, tools)
        call = FakeCall(
            "complete_with_tools", list(messages), max_tokens, temperature, tools=list(tools)
        )
        return self._next(call)

    def describe(self) -> LLMInfo:
        return LLMInfo(
            backend=self.backend,
            model=self.model,
            capable=self.capable,
            supports_tools=self.supports_tools,
        )


def _with(result: ChatResult, **changes: Any) -> ChatResult:
    from dataclasses import replace

    return replace(result, **changes)


_ECHO_HOOKS = {
    "warm": "Good {scope}, picked for you.",
    "playful": "Say hello to {scope}!",
    "practical": "Stock your kitchen with {scope}.",
    "upbeat": "Bring home {scope} you love.",
    "cosy": "Settle in with {scope}.",
}


def echo_scope_hook(messages: list[ChatMessage]) -> str:
    """A deterministic stand-in for the local model: a hook per tone naming the quoted scope it
    was asked about, so settings-selected fake runs produce (valid, distinct) LLM copy."""
    import re

    prompt = next((m["content"] or "" for m in reversed(messages) if m["role"] == "user"), "")
    match = re.search(r'Write a (\w+) slogan for: "((?:[^"\\]|\\.)*)"', prompt)
    if match is None:
        return "Good things are waiting for you."
    tone, scope = match.groups()
    return _ECHO_HOOKS.get(tone, _ECHO_HOOKS["warm"]).format(scope=scope)
