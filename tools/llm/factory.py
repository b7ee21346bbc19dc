"""Build the configured chat model from Settings: the one place that knows the backends."""

from __future__ import annotations

from coupondesk.tools.errors import ConfigError, CoupondeskError
from coupondesk.tools.llm.chat import ChatModel, LLMInfo
from coupondesk.tools.settings import Settings


def make_llm(settings: Settings) -> ChatModel:
    """The chat model `settings` selects. Cheap: nothing is loaded or contacted here."""
    if settings.llm_backend == "openai":
        from coupondesk.tools.llm.openai_compat import OpenAIChatModel

        if not settings.llm_model:
            raise ConfigError("the openai LLM backend needs a model name: set COUPONDESK_LLM_MODEL")
        return OpenAIChatModel(
            model=settings.llm_model,
            base_url=settings.llm_base_url,
            api_key=settings.resolved_llm_api_key,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_max_retries,
        )
    if settings.llm_backend == "fake":
        from coupondesk.tools.llm.fake import FakeChatModel, echo_scope_hook

        return FakeChatModel(responder=echo_scope_hook)
    from coupondesk.tools.llm.local import LocalChatModel

    return LocalChatModel(engine=settings.llm_local_engine)


def describe_llm(settings: Settings) -> LLMInfo:
    """What the settings view shows; a misconfiguration is shown, not raised."""
    try:
        return make_llm(settings).describe()
    except CoupondeskError as error:
        return LLMInfo(
            backend=settings.llm_backend,
            model=settings.llm_model or "(not set)",
            endpoint=settings.llm_base_url,
            engine=f"unavailable: {error.message}",
        )
