"""What every screen that shows a proposal shares: the decisions, their workers, their failures.

HomeScreen (chat + proposal) and CampaignDetailScreen (a stored campaign) both inherit this,
so Approve / Revise / Reject behave identically wherever the operator meets a proposal: the
same bindings (shown in the footer), buttons, palette commands, dialogs and workers. Workers
only call the desk and post messages; the handlers here own the widgets. Every worker failure
arrives in `on_worker_state_changed`, the one place errors become notifications.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from coupondesk.tools.errors import RefusedError
from coupondesk.tui.format import error_words
from coupondesk.tui.messages import (
    ActionFailed,
    AgentJob,
    AgentProgressed,
    ApprovalConfirmed,
    CampaignRejected,
    DispatchCompleted,
    Failure,
    ProposalFailed,
    ProposalReady,
    RejectionConfirmed,
    RevisionSubmitted,
)
from coupondesk.tui.screens.approve_dialog import ApproveDialog
from coupondesk.tui.screens.reject_dialog import RejectDialog
from coupondesk.tui.screens.revise_dialog import ReviseDialog
from coupondesk.tui.widgets.action_bar import ActionBar
from coupondesk.tui.widgets.chat_log import ChatLog
from coupondesk.tui.widgets.proposal_panel import ProposalPanel
from textual import on, work
from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from coupondesk.tools.campaigns.proposal import Proposal
    from coupondesk.tui.desk import Desk

DECISIONS = ("approve", "revise", "reject")
PROPOSAL_JOBS: tuple[AgentJob, ...] = ("propose", "revise", "ask")


class ReviewScreen(Screen[None]):
    """A screen with a ProposalPanel (#panel), an ActionBar (#actions) and a ChatLog (#chat)."""

    BINDINGS = [
        Binding("ctrl+y", "approve", "Approve"),
        Binding("ctrl+r", "revise", "Revise"),
        Binding("ctrl+n", "reject", "Reject"),
    ]

    def __init__(self, **kwargs: str) -> None:
        super().__init__(**kwargs)
        self.proposal: Proposal | None = None
        self._texts: dict[str, str] = {}
        """What the operator typed for each running job, by worker name: restored on failure."""
        self._revision_draft = ""
        self._rejection_draft = ""

    @property
    def desk(self) -> Desk:
        return self.app.desk  # type: ignore[attr-defined, no-any-return]

    @property
    def chat(self) -> ChatLog:
        return self.query_one("#chat", ChatLog)

    @property
    def agent_busy(self) -> bool:
        """True while a propose / revise / ask job runs (one at a time: the desk is serial)."""
        return any(w.is_running for w in self.workers if w.group == "agent")

    # ------------------------------------------------------------------ showing a proposal

    def show_proposal(self, proposal: Proposal | None) -> None:
        """Put a proposal on screen and enable exactly the decisions it allows."""
        self.proposal = proposal
        self.query_one("#panel", ProposalPanel).proposal = proposal
        self.query_one("#actions", ActionBar).show_state(proposal)
        self.refresh_bindings()

    def _decidable(self) -> bool:
        return self.proposal is not None and self.proposal.status in (
            "proposed", "blocked", "approved"
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Decisions are greyed out (not hidden) in the footer when nothing can be decided."""
        if action in DECISIONS:
            return True if self._decidable() else None
        return True

    def palette_commands(self) -> Iterator[SystemCommand]:
        """The decisions as command-palette entries (App.get_system_commands asks for these)."""
        if not self._decidable() or self.proposal is None:
            return
        number = self.proposal.campaign_id
        yield SystemCommand(f"Approve campaign {number}", "Confirm and dispatch the codes",
                            self.action_approve)
        yield SystemCommand(f"Revise campaign {number}", "Change the proposal in words",
                            self.action_revise)
        yield SystemCommand(f"Reject campaign {number}", "Reject with a reason",
                            self.action_reject)

    # ------------------------------------------------------------------ the three decisions

    def action_approve(self) -> None:
        proposal = self.proposal
        if proposal is None or not self._decidable():
            self.notify("There is no proposal waiting for a decision.", severity="warning")
            return
        if proposal.blocking:
            rules = ", ".join(proposal.blocking_rules)
            self.notify(f"Campaign {proposal.campaign_id} cannot be approved: {rules}. "
                        "Revise or reject it.", title="Blocked", severity="warning")
            return
        operator = self.desk.settings.operator

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.post_message(ApprovalConfirmed(proposal.campaign_id, operator))

        self.app.push_screen(ApproveDialog(proposal, operator), confirmed)

    def action_revise(self) -> None:
        proposal = self.proposal
        if proposal is None or not self._decidable():
            self.notify("There is no proposal to revise.", severity="warning")
            return
        if self.agent_busy:
            self.notify("The agent is still working; wait for it to finish.", severity="warning")
            return

        def chosen(change: str | None) -> None:
            if change:
                self.post_message(RevisionSubmitted(proposal.campaign_id, change))

        self.app.push_screen(ReviseDialog(proposal.campaign_id, self._revision_draft), chosen)

    def action_reject(self) -> None:
        proposal = self.proposal
        if proposal is None or not self._decidable():
            self.notify("There is no proposal to reject.", severity="warning")
            return

        def chosen(reason: str | None) -> None:
            if reason:
                self.post_message(RejectionConfirmed(proposal.campaign_id, reason))

        self.app.push_screen(RejectDialog(proposal.campaign_id, self._rejection_draft), chosen)

    # ------------------------------------------------------------------ workers

    @on(ApprovalConfirmed)
    def _start_approval(self, message: ApprovalConfirmed) -> None:
        codes = self.proposal.audience_size if self.proposal else 0
        self.query_one("#actions", ActionBar).busy(f"Dispatching {codes:,} codes…")
        self.chat.add_note(f"approved by {message.operator}; dispatching {codes:,} codes…")
        self._approve(message.campaign_id, message.operator)

    @work(thread=True, exclusive=True, exit_on_error=False, group="decision", name="approve")
    def _approve(self, campaign_id: int, operator: str) -> None:
        try:
            outcome = self.desk.approve(campaign_id, operator=operator)
        except RefusedError:
            # Dispatch's re-check may have blocked the campaign: show it as it now stands.
            self.post_message(ProposalReady(self.desk.proposal(campaign_id)))
            raise
        self.post_message(DispatchCompleted(outcome))

    @on(RejectionConfirmed)
    def _start_rejection(self, message: RejectionConfirmed) -> None:
        self._texts["reject"] = message.reason
        self.query_one("#actions", ActionBar).busy("Rejecting…")
        self._reject(message.campaign_id, message.reason)

    @work(thread=True, exclusive=True, exit_on_error=False, group="decision", name="reject")
    def _reject(self, campaign_id: int, reason: str) -> None:
        row = self.desk.reject(campaign_id, operator=self.desk.settings.operator, reason=reason)
        self.post_message(CampaignRejected(row))

    @on(RevisionSubmitted)
    def _start_revision(self, message: RevisionSubmitted) -> None:
        self._texts["revise"] = message.change
        self.chat.add_request(f"revise {message.campaign_id}: {message.change}")
        self._revise(message.campaign_id, message.change)

    @work(thread=True, exclusive=True, exit_on_error=False, group="agent", name="revise")
    def _revise(self, campaign_id: int, change: str) -> None:
        proposal = self.desk.revise(
            campaign_id, change, operator=self.desk.settings.operator, on_event=self._emit
        )
        self.post_message(ProposalReady(proposal, revised=True))

    def _emit(self, event: dict[str, str]) -> None:
        """on_event callback of the desk, called in the worker thread: forward as a message."""
        self.post_message(AgentProgressed(event.get("step", ""), event.get("message", "")))

    # ------------------------------------------------------------------ results

    @on(AgentProgressed)
    def _progressed(self, message: AgentProgressed) -> None:
        self.chat.add_step(message.step, message.message)

    @on(ProposalReady)
    def _proposal_ready(self, message: ProposalReady) -> None:
        proposal = message.proposal
        if message.revised:
            self._revision_draft = ""
        if proposal.blocking:
            rules = ", ".join(proposal.blocking_rules)
            self.chat.add_note(
                f"proposal {proposal.campaign_id} cannot be approved yet ({rules}); "
                "revise it (^r) or reject it (^n)", "blocked",
            )
        self.show_proposal(proposal)

    @on(DispatchCompleted)
    def _dispatched(self, message: DispatchCompleted) -> None:
        outcome = message.outcome
        self.query_one("#actions", ActionBar).busy(None)
        if self.proposal is not None and self.proposal.campaign_id == outcome.campaign_id:
            self.show_proposal(self.proposal.model_copy(update={"status": outcome.status}))
        if outcome.status == "dispatched":
            summary = (f"campaign {outcome.campaign_id} dispatched: {outcome.issued:,} codes "
                       f"issued (approved by {', '.join(outcome.approvers) or 'you'})")
            self.chat.add_note(summary, "summary")
            self.notify(summary, title="Dispatched")
        else:
            self.chat.add_note(outcome.message, "warning")
            self.notify(outcome.message, title="Approval recorded", severity="warning")

    @on(CampaignRejected)
    def _rejected(self, message: CampaignRejected) -> None:
        self._rejection_draft = ""
        self.query_one("#actions", ActionBar).busy(None)
        row = message.row
        if self.proposal is not None and self.proposal.campaign_id == row.id:
            self.show_proposal(self.proposal.model_copy(update={"status": row.status}))
        self.chat.add_note(f"campaign {row.id} rejected: {row.rejected_reason}", "warning")
        self.notify(f"Campaign {row.id} rejected; it will never issue a code.", title="Rejected")

    # ------------------------------------------------------------------ failures, one place

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Any failed worker: tell the operator in plain words and give their text back."""
        if event.state != WorkerState.ERROR or event.worker.error is None:
            return
        title, text = error_words(event.worker.error)
        job: AgentJob = event.worker.name  # type: ignore[assignment]
        campaign_id = self.proposal.campaign_id if self.proposal else None
        failure = Failure(job, text, title, self._texts.pop(job, ""), campaign_id)
        self.notify(text, title=title, severity="error", timeout=10)
        if job in PROPOSAL_JOBS:
            self.post_message(ProposalFailed(failure))
        else:
            self.post_message(ActionFailed(failure))

    @on(ActionFailed)
    def _action_failed(self, message: ActionFailed) -> None:
        failure = message.failure
        if failure.job == "reject":
            self._rejection_draft = failure.text
        self.query_one("#actions", ActionBar).busy(None)
        self.query_one("#actions", ActionBar).show_state(self.proposal)
        self.chat.add_error(failure.title, failure.message)

    @on(ProposalFailed)
    def _proposal_failed(self, message: ProposalFailed) -> None:
        failure = message.failure
        self.chat.add_error(failure.title, failure.message)
        if failure.job == "revise":
            self._revision_draft = failure.text
            self.chat.add_note("your change is kept: press ^r to edit it and try again")
        self.after_failure(failure)

    def after_failure(self, failure: Failure) -> None:
        """Hook for subclasses: runs after the failure is in the chat (HomeScreen restores)."""
