"""The proposal an operator approves, and the hash that binds an approval to it.

An approval is for one exact proposal: the offer, who receives it, who is held out, the
validity dates and the copy. The hash is computed over exactly those, canonically; any change
to any of them after approval gives a different hash, and dispatch refuses.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from typing import Any

from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.campaigns.plan import CampaignPlan
from coupondesk.tools.errors import RefusedError
from coupondesk.tools.policy.verdict import Violation
from pydantic import BaseModel, Field


class CopyVariant(BaseModel):
    """One piece of coupon copy with where it came from and its guardrail verdict."""

    text: str
    source: str
    """"llm" (the model wrote some of it, then it was checked) or "template" (by construction)."""
    ok: bool
    violations: list[Violation] = Field(default_factory=list)
    redrafted: bool = False


class RecipientRow(BaseModel):
    """A household that will receive a code (or is held out), and why."""

    household_id: int
    p_redeem: float
    expected_cost: float
    reason: str


class AllocationSummary(BaseModel):
    """The figures of an allocation (campaigns.allocation.Allocation) a proposal carries,
    as the campaign graph keeps them in its JSON state (extra keys are ignored)."""

    recipients: list[RecipientRow] = Field(default_factory=list)
    holdout: list[int] = Field(default_factory=list)
    expected_cost: float = 0.0
    expected_redemptions: float = 0.0
    worst_case_liability: float = 0.0
    eligible: int = 0
    gain_curve: list[dict[str, float]] = Field(default_factory=list)


def valid_until(plan: CampaignPlan, valid_from: date) -> date:
    """The last day a code of this plan can be redeemed (valid_days counts the first day)."""
    return valid_from + timedelta(days=max(plan.offer.valid_days, 1) - 1)


def plan_error_violations(plan: CampaignPlan) -> list[Violation]:
    """The plan's own errors (an unreadable request) as violations, rule `plan.<rule>`."""
    return [Violation(rule=f"plan.{issue.rule}", message=issue.message) for issue in plan.errors]


class Proposal(BaseModel):
    """What the agent proposes; the review screen, the CLI and dispatch all read this."""

    campaign_id: int
    status: str = "proposed"
    plan: CampaignPlan
    audience_description: str = ""
    eligible_size: int = 0
    audience_size: int = 0
    holdout_size: int = 0
    expected_redemptions: float = 0.0
    expected_cost: float = 0.0
    budget: float | None = None
    worst_case_liability: float = 0.0
    valid_from: str = ""
    valid_to: str = ""
    copy_variants: list[CopyVariant] = Field(default_factory=list)
    selected_copy: int | None = None
    violations: list[Violation] = Field(default_factory=list)
    assumptions: list[str] = Field(default_factory=list)
    recipients: list[RecipientRow] = Field(default_factory=list)
    holdout: list[int] = Field(default_factory=list)
    gain_curve: list[dict[str, float]] = Field(default_factory=list)
    segment_summary: dict[str, Any] = Field(default_factory=dict)
    approvals_required: int = 1
    timings: dict[str, float] = Field(default_factory=dict)
    """Seconds per agent step, for the progress pane and bench/agent."""

    @classmethod
    def from_allocation(
        cls,
        *,
        campaign_id: int,
        plan: CampaignPlan,
        allocation: AllocationSummary,
        copies: list[CopyVariant],
        violations: list[Violation],
        valid_from: date,
        audience_description: str = "",
        segment_summary: dict[str, Any] | None = None,
        approvals_required: int = 1,
        pricing: str | None = None,
        timings: dict[str, float] | None = None,
    ) -> Proposal:
        """The proposal of a priced, allocated campaign; the first passing copy is selected and
        any violation (the campaign check's, the plan's errors) makes it blocking."""
        return cls(
            campaign_id=campaign_id,
            plan=plan,
            audience_description=audience_description,
            eligible_size=allocation.eligible,
            audience_size=len(allocation.recipients),
            holdout_size=len(allocation.holdout),
            expected_redemptions=allocation.expected_redemptions,
            expected_cost=allocation.expected_cost,
            budget=plan.budget,
            worst_case_liability=allocation.worst_case_liability,
            valid_from=valid_from.isoformat(),
            valid_to=valid_until(plan, valid_from).isoformat(),
            copy_variants=copies,
            selected_copy=next((i for i, v in enumerate(copies) if v.ok), None),
            violations=[*violations, *plan_error_violations(plan)],
            assumptions=[*plan.assumptions, *([pricing] if pricing else [])],
            recipients=allocation.recipients,
            holdout=allocation.holdout,
            gain_curve=allocation.gain_curve,
            segment_summary=segment_summary or {},
            approvals_required=approvals_required,
            timings=timings or {},
        )

    @classmethod
    def blocked(
        cls,
        *,
        campaign_id: int,
        plan: CampaignPlan,
        violations: list[Violation],
        valid_from: date,
        allocation: AllocationSummary | None = None,
        audience_description: str = "",
        segment_summary: dict[str, Any] | None = None,
        approvals_required: int = 1,
        timings: dict[str, float] | None = None,
    ) -> Proposal:
        """A proposal that cannot be approved as it stands (the plan has errors or open
        questions, or the policy refuses the offer): no recipients, holdout or copy, and the
        offer's violations plus the plan's errors say why."""
        figures = allocation or AllocationSummary()
        return cls(
            campaign_id=campaign_id,
            plan=plan,
            audience_description=audience_description,
            eligible_size=figures.eligible,
            expected_redemptions=figures.expected_redemptions,
            expected_cost=figures.expected_cost,
            budget=plan.budget,
            worst_case_liability=figures.worst_case_liability,
            valid_from=valid_from.isoformat(),
            valid_to=valid_until(plan, valid_from).isoformat(),
            violations=[*violations, *plan_error_violations(plan)],
            assumptions=list(plan.assumptions),
            segment_summary=segment_summary or {},
            approvals_required=approvals_required,
            timings=timings or {},
        )

    @property
    def offer(self) -> Offer:
        return self.plan.offer

    @property
    def blocking(self) -> bool:
        """True when a violation forbids dispatch (every violation does)."""
        return bool(self.violations) or self.selected_copy is None or not self.recipients

    def to_cli_json(self) -> dict[str, Any]:
        """The `coupondesk propose --json` document."""
        return {
            "campaign_id": self.campaign_id,
            "status": self.status,
            "plan": self.plan.to_json_dict(),
            "audience_description": self.audience_description,
            "eligible_size": self.eligible_size,
            "audience_size": self.audience_size,
            "holdout_size": self.holdout_size,
            "expected_redemptions": round(self.expected_redemptions, 2),
            "expected_cost": round(self.expected_cost, 2),
            "budget": self.budget,
            "worst_case_liability": round(self.worst_case_liability, 2),
            "valid_from": self.valid_from,
            "valid_to": self.valid_to,
            "copy": [
                {"text": v.text, "source": v.source, "ok": v.ok,
                 "violations": [x.model_dump(mode="json") for x in v.violations]}
                for v in self.copy_variants
            ],
            "selected_copy": self.selected_copy,
            "violations": [v.model_dump(mode="json") for v in self.violations],
            "assumptions": self.assumptions,
            "questions": self.plan.questions,
            "approvals_required": self.approvals_required,
            "recipients_sample": [
                {"household_id": r.household_id, "p_redeem": round(r.p_redeem, 4),
                 "reason": r.reason}
                for r in self.recipients[:10]
            ],
            "gain_curve": self.gain_curve,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


def proposal_hash(proposal: Proposal) -> str:
    """sha256 over what an approval covers, in canonical JSON (sorted keys and ids)."""
    selected = (
        proposal.copy_variants[proposal.selected_copy].text
        if proposal.selected_copy is not None
        else None
    )
    bound = {
        "campaign_id": proposal.campaign_id,
        "offer": proposal.plan.offer.model_dump(mode="json"),
        "recipients": sorted(r.household_id for r in proposal.recipients),
        "holdout": sorted(proposal.holdout),
        "valid_from": proposal.valid_from,
        "valid_to": proposal.valid_to,
        "copy": [v.text for v in proposal.copy_variants],
        "selected_copy": selected,
        "budget": proposal.budget,
    }
    canonical = json.dumps(bound, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def verified_proposal(
    proposal_json: dict[str, Any], stored_hash: str | None, *, refusal: str
) -> tuple[Proposal, str]:
    """The stored proposal and its recomputed hash; RefusedError(`refusal`) when the proposal
    no longer matches the hash stored with it (approve and dispatch both check this)."""
    proposal = Proposal.model_validate(proposal_json)
    digest = proposal_hash(proposal)
    if digest != stored_hash:
        raise RefusedError(refusal)
    return proposal, digest
