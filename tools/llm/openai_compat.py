"""Any OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, llama.cpp server, DeepSeek, Qwen).

Endpoints differ in what they accept, so this backend degrades instead of failing: structured
output is tried as `json_schema`, then `json_object`, then a plain prompt, and the level that
worked is remembered. Transient failures (connection, timeout, 429, 5xx) are retried with
exponential backoff here rather than inside the client, so the policy is visible and tested.
"""

from __future__ import annotations

import functools
import json
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal, TypeVar

import openai
from coupondesk.tools.errors import LLMError
from coupondesk.tools.llm.chat import (
    ChatMessage,
    ChatModel,
    ChatResult,
    JsonMode,
    LLMInfo,
    ToolCall,
    ToolSpec,
)

T = TypeVar("T")

_TRANSIENT = (
    openai.APIConnectionError,  # includes APITimeoutError
    openai.RateLimitError,
    openai.InternalServerError,
)
_REJECTED = (openai.BadRequestError, openai.UnprocessableEntityError)
_JSON_MODES: tuple[JsonMode, ...] = ("json_schema", "json_object", "plain")


class OpenAIChatModel(ChatModel):
    """A chat model behind an OpenAI-compatible HTTP API; capable, usually with tool calling."""

    backend = "openai"
    capable = True

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """`api_key` may be None for local servers that ignore it (Ollama, llama.cpp)."""
        self.model = model
        self.timeout = timeout
        self.max_retries = max(0, max_retries)
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._sleep = sleep
        self.supports_tools = True
        self._json_mode_floor = 0
        """Index in _JSON_MODES of the strongest structured-output mode the endpoint accepted."""
        self._lock = threading.Lock()
        self._client = openai.OpenAI(
            base_url=base_url,
            api_key=api_key or "not-needed",
            timeout=timeout,
            max_retries=0,  # retried below, with our backoff and our error messages
        )
        self.endpoint = str(self._client.base_url).rstrip("/")

    # -- public API --------------------------------------------------------------------------

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.7,
        stop: Sequence[str] | None = None,
        json_schema: dict[str, Any] | None = None,
    ) -> ChatResult:
        base: dict[str, Any] = {
            "model": self.model,
            "messages": list(messages),
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        if stop:
            base["stop"] = list(stop)
        started = time.perf_counter()
        if json_schema is None:
            return self._result(self._send(base), None, started)

        last_rejection: Exception | None = None
        for mode in _JSON_MODES[self._json_mode_floor :]:
            request = _with_json_mode(base, mode, json_schema)
            try:
                response = self._retrying(functools.partial(self._create, request))
            except _Rejected as rejected:
                last_rejection = rejected.error
                continue
            with self._lock:
                self._json_mode_floor = max(self._json_mode_floor, _JSON_MODES.index(mode))
            return self._result(response, mode, started)
        raise self._error(last_rejection or RuntimeError("request rejected"))

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.7,
        stop: Sequence[str] | None = None,
    ) -> Iterator[str]:
        request: dict[str, Any] = {
            "model": self.model,
            "messages": list(messages),
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": True,
        }
        if stop:
            request["stop"] = list(stop)
        chunks = self._send(request)
        try:
            for chunk in chunks:
                if not chunk.choices:
                    continue
                piece = chunk.choices[0].delta.content
                if piece:
                    yield piece
        except openai.OpenAIError as exc:
            raise self._error(exc) from exc

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
        request: dict[str, Any] = {
            "model": self.model,
            "messages": list(messages),
            "max_tokens": max_tokens,
            "temperature": temperature,
            "tools": [tool.as_openai() for tool in tools],
            "tool_choice": tool_choice,
        }
        started = time.perf_counter()
        try:
            response = self._retrying(lambda: self._create(request))
        except _Rejected as rejected:
            self.supports_tools = False
            raise LLMError(
                f"LLM endpoint {self.endpoint} does not accept tool calls: "
                f"{_one_line(rejected.error)}"
            ) from rejected.error
        return self._result(response, None, started)

    def describe(self) -> LLMInfo:
        return LLMInfo(
            backend=self.backend,
            model=self.model,
            endpoint=self.endpoint,
            capable=self.capable,
            supports_tools=self.supports_tools,
        )

    # -- plumbing ----------------------------------------------------------------------------

    def _create(self, request: dict[str, Any]) -> Any:
        return self._client.chat.completions.create(**request)

    def _send(self, request: dict[str, Any]) -> Any:
        """Send with retries; a rejected request is an error here (nothing to degrade)."""
        try:
            return self._retrying(lambda: self._create(request))
        except _Rejected as rejected:
            raise self._error(rejected.error) from rejected.error

    def _retrying(self, call: Callable[[], T]) -> T:
        """Run `call`, retrying transient errors with exponential backoff and jitter.

        A 400/422 becomes `_Rejected` (the caller may degrade the request); anything else
        becomes a one-line LLMError naming the endpoint.
        """
        attempts = self.max_retries + 1
        for attempt in range(attempts):
            try:
                return call()
            except _TRANSIENT as exc:
                if attempt + 1 >= attempts:
                    raise self._error(exc, attempts=attempts) from exc
                delay = min(self.backoff_max, self.backoff_base * 2**attempt)
                self._sleep(delay * (0.5 + random.random() / 2))
            except _REJECTED as exc:
                raise _Rejected(exc) from exc
            except openai.OpenAIError as exc:
                raise self._error(exc) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _error(self, exc: BaseException, *, attempts: int = 1) -> LLMError:
        """One line for the operator: which endpoint, what happened."""
        tries = f" (after {attempts} attempts)" if attempts > 1 else ""
        if isinstance(exc, openai.APITimeoutError):
            return LLMError(
                f"LLM endpoint {self.endpoint} unreachable: "
                f"timed out after {self.timeout:g} s{tries}"
            )
        if isinstance(exc, openai.APIConnectionError):
            cause = exc.__cause__ or exc
            return LLMError(f"LLM endpoint {self.endpoint} unreachable: {_one_line(cause)}{tries}")
        if isinstance(exc, openai.APIStatusError):
            return LLMError(
                f"LLM endpoint {self.endpoint} returned HTTP {exc.status_code}: "
                f"{_one_line(_status_detail(exc))}{tries}"
            )
        return LLMError(f"LLM endpoint {self.endpoint} failed: {_one_line(exc)}{tries}")

    def _result(self, response: Any, mode: JsonMode | None, started: float) -> ChatResult:
        if not getattr(response, "choices", None):
            raise LLMError(f"LLM endpoint {self.endpoint} returned no choices")
        choice = response.choices[0]
        message = choice.message
        usage = getattr(response, "usage", None)
        return ChatResult(
            text=message.content or "",
            backend=self.backend,
            model=getattr(response, "model", None) or self.model,
            seconds=time.perf_counter() - started,
            prompt_tokens=getattr(usage, "prompt_tokens", None),
            completion_tokens=getattr(usage, "completion_tokens", None),
            finish_reason=choice.finish_reason,
            json_mode=mode,
            tool_calls=[_tool_call(call) for call in (message.tool_calls or [])],
        )


class _Rejected(Exception):
    """The endpoint refused the request as malformed (400/422): maybe an unsupported option."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def _with_json_mode(base: dict[str, Any], mode: JsonMode, schema: dict[str, Any]) -> dict[str, Any]:
    """The request asking for JSON of `schema` in `mode`; weaker modes state the schema in text."""
    request = dict(base)
    if mode == "json_schema":
        name = re.sub(r"[^A-Za-z0-9_-]", "_", str(schema.get("title", "output")))[:64]
        request["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": name or "output", "schema": schema, "strict": False},
        }
        return request
    if mode == "json_object":
        request["response_format"] = {"type": "json_object"}
    instruction: ChatMessage = {
        "role": "system",
        "content": "Reply with one JSON object and nothing else. It must match this JSON schema:\n"
        + json.dumps(schema, ensure_ascii=False),
    }
    request["messages"] = [*base["messages"], instruction]
    return request


def _tool_call(call: Any) -> ToolCall:
    raw = call.function.arguments or "{}"
    try:
        arguments = json.loads(raw)
    except json.JSONDecodeError:
        arguments = {}
    if not isinstance(arguments, dict):
        arguments = {}
    return ToolCall(id=call.id, name=call.function.name, arguments=arguments, raw_arguments=raw)


def _status_detail(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if isinstance(error, str):
            return error
    return exc.message


def _one_line(value: object, limit: int = 200) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
