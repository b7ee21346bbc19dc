"""Build the configured chat model: the one place that knows the backends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from coupondesk.tools.errors import ConfigError, CoupondeskError
from coupondesk.tools.llm.chat import ChatModel, LLMInfo


@dataclass(frozen=True)
class LLMOptions:
    """What selects and reaches a chat model (the entry point fills it from its settings)."""

    backend: Literal["local", "openai", "fake"] = "local"
    model: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    timeout: float = 60.0
    max_retries: int = 3
    local_engine: Literal["auto", "transformers", "llamacpp"] = "auto"


def make_llm(options: LLMOptions) -> ChatModel:
    """The chat model `options` selects. Cheap: nothing is loaded or contacted here."""
    if options.backend == "openai":
        from coupondesk.tools.llm.openai_compat import OpenAIChatModel

        if not options.model:
            raise ConfigError("the openai LLM backend needs a model name: set COUPONDESK_LLM_MODEL")
        return OpenAIChatModel(
            model=options.model,
            base_url=options.base_url,
            api_key=options.api_key,
            timeout=options.timeout,
            max_retries=options.max_retries,
        )
    if options.backend == "fake":
        from coupondesk.tools.llm.fake import FakeChatModel, echo_scope_hook

        return FakeChatModel(responder=echo_scope_hook)
    from coupondesk.tools.llm.local import LocalChatModel

    return LocalChatModel(engine=options.local_engine)


def describe_llm(options: LLMOptions) -> LLMInfo:
    """What the settings view shows; a misconfiguration is shown, not raised."""
    try:
        return make_llm(options).describe()
    except CoupondeskError as error:
        return LLMInfo(
            backend=options.backend,
            model=options.model or "(not set)",
            endpoint=options.base_url,
            engine=f"unavailable: {error.message}",
        )
