"""Settings come from COUPONDESK_* env and an optional TOML file, and say what is wrong."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from coupondesk.tools.errors import ConfigError
from coupondesk.tools.settings import load_settings


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
    assert load_settings().resolved_llm_api_key == "sk-env"
    monkeypatch.setenv("COUPONDESK_LLM_API_KEY", "sk-own")
    assert load_settings().resolved_llm_api_key == "sk-own"


def test_bad_value_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COUPONDESK_TODAY", "not-a-date")
    with pytest.raises(ConfigError, match="today"):
        load_settings()
