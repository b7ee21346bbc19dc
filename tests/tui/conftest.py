"""TUI test fixtures: a FakeDesk, an app factory, frozen cursor blink, and worker waiting."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from coupondesk.tui.app import CampaignApp, make_app
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Input

from coupondesk.settings import Settings
from tests.tui.fakes import FakeDesk, FakeStore


@pytest.fixture(autouse=True)
def frozen_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    """No blinking cursor: snapshots and pilots see the same frame every time."""
    monkeypatch.setattr(Input, "_toggle_cursor", lambda _self: None)


@pytest.fixture
def settings(isolated_home: Path) -> Settings:
    return Settings(operator="alice", llm_backend="fake", home=isolated_home)


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def desk(settings: Settings, store: FakeStore) -> FakeDesk:
    return FakeDesk(settings, store)


@pytest.fixture
def app_factory(settings: Settings) -> Callable[..., CampaignApp]:
    """make_app with setup switched off unless a test asks for it."""

    def build(desk: Any, **kwargs: Any) -> CampaignApp:
        kwargs.setdefault("needs_setup", lambda: False)
        return make_app(settings, desk, **kwargs)

    return build


async def settle(pilot: Pilot[Any]) -> None:
    """Wait for every worker, then for the messages they posted to be handled."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def type_and_send(pilot: Pilot[Any], text: str, *, keys: bool = False) -> None:
    """Put text into the focused input (key by key when `keys`) and press Enter.

    Pressing 70 keys one by one costs seconds per test; pasting the value is what an
    operator's paste does, and one test still types key by key.
    """
    focused = pilot.app.focused
    if keys or not isinstance(focused, Input):
        await pilot.press(*text)
    else:
        focused.insert_text_at_cursor(text)
    await pilot.press("enter")


def of_type(messages: list[Message], kind: type[Message]) -> list[Any]:
    """Messages of one kind, each once (the hook sees a bubbling message at every node)."""
    seen: dict[int, Any] = {}
    for message in messages:
        if isinstance(message, kind):
            seen.setdefault(id(message), message)
    return list(seen.values())
