"""The approval confirmation: restates exactly what dispatch will do before it does it."""

from __future__ import annotations

from coupondesk.agent.describe import describe_offer
from coupondesk.tools.campaigns.proposal import Proposal
from coupondesk.tui.format import money_or_dash, validity
from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


def restatement(proposal: Proposal, operator: str) -> Table:
    """Codes, offer, validity, budget and operator, one per row, nothing abbreviated."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    table.add_row("Codes", f"{proposal.audience_size:,} unique coupon codes, one per household")
    table.add_row("Offer", describe_offer(proposal.plan.offer))
    table.add_row("Valid", validity(proposal))
    table.add_row(
        "Budget",
        f"{money_or_dash(proposal.budget)} (expected cost {money_or_dash(proposal.expected_cost)},"
        f" worst case {money_or_dash(proposal.worst_case_liability)})",
    )
    if proposal.selected_copy is not None:
        table.add_row("Copy", proposal.copy_variants[proposal.selected_copy].text)
    table.add_row("Operator", operator)
    if proposal.approvals_required > 1:
        table.add_row(
            "Approvals", f"{proposal.approvals_required} different operators must approve; "
            "codes are issued after the last one",
        )
    return table


class ApproveDialog(ModalScreen[bool]):
    """Returns True when the operator confirms; Escape or Cancel returns False."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, proposal: Proposal, operator: str) -> None:
        super().__init__()
        self.proposal = proposal
        self.operator = operator

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog -approve"):
            yield Static(f"Approve campaign {self.proposal.campaign_id} and dispatch?",
                         classes="dialog-title")
            yield Static(restatement(self.proposal, self.operator), id="approve-facts")
            yield Static(
                "Dispatch writes the codes in one transaction; a changed proposal voids this "
                "approval.", classes="muted",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Approve and dispatch", id="confirm", variant="success")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#confirm", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")

    def action_cancel(self) -> None:
        self.dismiss(False)
