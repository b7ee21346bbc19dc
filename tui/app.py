"""The coupondesk terminal app: screen routing, global bindings and the factory.

Screens do the work (tui/screens/); this module only wires them. `make_app` takes the desk
(coupondesk.agent.service.CampaignDesk in production, a FakeDesk in tests) and the setup
hooks, so tests inject fakes the way posting's `make_posting` and harlequin's tests do.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from coupondesk.tui.desk import Desk
from coupondesk.tui.screens.campaigns import CampaignsScreen
from coupondesk.tui.screens.home import HomeScreen
from coupondesk.tui.screens.policy import PolicyScreen
from coupondesk.tui.screens.settings import SettingsScreen
from coupondesk.tui.screens.setup import SetupRunner, SetupScreen
from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen

from coupondesk.settings import Settings

logger = logging.getLogger(__name__)

NAVIGATION = (
    ("chat", "Chat", "Requests, agent steps and the proposal under review"),
    ("campaigns", "Campaigns", "Every campaign; open one to decide or read its audit trail"),
    ("policy", "Policy", "The active discount policy and what each rule id means"),
    ("settings", "Settings", "LLM backend, database URL (password masked), paths"),
)


class DetachedExecutor(ThreadPoolExecutor):
    """The loop's default executor (where thread workers run) without a waiting shutdown.

    asyncio.run joins the default executor when the app closes, so quitting while a worker
    trains a model or loads the local LLM would freeze a blank terminal for minutes. The
    work those threads do is transactional, so run_app ends the process instead (see there).
    """

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        super().shutdown(wait=False, cancel_futures=True)


class SetupNeeded(Message):
    """The readiness check found missing tables or models: show the setup screen."""


class CampaignApp(App[None]):
    """Operator's terminal: chat, review, approve, and the records behind them."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "coupondesk"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    MODES = {"chat": HomeScreen, "campaigns": CampaignsScreen, "policy": PolicyScreen,
             "settings": SettingsScreen}
    BINDINGS = [
        Binding("f1", "switch_mode('chat')", "Chat"),
        Binding("f2", "switch_mode('campaigns')", "Campaigns"),
        Binding("f3", "switch_mode('policy')", "Policy", show=False),
        Binding("f4", "switch_mode('settings')", "Settings", show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(
        self, settings: Settings, desk: Desk, *, needs_setup: Callable[[], bool],
        setup_runner: SetupRunner,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.desk = desk
        self.needs_setup = needs_setup
        self.setup_runner = setup_runner
        self.sub_title = f"operator {settings.operator}"

    def on_load(self) -> None:
        asyncio.get_running_loop().set_default_executor(
            DetachedExecutor(max_workers=4, thread_name_prefix="coupondesk-worker")
        )

    def on_mount(self) -> None:
        self.switch_mode("chat")
        self._check_ready()

    @work(thread=True, exit_on_error=False, group="setup", name="check")
    def _check_ready(self) -> None:
        if self.needs_setup():
            self.post_message(SetupNeeded())
        else:
            self.warm_up_desk()

    def warm_up_desk(self) -> None:
        """Let the desk load its models in the background (a no-op for desks without it)."""
        warm_up = getattr(self.desk, "warm_up", None)
        if warm_up is not None:
            warm_up()

    @on(SetupNeeded)
    def _show_setup(self) -> None:
        self.push_screen(SetupScreen(self.settings, self.setup_runner))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No switching away while setup runs: the other screens need the database."""
        return not (action == "switch_mode" and isinstance(self.screen, SetupScreen))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Palette: the built-ins, the screens, and the current screen's decisions."""
        yield from super().get_system_commands(screen)
        if isinstance(screen, SetupScreen):
            return
        for mode, title, help_text in NAVIGATION:
            yield SystemCommand(f"Go to {title}", help_text, lambda m=mode: self.switch_mode(m))
        palette_commands = getattr(screen, "palette_commands", None)
        if palette_commands is not None:
            yield from palette_commands()


def default_needs_setup(settings: Settings, desk: Desk) -> Callable[[], bool]:
    """Setup is needed unless the database is migrated and both serving models exist."""

    def needs_setup() -> bool:
        from coupondesk.tools.data.setup import models_ready

        try:
            desk.ensure_ready()
            return not models_ready(settings.models_dir)
        except Exception as error:  # unreachable, not migrated, no models: setup says why
            logger.info("setup needed: %s", error)
            return True

    return needs_setup


def make_app(
    settings: Settings,
    desk: Desk | None = None,
    *,
    needs_setup: Callable[[], bool] | None = None,
    setup_runner: SetupRunner | None = None,
) -> CampaignApp:
    """Build the app; tests pass a FakeDesk and `needs_setup=lambda: False`."""
    if desk is None:
        from coupondesk.agent.service import CampaignDesk

        desk = CampaignDesk(settings)  # type: ignore[assignment]
    return CampaignApp(
        settings, desk, needs_setup=needs_setup or default_needs_setup(settings, desk),
        setup_runner=setup_runner or run_configured_setup,
    )


def run_configured_setup(settings: Settings, progress: Callable[[str, int, int], None]) -> Any:
    """`coupondesk setup` on the settings' database and models directory (the setup screen's
    default runner)."""
    from coupondesk.tools.data.setup import run_setup

    return run_setup(settings.resolved_database_url, settings.models_dir, progress,
                     train_households=settings.models.train_households)


def run_app(settings: Settings) -> None:
    """Entry point of the bare `coupondesk` command.

    Thread workers run in the loop's default executor, whose threads the interpreter joins
    at exit: quitting while setup trains a model or the local LLM loads would leave the
    terminal hanging for minutes. Everything those threads write is transactional (setup is
    idempotent, dispatch is one transaction), so when work is still running after the UI
    closed we end the process at once instead of waiting.
    """
    import os
    import sys
    import threading

    app = make_app(settings)
    try:
        app.run()
    finally:
        app.desk.close()
    if any(t.is_alive() and not t.daemon for t in threading.enumerate()
           if t is not threading.main_thread()):
        print("coupondesk: stopped unfinished background work "
              "(nothing is half-written; run it again)", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(app.return_code or 0)
