"""The coupondesk terminal app (minimal shell: setup progress, then a ready screen)."""

from __future__ import annotations

from textual import work
from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Log, ProgressBar

from tools.settings import Settings


class CampaignApp(App[None]):
    """Operator's terminal: first makes sure data and models are ready."""

    TITLE = "coupondesk"
    BINDINGS = [("q", "quit", "Quit")]

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    def compose(self) -> ComposeResult:
        yield Header()
        yield ProgressBar(id="setup-progress", show_eta=True)
        yield Log(id="log")
        yield Footer()

    def on_mount(self) -> None:
        self._setup()

    @work(thread=True, exclusive=True, exit_on_error=False, group="setup")
    def _setup(self) -> None:
        from tools.setup import run_setup

        log = self.query_one(Log)
        bar = self.query_one(ProgressBar)
        last: list[str] = [""]

        def progress(step: str, done: int, total: int) -> None:
            if step != last[0]:
                last[0] = step
                self.call_from_thread(log.write_line, step)
            self.call_from_thread(bar.update, total=max(total, 1), progress=done)

        report = run_setup(self.settings, progress)
        self.call_from_thread(log.write_line, f"ready: {report.seconds}")


def run_app(settings: Settings) -> None:
    """Entry point of the bare `coupondesk` command."""
    CampaignApp(settings).run()
