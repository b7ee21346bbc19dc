"""coupondesk's own campaign records: create, propose, decide, list, show, audit.

Every state change writes an audit row in the same transaction as the change itself, so the
audit log can never disagree with the campaign table.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from coupondesk.tools.campaigns.proposal import Proposal, proposal_hash, verified_proposal
from coupondesk.tools.db.schema import Approval, AuditEntry, Campaign, IssuedCoupon, is_row_id
from coupondesk.tools.errors import NotFoundError, RefusedError
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session


class CampaignRow(BaseModel):
    """A campaign as the CLI and TUI list it."""

    id: int
    request: str
    status: str
    created_by: str
    created_at: datetime | None
    updated_at: datetime | None
    budget: float | None
    expected_cost: float | None
    audience_size: int | None
    valid_from: date | None
    valid_to: date | None
    issued: int = 0
    approvers: list[str] = []
    rejected_reason: str | None = None


class AuditRow(BaseModel):
    """One audit log entry."""

    at: datetime | None
    actor: str
    action: str
    detail: dict[str, Any]


def audit(
    session: Session, *, actor: str, action: str, campaign_id: int | None, **detail: Any
) -> None:
    """Append one audit entry (in the caller's transaction)."""
    session.add(AuditEntry(actor=actor, action=action, campaign_id=campaign_id, detail=detail))


def create_campaign(session: Session, *, request: str, operator: str) -> int:
    """A new draft campaign; its id is the agent's thread id."""
    campaign = Campaign(request=request, status="draft", plan_json={}, created_by=operator)
    session.add(campaign)
    session.flush()
    audit(session, actor=operator, action="created", campaign_id=campaign.id, request=request)
    return campaign.id


def get_campaign(session: Session, campaign_id: int, *, for_update: bool = False) -> Campaign:
    """The campaign row (ORM, for this module's callers in tools/); NotFoundError if absent."""
    if not is_row_id(campaign_id):
        raise NotFoundError(f"campaign {campaign_id} does not exist")
    statement = select(Campaign).where(Campaign.id == campaign_id)
    if for_update:
        statement = statement.with_for_update()
    campaign = session.execute(statement).scalar_one_or_none()
    if campaign is None:
        raise NotFoundError(f"campaign {campaign_id} does not exist")
    return campaign


def save_proposal(session: Session, proposal: Proposal, *, actor: str) -> str:
    """Store the proposal (idempotent for an identical proposal); returns its hash."""
    campaign = get_campaign(session, proposal.campaign_id, for_update=True)
    if campaign.status in ("dispatched", "rejected"):
        raise RefusedError(f"campaign {campaign.id} is {campaign.status}; it cannot change")
    digest = proposal_hash(proposal)
    if campaign.proposal_hash == digest and campaign.status == "proposed":
        return digest
    campaign.status = "proposed"
    campaign.plan_json = proposal.plan.to_json_dict()
    campaign.proposal_json = proposal.model_dump(mode="json")
    campaign.proposal_hash = digest
    campaign.budget = proposal.budget
    campaign.expected_cost = proposal.expected_cost
    campaign.audience_size = proposal.audience_size
    campaign.valid_from = date.fromisoformat(proposal.valid_from) if proposal.valid_from else None
    campaign.valid_to = date.fromisoformat(proposal.valid_to) if proposal.valid_to else None
    audit(
        session,
        actor=actor,
        action="proposed",
        campaign_id=campaign.id,
        proposal_hash=digest,
        audience_size=proposal.audience_size,
        expected_cost=round(proposal.expected_cost, 2),
        violations=[v.rule for v in proposal.violations],
    )
    return digest


def load_proposal(session: Session, campaign_id: int) -> Proposal | None:
    """The stored proposal, or None while the campaign is still a draft."""
    campaign = get_campaign(session, campaign_id)
    if campaign.proposal_json is None:
        return None
    return Proposal.model_validate(campaign.proposal_json)


def record_approval(session: Session, campaign_id: int, *, operator: str) -> tuple[str, list[str]]:
    """Record `operator`'s approval of the current proposal; returns (hash, approvers so far).

    Refused when there is nothing to approve or the stored proposal no longer matches its hash.
    """
    campaign = get_campaign(session, campaign_id, for_update=True)
    if campaign.status != "proposed" or campaign.proposal_json is None:
        raise RefusedError(f"campaign {campaign_id} is {campaign.status}, not awaiting approval")
    proposal, digest = verified_proposal(
        campaign.proposal_json, campaign.proposal_hash,
        refusal=f"campaign {campaign_id}'s proposal changed after it was proposed; revise it again",
    )
    if proposal.blocking:
        rules = ", ".join(v.rule for v in proposal.violations) or "no recipients or no valid copy"
        raise RefusedError(f"campaign {campaign_id} cannot be approved: {rules}")
    exists = session.execute(
        select(Approval).where(
            Approval.campaign_id == campaign_id,
            Approval.operator == operator,
            Approval.proposal_hash == digest,
        )
    ).scalar_one_or_none()
    if exists is None:
        session.add(Approval(campaign_id=campaign_id, operator=operator, proposal_hash=digest))
        audit(
            session,
            actor=operator,
            action="approved",
            campaign_id=campaign_id,
            proposal_hash=digest,
        )
        session.flush()
    return digest, approvers(session, campaign_id, digest)


def approvers(session: Session, campaign_id: int, digest: str) -> list[str]:
    """Distinct operators who approved exactly this proposal."""
    rows = session.execute(
        select(Approval.operator)
        .where(Approval.campaign_id == campaign_id, Approval.proposal_hash == digest)
        .distinct()
        .order_by(Approval.operator)
    )
    return list(rows.scalars())


def reject(session: Session, campaign_id: int, *, operator: str, reason: str) -> None:
    """Mark the campaign rejected; it can never be dispatched afterwards."""
    campaign = get_campaign(session, campaign_id, for_update=True)
    if campaign.status == "dispatched":
        raise RefusedError(f"campaign {campaign_id} was already dispatched")
    if campaign.status == "rejected":
        return
    campaign.status = "rejected"
    campaign.rejected_reason = reason
    audit(session, actor=operator, action="rejected", campaign_id=campaign_id, reason=reason)


def _row(session: Session, campaign: Campaign) -> CampaignRow:
    issued = session.execute(
        select(func.count())
        .select_from(IssuedCoupon)
        .where(IssuedCoupon.campaign_id == campaign.id)
    ).scalar_one()
    names = approvers(session, campaign.id, campaign.proposal_hash or "")
    return CampaignRow(
        id=campaign.id,
        request=campaign.request,
        status=campaign.status,
        created_by=campaign.created_by,
        created_at=campaign.created_at,
        updated_at=campaign.updated_at,
        budget=campaign.budget,
        expected_cost=campaign.expected_cost,
        audience_size=campaign.audience_size,
        valid_from=campaign.valid_from,
        valid_to=campaign.valid_to,
        issued=int(issued),
        approvers=names,
        rejected_reason=campaign.rejected_reason,
    )


def list_campaigns(session: Session) -> list[CampaignRow]:
    """Every campaign, newest first."""
    campaigns = session.execute(select(Campaign).order_by(Campaign.id.desc())).scalars()
    return [_row(session, c) for c in campaigns]


def campaign_row(session: Session, campaign_id: int) -> CampaignRow:
    """One campaign's summary row."""
    return _row(session, get_campaign(session, campaign_id))


def audit_trail(session: Session, campaign_id: int) -> list[AuditRow]:
    """The campaign's audit entries, oldest first."""
    entries = session.execute(
        select(AuditEntry).where(AuditEntry.campaign_id == campaign_id).order_by(AuditEntry.id)
    ).scalars()
    return [AuditRow(at=e.at, actor=e.actor, action=e.action, detail=e.detail) for e in entries]
