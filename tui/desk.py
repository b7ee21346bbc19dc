"""What the TUI needs from the desk, as a Protocol, and how the operator's text is routed.

The app talks to `coupondesk.agent.service.CampaignDesk` (the same object the CLI uses) and to
nothing else; tests hand it a FakeDesk with the same methods. Declaring the surface here keeps the
screens typed without importing the agent (and its LangGraph/torch dependencies) at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from coupondesk.tools.campaigns.proposal import Proposal
    from coupondesk.tools.campaigns.records import CampaignRow
    from coupondesk.tools.outcomes.export import ExportResult
    from coupondesk.tools.outcomes.readout import Readout
    from coupondesk.tools.policy.rules import Policy

    from coupondesk.settings import Settings

EventSink = Callable[[dict[str, str]], None]


class Outcome(Protocol):
    """What `approve` returns (coupondesk.agent.service.ApprovalOutcome)."""

    campaign_id: int
    status: str
    issued: int
    approvers: list[str]
    approvals_required: int
    message: str


class Desk(Protocol):
    """The operations of coupondesk.agent.service.CampaignDesk that the TUI calls."""

    settings: Settings

    @property
    def policy(self) -> Policy: ...

    def ensure_ready(self) -> None: ...

    def propose(
        self, request: str, *, operator: str | None = None, on_event: EventSink | None = None
    ) -> Proposal: ...

    def revise(
        self, campaign_id: int, change: str, *, operator: str | None = None,
        on_event: EventSink | None = None,
    ) -> Proposal: ...

    def approve(self, campaign_id: int, *, operator: str | None = None) -> Outcome: ...

    def reject(
        self, campaign_id: int, *, operator: str | None = None, reason: str
    ) -> CampaignRow: ...

    def campaigns(self) -> list[CampaignRow]: ...

    def show(self, campaign_id: int) -> dict[str, Any]: ...

    def proposal(self, campaign_id: int) -> Proposal: ...

    def ask(self, question: str) -> dict[str, Any]: ...

    def results(self, campaign_id: int) -> Readout: ...
    def export(self, campaign_id: int, *, fmt: str = "csv") -> ExportResult: ...

    def close(self) -> None: ...


def is_question(text: str) -> bool:
    """True when the operator asked something rather than requested a campaign.

    The same rule as the CLI (coupondesk.agent.questions.is_question: a request names a discount, a
    question reads like one); a leading "?" forces a question, a leading "!" a campaign request.
    """
    from coupondesk.agent.questions import is_question as reads_as_question

    stripped = text.strip()
    if stripped.startswith("!"):
        return False
    if stripped.startswith("?"):
        return True
    return reads_as_question(stripped)


def strip_route_prefix(text: str) -> str:
    """The text without the "?"/"!" routing prefix the operator may have typed."""
    stripped = text.strip()
    return stripped[1:].strip() if stripped[:1] in ("?", "!") else stripped
