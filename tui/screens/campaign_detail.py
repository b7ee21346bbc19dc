"""One stored campaign: its record, approvals and audit trail beside its proposal.

Inherits the decisions from ReviewScreen, so a proposal paused in an earlier run is approved,
revised or rejected here exactly as in the chat. After any decision the record is re-read, so
the audit trail shows what just happened.
"""

from __future__ import annotations

from typing import Any

from coupondesk.tools.errors import NotFoundError
from coupondesk.tui.format import day, money_or_dash, status_badge
from coupondesk.tui.messages import (
    CampaignExported,
    CampaignLoaded,
    CampaignRejected,
    DispatchCompleted,
    ProposalReady,
)
from coupondesk.tui.screens.review import ReviewScreen
from coupondesk.tui.widgets.action_bar import ActionBar
from coupondesk.tui.widgets.chat_log import ChatLog
from coupondesk.tui.widgets.proposal_panel import ProposalPanel
from rich.table import Table
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Static

NO_PROPOSAL = (
    "This campaign has no proposal: the agent stopped before making one (see the audit "
    "trail). Make a new request in the chat (F1)."
)


def record_table(document: dict[str, Any]) -> Table:
    """The campaign row in words: who asked, when, status, approvals, codes issued."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    table.add_row("Status", status_badge(str(document.get("status", ""))))
    table.add_row("Request", str(document.get("request", "")))
    table.add_row("Operator", str(document.get("created_by", "")))
    table.add_row("Created", day(document.get("created_at")))
    table.add_row("Valid", f"{day(document.get('valid_from'))} → {day(document.get('valid_to'))}")
    table.add_row("Audience", f"{document.get('audience_size') or 0:,} households")
    table.add_row("Cost", f"{money_or_dash(document.get('expected_cost'))} expected of "
                          f"{money_or_dash(document.get('budget'))} budget")
    table.add_row("Approved by", ", ".join(document.get("approvers") or []) or "nobody yet")
    table.add_row("Codes issued", f"{document.get('issued', 0):,}")
    if document.get("rejected_reason"):
        table.add_row("Rejected", str(document["rejected_reason"]))
    return table


class CampaignDetailScreen(ReviewScreen):
    """A campaign opened from the list."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("ctrl+o", "results", "Results"),
        Binding("ctrl+e", "export", "Export codes"),
    ]

    def __init__(self, campaign_id: int) -> None:
        super().__init__()
        self.campaign_id = campaign_id

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            with Vertical(id="detail-pane"):
                yield Static(f"Campaign {self.campaign_id}", classes="screen-title")
                yield Static("loading…", id="record")
                yield Static("Audit trail", classes="section-title")
                yield DataTable(id="audit", cursor_type="row", zebra_stripes=True)
                yield ChatLog(id="chat")
            with Vertical(id="review-pane"):
                yield ProposalPanel(id="panel", empty_text=NO_PROPOSAL)
                yield ActionBar(id="actions")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        audit = self.query_one("#audit", DataTable)
        audit.add_columns("when", "who", "what", "detail")
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="load", name="load")
    def _load(self) -> None:
        document = self.desk.show(self.campaign_id)
        try:
            proposal = self.desk.proposal(self.campaign_id)
        except NotFoundError:
            proposal = None
        self.post_message(CampaignLoaded(document, proposal))

    @on(CampaignLoaded)
    def _loaded(self, message: CampaignLoaded) -> None:
        document = message.document
        self.query_one("#record", Static).update(record_table(document))
        audit = self.query_one("#audit", DataTable)
        audit.clear()
        for entry in document.get("audit", []):
            detail = ", ".join(f"{k}={v}" for k, v in (entry.get("detail") or {}).items()
                               if k != "proposal_hash")
            audit.add_row(day(entry.get("at"))[:16], entry.get("actor", ""),
                          entry.get("action", ""), detail[:80])
        self.show_proposal(message.proposal)
        if message.proposal is None:
            self.query_one(ActionBar).show_state(None)

    def action_results(self) -> None:
        """Open the readout of this campaign (treated vs holdout)."""
        from coupondesk.tui.screens.results import ResultsScreen

        self.app.push_screen(ResultsScreen(self.campaign_id))

    def action_export(self) -> None:
        """Write the campaign's codes for the delivery tool (CSV under $COUPONDESK_HOME/exports)."""
        self._export()

    @work(thread=True, exclusive=True, exit_on_error=False, group="export", name="export")
    def _export(self) -> None:
        self.post_message(CampaignExported(self.desk.export(self.campaign_id, fmt="csv")))

    @on(CampaignExported)
    def _exported(self, message: CampaignExported) -> None:
        result = message.result
        text = f"{result.rows:,} codes of campaign {result.campaign_id} written to {result.path}"
        self.chat.add_note(text, "summary")
        self.notify(text, title="Exported", timeout=10)

    @on(DispatchCompleted)
    @on(CampaignRejected)
    @on(ProposalReady)
    def _decided(self) -> None:
        """After a decision the stored record changed: read it again."""
        self._load()
