"""Settings come from COUPONDESK_* env and an optional TOML file, and say what is wrong."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from coupondesk.tools.errors import ConfigError

from coupondesk.settings import load_settings


def test_defaults_live_under_home(isolated_home: Path) -> None:
    settings = load_settings()
    assert settings.home == isolated_home
    assert settings.resolved_database_url == f"sqlite:///{isolated_home / 'coupondesk.db'}"
    assert settings.models_dir == isolated_home / "models"
    assert settings.operator


def test_env_and_toml(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolated_home.mkdir(parents=True)
    (isolated_home / "config.toml").write_text('operator = "from-file"\ntoday = "2018-01-02"\n')
    assert load_settings().operator == "from-file"
    assert load_settings().today == date(2018, 1, 2)
    monkeypatch.setenv("COUPONDESK_OPERATOR", "from-env")
    assert load_settings().operator == "from-env"


def test_password_is_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COUPONDESK_DATABASE_URL", "postgresql+psycopg://bob:s3cret@db:5432/shop")
    shown = load_settings().masked_database_url()
    assert "s3cret" not in shown and "bob:***@db" in shown


def test_api_key_falls_back_to_openai_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    assert load_settings().llm.resolved_api_key == "sk-env"
    monkeypatch.setenv("COUPONDESK_LLM_API_KEY", "sk-own")
    assert load_settings().llm.resolved_api_key == "sk-own"


def test_bad_value_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COUPONDESK_TODAY", "not-a-date")
    with pytest.raises(ConfigError, match="today"):
        load_settings()


def test_settings_nest_and_flat_names_keep_working(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COUPONDESK_DATABASE_URL", "sqlite:///flat.db")
    monkeypatch.setenv("COUPONDESK_LLM_TIMEOUT", "12")
    monkeypatch.setenv("COUPONDESK_COPY_VARIANTS", "2")
    settings = load_settings()
    assert settings.llm.backend == "fake"  # COUPONDESK_LLM_BACKEND, set by isolated_home
    assert settings.database.url == "sqlite:///flat.db"
    assert settings.llm.timeout == 12.0 and settings.copywriter.variants == 2
    monkeypatch.setenv("COUPONDESK_LLM__TIMEOUT", "30")  # the nested name wins over the flat
    monkeypatch.setenv("COUPONDESK_DATABASE__URL", "sqlite:///nested.db")
    settings = load_settings()
    assert settings.llm.timeout == 30.0 and settings.resolved_database_url == "sqlite:///nested.db"


def test_toml_tables_and_flat_keys(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COUPONDESK_LLM_BACKEND")
    isolated_home.mkdir(parents=True)
    config = isolated_home / "config.toml"
    config.write_text('llm_backend = "openai"\ntwo_operator_threshold = 900\n'
                      '[llm]\nmodel = "qwen2.5:7b"\n[models]\ndir = "/tmp/elsewhere"\n')
    settings = load_settings()
    assert (settings.llm.backend, settings.llm.model) == ("openai", "qwen2.5:7b")
    assert settings.guardrails.load_policy().budget.two_operator_threshold == 900
    assert settings.models_dir == Path("/tmp/elsewhere")
    assert load_settings(llm_backend="fake").llm.backend == "fake"  # a constructor argument wins


def test_bad_nested_value_names_the_group(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COUPONDESK_LLM_BACKEND", "telepathy")
    with pytest.raises(ConfigError, match="llm.backend"):
        load_settings()
