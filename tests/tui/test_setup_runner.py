"""The setup screen's default runner passes the settings' database and models directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from coupondesk.tui.app import make_app, run_configured_setup

from coupondesk.settings import Settings


def test_default_runner_calls_run_setup_with_the_settings_values(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[Any, ...]] = []
    monkeypatch.setattr("coupondesk.tools.data.setup.run_setup",
                        lambda *args, **kwargs: seen.append(args) or "report")
    settings = Settings(home=isolated_home, database_url="sqlite:///x.db", llm_backend="fake")

    def progress(_step: str, _done: int, _total: int) -> None:
        return None

    assert run_configured_setup(settings, progress) == "report"
    assert seen == [("sqlite:///x.db", isolated_home / "models", progress)]
    assert make_app(settings, desk=object(), needs_setup=lambda: False).setup_runner is (  # type: ignore[arg-type]
        run_configured_setup
    )
