"""LLM access: one chat interface (`ChatModel`) and its backends, built by `make_llm(options)`.

Backends: `openai` (any OpenAI-compatible endpoint), `local` (SmolLM2-135M in-process, the
default) and `fake` (scripted, for tests). Importing this package loads no model and imports
neither torch nor openai; the backends import their heavy dependencies when built.
"""

from __future__ import annotations

from coupondesk.tools.llm.chat import (
    ChatMessage,
    ChatModel,
    ChatResult,
    LLMInfo,
    ToolCall,
    ToolSpec,
    assistant,
    assistant_tool_calls,
    system,
    tool_result,
    user,
)
from coupondesk.tools.llm.factory import describe_llm, make_llm
from coupondesk.tools.llm.json_output import extract_json

__all__ = [
    "ChatMessage",
    "ChatModel",
    "ChatResult",
    "LLMInfo",
    "ToolCall",
    "ToolSpec",
    "assistant",
    "assistant_tool_calls",
    "describe_llm",
    "extract_json",
    "make_llm",
    "system",
    "tool_result",
    "user",
]
