"""Past-tense messages: workers post them, screen handlers react and own the widgets.

Naming follows harlequin (QuerySubmitted -> QueriesExecuted) and elia (AgentResponseFailed):
each message says what already happened, so a handler never has to guess whether an action is
still in flight. Workers run in threads; `post_message` is thread-safe, widget calls are not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from textual.message import Message

if TYPE_CHECKING:
    from coupondesk.tools.campaigns.proposal import Proposal
    from coupondesk.tools.campaigns.records import CampaignRow
    from coupondesk.tools.outcomes.export import ExportResult
    from coupondesk.tui.desk import Outcome

AgentJob = Literal["propose", "revise", "ask", "approve", "reject", "load", "export"]


class BriefSubmitted(Message):
    """The operator pressed Enter on a campaign request or a question."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class AgentProgressed(Message):
    """The agent finished one step ("1,204 households lapsed 30+ days")."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__()
        self.step = step
        self.message = message


class QuestionAnswered(Message):
    """A free question came back with an answer (desk.ask)."""

    def __init__(self, question: str, answer: dict[str, Any]) -> None:
        super().__init__()
        self.question = question
        self.answer = answer


class ProposalReady(Message):
    """A proposal (new, revised or loaded from the database) is ready to review."""

    def __init__(self, proposal: Proposal, *, revised: bool = False) -> None:
        super().__init__()
        self.proposal = proposal
        self.revised = revised


@dataclass
class Failure:
    """A failed job in plain words, and the operator's text to give back to them."""

    job: AgentJob
    message: str
    title: str = "Error"
    text: str = ""
    """What the operator typed (request, question or change); restored, never lost."""
    campaign_id: int | None = None


class ProposalFailed(Message):
    """A request, question or revision failed; the text goes back into the input."""

    def __init__(self, failure: Failure) -> None:
        super().__init__()
        self.failure = failure


class ActionFailed(Message):
    """Approve, reject or a load failed (the campaign is unchanged)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__()
        self.failure = failure


class ApprovalConfirmed(Message):
    """The operator confirmed the dialog that restated what will be dispatched."""

    def __init__(self, campaign_id: int, operator: str) -> None:
        super().__init__()
        self.campaign_id = campaign_id
        self.operator = operator


class DispatchCompleted(Message):
    """An approval was recorded; `outcome.status` says whether codes were issued."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__()
        self.outcome = outcome


class RevisionSubmitted(Message):
    """The operator asked for a change in words ("make it 10%")."""

    def __init__(self, campaign_id: int, change: str) -> None:
        super().__init__()
        self.campaign_id = campaign_id
        self.change = change


class RejectionConfirmed(Message):
    """The operator confirmed a rejection with a reason."""

    def __init__(self, campaign_id: int, reason: str) -> None:
        super().__init__()
        self.campaign_id = campaign_id
        self.reason = reason


class CampaignRejected(Message):
    """The campaign is rejected; it will never issue a code."""

    def __init__(self, row: CampaignRow) -> None:
        super().__init__()
        self.row = row


class CampaignsLoaded(Message):
    """The campaign list was read from the database."""

    def __init__(self, rows: list[CampaignRow]) -> None:
        super().__init__()
        self.rows = rows


class CampaignOpened(Message):
    """The operator chose a campaign in the list."""

    def __init__(self, campaign_id: int) -> None:
        super().__init__()
        self.campaign_id = campaign_id


class CampaignLoaded(Message):
    """One campaign's record (desk.show) and its proposal, if it has one."""

    def __init__(self, document: dict[str, Any], proposal: Proposal | None) -> None:
        super().__init__()
        self.document = document
        self.proposal = proposal


class CampaignExported(Message):
    """A campaign's codes were written to a file for the delivery tool."""

    def __init__(self, result: ExportResult) -> None:
        super().__init__()
        self.result = result


class SetupProgressed(Message):
    """run_setup reported progress on one step (migrations, a table, a model)."""

    def __init__(self, step: str, done: int, total: int) -> None:
        super().__init__()
        self.step = step
        self.done = done
        self.total = total


class SetupCompleted(Message):
    """Setup finished; the database and models are ready."""

    def __init__(self, summary: str) -> None:
        super().__init__()
        self.summary = summary


class SetupFailed(Message):
    """Setup stopped; the message says why in plain words."""

    def __init__(self, message: str, title: str = "Setup failed") -> None:
        super().__init__()
        self.message = message
        self.title = title
