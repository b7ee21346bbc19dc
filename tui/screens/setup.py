"""First run: migrate, load The Complete Journey, train the models, each step with a bar.

run_setup (the same function as `coupondesk setup`) runs in a thread worker and reports
progress(step, done, total); the callback only posts SetupProgressed, throttled so a fast
loop cannot flood the message queue. Each step gets a row with a progress bar and an ETA.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from coupondesk.tui.format import error_words
from coupondesk.tui.messages import SetupCompleted, SetupFailed, SetupProgressed
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, ProgressBar, Static
from textual.worker import Worker, WorkerState

from coupondesk.settings import Settings

SetupRunner = Callable[[Settings, Callable[[str, int, int], None]], Any]
THROTTLE_SECONDS = 0.1

INTRO = (
    "First run: coupondesk is preparing its database and models. This happens once.\n"
    "Migrating the schema and loading The Complete Journey (2,469 households, 1.47M "
    "transaction lines) takes a few minutes; training the acceptance and behaviour models "
    "takes longer on 2 cores. Each step shows its own progress and an estimate."
)


class StepRow(Horizontal):
    """One setup step: ✔/… mark, name, bar with ETA. Safe to update before it is mounted."""

    def __init__(self, step: str) -> None:
        super().__init__(classes="setup-step")
        self.step = step
        self._mark = Static("…", classes="step-mark")
        self._bar = ProgressBar(total=1, show_eta=True, classes="step-bar")

    def compose(self) -> ComposeResult:
        yield self._mark
        yield Static(self.step, classes="step-name", markup=False)
        yield self._bar

    def advance(self, done: int, total: int) -> None:
        self._bar.update(total=max(total, 1), progress=done)
        if done >= max(total, 1):
            self.finish()

    def finish(self) -> None:
        self.add_class("-done")
        self._bar.update(progress=self._bar.total or 1)
        self._mark.update("✔")


class SetupScreen(Screen[bool]):
    """Runs setup; dismisses with True when the desk is ready."""

    BINDINGS = [
        Binding("r", "retry", "Retry"),
        Binding("escape", "skip", "Continue without setup"),
    ]

    def __init__(self, settings: Settings, runner: SetupRunner) -> None:
        super().__init__()
        self.settings = settings
        self.runner = runner
        self._last_post = 0.0
        self._last_step = ""
        self._started = 0.0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Setting up coupondesk", classes="screen-title")
        yield Static(INTRO, id="setup-intro")
        yield VerticalScroll(id="setup-steps")
        yield Static("", id="setup-error")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._start()

    def _start(self) -> None:
        self._started = time.monotonic()
        self.query_one("#setup-error", Static).update("")
        self.remove_class("-failed")
        self._run()

    def _progress(self, step: str, done: int, total: int) -> None:
        """Called from the setup thread: post, at most every THROTTLE_SECONDS per step."""
        now = time.monotonic()
        if step == self._last_step and done < total and now - self._last_post < THROTTLE_SECONDS:
            return
        self._last_step, self._last_post = step, now
        self.post_message(SetupProgressed(step, done, total))

    @work(thread=True, exclusive=True, exit_on_error=False, group="setup", name="setup")
    def _run(self) -> None:
        report = self.runner(self.settings, self._progress)
        seconds = getattr(report, "seconds", {}) or {}
        took = ", ".join(f"{k} {v:.0f} s" for k, v in seconds.items())
        self.post_message(SetupCompleted(f"setup finished ({took})" if took else "ready"))

    @on(SetupProgressed)
    def _progressed(self, message: SetupProgressed) -> None:
        steps = self.query_one("#setup-steps", VerticalScroll)
        rows = [row for row in steps.query(StepRow) if row.step == message.step]
        if rows:
            row = rows[0]
        else:
            for previous in steps.query(StepRow):
                previous.finish()
            row = StepRow(message.step)
            steps.mount(row)
            steps.scroll_end(animate=False)
        row.advance(message.done, message.total)

    @on(SetupCompleted)
    def _completed(self, message: SetupCompleted) -> None:
        for row in self.query(StepRow):
            row.finish()
        self.notify(message.summary, title="Ready")
        warm_up = getattr(self.app, "warm_up_desk", None)
        if warm_up is not None:
            warm_up()
        self.dismiss(True)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            title, text = error_words(event.worker.error)
            self.post_message(SetupFailed(text, title))

    @on(SetupFailed)
    def _failed(self, message: SetupFailed) -> None:
        self.add_class("-failed")
        self.query_one("#setup-error", Static).update(
            f"SETUP FAILED ({message.title}): {message.message}\n"
            "Fix the cause, then press r to retry (setup resumes where it stopped), Esc to "
            "continue without it (campaigns, policy and approvals work; new proposals may "
            "not), or ctrl+q to quit."
        )
        self.refresh_bindings()
        self.notify(message.message, title=message.title, severity="error", timeout=15)

    def action_retry(self) -> None:
        if self.has_class("-failed"):
            self._start()
            self.refresh_bindings()

    def action_skip(self) -> None:
        if self.has_class("-failed"):
            self.notify("Setup is incomplete; run `coupondesk setup` to see the full error.",
                        title="Continuing without setup", severity="warning", timeout=10)
            self.dismiss(False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("retry", "skip"):
            return self.has_class("-failed")
        return True
