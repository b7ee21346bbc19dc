"""Campaigns: every campaign with its status; open one to see and decide on its proposal.

Proposals paused in an earlier run are listed as PROPOSED and can be approved from here
after a restart: the desk reads them from the database, not from this process's memory.
"""

from __future__ import annotations

from coupondesk.tui.format import error_words
from coupondesk.tui.messages import CampaignOpened, CampaignsLoaded
from coupondesk.tui.widgets.campaign_table import CampaignTable
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import Worker, WorkerState


class CampaignsScreen(Screen[None]):
    """The list of campaigns, newest first."""

    BINDINGS = [
        Binding("f5", "refresh", "Refresh"),
        Binding("enter", "open", "Open", show=True),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Campaigns · Enter opens one · PROPOSED ones wait for a decision",
                     id="campaigns-title", classes="screen-title")
        yield CampaignTable(id="campaigns")
        yield Static("", id="campaigns-empty", classes="muted")
        yield Footer(compact=True)

    def on_screen_resume(self) -> None:
        """Re-read on every visit: another operator (or the CLI) may have changed something."""
        self.action_refresh()

    def action_refresh(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="campaigns", name="load")
    def _load(self) -> None:
        self.post_message(CampaignsLoaded(self.app.desk.campaigns()))  # type: ignore[attr-defined]

    @on(CampaignsLoaded)
    def _loaded(self, message: CampaignsLoaded) -> None:
        table = self.query_one(CampaignTable)
        table.show_rows(message.rows)
        table.focus()
        empty = "" if message.rows else "No campaigns yet: make one in the chat (F1)."
        self.query_one("#campaigns-empty", Static).update(empty)
        self.query_one("#campaigns-empty").set_class(bool(empty), "-shown")

    def action_open(self) -> None:
        campaign_id = self.query_one(CampaignTable).selected_campaign
        if campaign_id is not None:
            self.post_message(CampaignOpened(campaign_id))

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.post_message(CampaignOpened(int(event.row_key.value)))

    @on(CampaignOpened)
    def _opened(self, message: CampaignOpened) -> None:
        from coupondesk.tui.screens.campaign_detail import CampaignDetailScreen

        self.app.push_screen(CampaignDetailScreen(message.campaign_id))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            title, text = error_words(event.worker.error)
            self.notify(text, title=title, severity="error", timeout=10)
            self.query_one("#campaigns-empty", Static).update(f"ERROR {title}: {text}")
            self.query_one("#campaigns-empty").add_class("-shown")
