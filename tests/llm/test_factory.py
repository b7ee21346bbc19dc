"""make_llm/describe_llm: cheap, and a misconfiguration is one clear line."""

from __future__ import annotations

import sys

import pytest
from coupondesk.tools.errors import ConfigError
from coupondesk.tools.llm import describe_llm, make_llm
from coupondesk.tools.llm.local import LocalChatModel
from coupondesk.tools.llm.openai_compat import OpenAIChatModel

from coupondesk.settings import Settings


def test_local_is_the_default_and_loads_nothing() -> None:
    llm = make_llm(Settings(llm_backend="local", llm_local_engine="transformers").llm.options())
    assert isinstance(llm, LocalChatModel)
    info = llm.describe()
    assert (info.backend, info.engine, info.loaded, info.capable) == (
        "local",
        "transformers",
        False,
        False,
    )
    assert "SmolLM2-135M-Instruct" in info.model
    assert info.endpoint == "in-process (SmolLM2-135M-Instruct.Q4_1.gguf)"


def test_openai_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    settings = Settings(
        llm_backend="openai",
        llm_model="qwen2.5:7b",
        llm_base_url="http://127.0.0.1:11434/v1",
        llm_timeout=12,
        llm_max_retries=1,
    )
    llm = make_llm(settings.llm.options())
    assert isinstance(llm, OpenAIChatModel)
    assert (llm.model, llm.endpoint, llm.timeout, llm.max_retries) == (
        "qwen2.5:7b",
        "http://127.0.0.1:11434/v1",
        12,
        1,
    )
    assert llm._client.api_key == "sk-from-env"
    assert describe_llm(settings.llm.options()).as_dict()["endpoint"] == "http://127.0.0.1:11434/v1"


def test_openai_without_a_model_is_a_config_error() -> None:
    settings = Settings(llm_backend="openai")
    with pytest.raises(ConfigError, match="COUPONDESK_LLM_MODEL"):
        make_llm(settings.llm.options())
    info = describe_llm(settings.llm.options())  # shown in the settings view, not raised
    assert info.backend == "openai" and "COUPONDESK_LLM_MODEL" in (info.engine or "")


def test_importing_the_package_imports_no_heavy_dependency() -> None:
    import subprocess

    code = (
        "import sys, coupondesk.tools.llm, coupondesk.tools.copy.copywriter; "
        "heavy = ('torch', 'transformers', 'openai', 'textual'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
