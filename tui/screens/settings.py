"""Settings view: which LLM is in use, which database (password masked), where files live."""

from __future__ import annotations

from rich.table import Table
from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual.worker import Worker, WorkerState

from coupondesk.settings import Settings


class LLMDescribed(Message):
    """describe_llm finished (it may import the backend, so it runs off the UI thread)."""

    def __init__(self, info: dict[str, object]) -> None:
        super().__init__()
        self.info = info


def settings_table(settings: Settings) -> Table:
    """Everything configurable that matters at the desk; secrets never shown."""
    table = Table(title="coupondesk settings", title_justify="left", title_style="bold",
                  show_header=False, box=None, padding=(0, 2), expand=True)
    table.add_column(style="bold", no_wrap=True, width=18)
    table.add_column(ratio=1, overflow="fold")
    key = "set (hidden)" if settings.llm.resolved_api_key else "not set"
    for name, value in (
        ("Operator", settings.operator),
        ("Database", settings.masked_database_url()),
        ("Home", str(settings.home)),
        ("Models", str(settings.models_dir)),
        ("Policy file", str(settings.guardrails.policy)),
        ("Planning date", str(settings.today or "last day in the data")),
        ("LLM backend", settings.llm.backend),
        ("LLM endpoint", settings.llm.base_url or "-"),
        ("LLM model", settings.llm.model or "-"),
        ("LLM API key", key),
        ("Copy variants", str(settings.copywriter.variants)),
    ):
        table.add_row(name, value)
    table.caption = "Set with COUPONDESK_* environment variables or $COUPONDESK_HOME/config.toml"
    table.caption_justify = "left"
    return table


def llm_table(info: dict[str, object]) -> Table:
    """What describe_llm reports about the model actually in use."""
    table = Table(title="Language model in use", title_justify="left", title_style="bold",
                  show_header=False, box=None, padding=(0, 2), expand=True)
    table.add_column(style="bold", no_wrap=True, width=18)
    table.add_column(ratio=1, overflow="fold")
    kind = "local model (in-process, no network)" if info.get("backend") == "local" else (
        "endpoint" if info.get("backend") == "openai" else str(info.get("backend")))
    table.add_row("Kind", kind)
    for name in ("backend", "model", "endpoint", "engine", "capable", "supports_tools", "loaded"):
        table.add_row(name, "-" if info.get(name) is None else str(info.get(name)))
    return table


class SettingsScreen(Screen[None]):
    """Read-only view of the settings the app was started with."""

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="settings"):
            yield Static(settings_table(self.app.desk.settings), id="settings-table")  # type: ignore[attr-defined]
            yield Static("describing the language model…", id="llm-table")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._describe()

    @work(thread=True, exclusive=True, exit_on_error=False, group="settings")
    def _describe(self) -> None:
        from coupondesk.tools.llm import describe_llm

        info = describe_llm(self.app.desk.settings.llm.options())  # type: ignore[attr-defined]
        self.post_message(LLMDescribed(info.as_dict()))

    @on(LLMDescribed)
    def _described(self, message: LLMDescribed) -> None:
        self.query_one("#llm-table", Static).update(llm_table(message.info))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            from coupondesk.tui.format import error_words

            title, text = error_words(event.worker.error)
            self.query_one("#llm-table", Static).update(f"ERROR {title}: {text}")
