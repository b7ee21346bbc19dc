"""Approve / Revise / Reject buttons, the approval state in words, and the dispatch progress.

The buttons mirror the screen's key bindings (shown in the footer) and palette commands; they
press the same actions, so there is one code path whichever the operator uses.
"""

from __future__ import annotations

from coupondesk.tools.campaigns.proposal import Proposal
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, ProgressBar, Static


class ActionBar(Horizontal):
    """The decision row under a proposal."""

    def compose(self) -> ComposeResult:
        yield Button("Approve ^y", id="approve", variant="success", action="screen.approve")
        yield Button("Revise ^r", id="revise", variant="primary", action="screen.revise")
        yield Button("Reject ^n", id="reject", variant="error", action="screen.reject")
        yield Static("", id="action-status")
        yield ProgressBar(id="dispatch-progress", show_eta=False, show_percentage=False)

    def on_mount(self) -> None:
        self.show_state(None)

    def on_resize(self) -> None:
        """Compact (one-line) buttons on a narrow terminal: every row counts at 80x24."""
        compact = self.app.size.width < 110
        for button in self.query(Button):
            button.compact = compact

    def show_state(self, proposal: Proposal | None) -> None:
        """Enable what the proposal allows and say why anything is disabled."""
        decidable = proposal is not None and proposal.status in ("proposed", "blocked", "approved")
        self.query_one("#approve", Button).disabled = not decidable or bool(
            proposal and proposal.blocking
        )
        self.query_one("#revise", Button).disabled = not decidable
        self.query_one("#reject", Button).disabled = not decidable
        self.query_one("#action-status", Static).update(self._words(proposal))

    @staticmethod
    def _words(proposal: Proposal | None) -> str:
        if proposal is None:
            return "no proposal"
        if proposal.status == "dispatched":
            return "DISPATCHED: codes issued"
        if proposal.status == "rejected":
            return "REJECTED"
        if proposal.blocking or proposal.status == "blocked":
            return f"BLOCKED ({', '.join(proposal.blocking_rules)}): revise or reject"
        return f"ready · {proposal.audience_size:,} codes"

    def busy(self, text: str | None) -> None:
        """Show an indeterminate progress bar with `text` while a decision runs; None hides it."""
        self.set_class(text is not None, "-busy")
        bar = self.query_one("#dispatch-progress", ProgressBar)
        bar.update(total=None)
        if text is not None:
            self.query_one("#action-status", Static).update(text)
            for button in self.query(Button):
                button.disabled = True
