"""First run: setup progress per step, then the chat; a failed setup says why and retries."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from coupondesk.tools.errors import NotReadyError
from coupondesk.tui.app import CampaignApp
from coupondesk.tui.messages import SetupCompleted, SetupFailed, SetupProgressed
from coupondesk.tui.screens.home import HomeScreen
from coupondesk.tui.screens.setup import SetupScreen, StepRow
from textual.message import Message
from textual.widgets import Static

from tests.tui.conftest import of_type, settle
from tests.tui.fakes import FakeDesk
from tests.tui.test_pilot import rendered

STEPS = ("migrating database", "loading transactions", "training acceptance model")


def scripted_setup(fail_first: bool = False) -> Callable[..., Any]:
    calls: list[int] = []

    def run(settings: Any, progress: Callable[[str, int, int], None]) -> Any:
        calls.append(1)
        if fail_first and len(calls) == 1:
            raise NotReadyError("database postgresql://op:***@db/coupons is unreachable: "
                                "connection refused")
        for step in STEPS:
            for done in range(4):
                progress(step, done, 3)
        return SimpleNamespace(seconds={"migrate": 0.4, "ingest": 61.0, "train": 300.0})

    return run


async def test_first_run_shows_each_step_then_the_chat(
    app_factory: Callable[..., CampaignApp], desk: FakeDesk
) -> None:
    messages: list[Message] = []
    app = app_factory(desk, needs_setup=lambda: True, setup_runner=scripted_setup())
    async with app.run_test(message_hook=messages.append) as pilot:
        await settle(pilot)
        finished = [m.step for m in of_type(messages, SetupProgressed) if m.done == m.total]
        assert finished == list(STEPS)
        assert "train 300 s" in of_type(messages, SetupCompleted)[0].summary
        assert isinstance(pilot.app.screen, HomeScreen)


async def test_failed_setup_says_why_and_retries(
    app_factory: Callable[..., CampaignApp], desk: FakeDesk
) -> None:
    messages: list[Message] = []
    app = app_factory(desk, needs_setup=lambda: True, setup_runner=scripted_setup(True))
    async with app.run_test(size=(100, 30), message_hook=messages.append) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, SetupScreen)
        assert of_type(messages, SetupFailed)
        error = rendered(screen.query_one("#setup-error", Static))
        assert "unreachable" in error and "press r to retry" in error
        await pilot.press("f2")  # no leaving setup for a screen that needs the database
        assert isinstance(pilot.app.screen, SetupScreen)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(pilot.app.screen, HomeScreen)


async def test_failed_setup_can_be_skipped(
    app_factory: Callable[..., CampaignApp], desk: FakeDesk
) -> None:
    def broken(settings: Any, progress: Any) -> Any:
        raise ImportError("cannot import name 'has_model' from 'coupondesk.models.registry'")

    app = app_factory(desk, needs_setup=lambda: True, setup_runner=broken)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert isinstance(pilot.app.screen, SetupScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, HomeScreen)


async def test_step_rows_show_progress(desk: FakeDesk, settings: Any) -> None:
    """A step row's bar tracks done/total and is marked ✔ when complete."""
    from textual.app import App, ComposeResult

    class Harness(App[None]):
        def compose(self) -> ComposeResult:
            yield StepRow("loading transactions")

    async with Harness().run_test() as pilot:
        row = pilot.app.query_one(StepRow)
        row.advance(1, 4)
        await pilot.pause()
        assert not row.has_class("-done")
        row.advance(4, 4)
        await pilot.pause()
        assert row.has_class("-done")
