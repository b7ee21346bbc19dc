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
from coupondesk.tools.campaigns.plan import BudgetMode, CampaignPlan
from coupondesk.tools.errors import RefusedError
from coupondesk.tools.policy.verdict import Violation
from pydantic import BaseModel, Field


class CopyVariant(BaseModel):
    """One piece of coupon copy with where it came from and its guardrail verdict."""

    text: str
    source: str
    """"llm" (the model wrote some of it, then it was checked), "fake" (the scripted test
    backend wrote it) or "template" (by construction)."""
    ok: bool
    violations: list[Violation] = Field(default_factory=list)
    redrafted: bool = False
    depth: float | None = None
    """The depth this copy states when depths are chosen per household (None: the offer's)."""


class RecipientRow(BaseModel):
    """A household that will receive a code (or is held out), and why."""

    household_id: int
    p_redeem: float
    expected_cost: float
    reason: str
    send_at: str | None = None
    """ISO day the code is sent and its validity starts (None: the campaign's valid_from)."""
    timing_coverage: float | None = None
    """Predicted P(the household's next in-scope purchase falls inside its validity)."""
    value: float | None = None
    """This household's depth when depths are chosen per household (None: the offer's)."""
    arm: str | None = None
    uplift: float | None = None
    """P(buy in scope) its coupon adds, from the depth-response model."""
    assignment_probability: float | None = None
    """P(this household was given this arm), stored for IPS learning."""


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
    depth_mix: list[dict[str, Any]] = Field(default_factory=list)
    expected_incremental_margin: float | None = None
    incremental_roi: float | None = None
    propensity_comparison: dict[str, Any] = Field(default_factory=dict)
    depth_assumptions: list[str] = Field(default_factory=list)
    learned: bool | None = None
    depth_response_source: str | None = None


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
    budget_mode: BudgetMode = "service"
    """Where the budget is enforced: "service" (refused at redemption; the cut is sized on
    expected cost with a margin) or "export_only" (the worst-case rule sizes the cut)."""
    refusal_risk: float | None = None
    """P(redeemed discount > budget) of the cut, from the per-household probabilities."""
    stopped_by: str = ""
    """What ended the cut: budget, max_size, liability, audience (or value, with uplift)."""
    stopped_by_text: str = ""
    """The same in words, with what would lift it when it is not the budget."""
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
    send_timing: str = "at_once"
    """"per_household" (send dates from the timing model) or "at_once" (all on valid_from)."""
    send_schedule: list[dict[str, Any]] = Field(default_factory=list)
    """Codes to send per day: [{"date": ISO day, "households": n}], in date order."""
    timings: dict[str, float] = Field(default_factory=dict)
    """Seconds per agent step, for the progress pane and bench/agent."""
    depth_mix: list[dict[str, Any]] = Field(default_factory=list)
    """Households, expected cost and incremental buyers per depth (per-household depths)."""
    expected_incremental_margin: float | None = None
    incremental_roi: float | None = None
    propensity_comparison: dict[str, Any] = Field(default_factory=dict)
    """The same figures for today's propensity ranking at the offer's depth and budget."""
    depth_response: dict[str, Any] | None = None
    """Per-household depths only: {"learned": bool, "source": what priced the depths}."""

    def copy_for(self, value: float | None) -> list[int]:
        """Indices of the passing copy variants that state this depth (any, with one depth)."""
        return [i for i, v in enumerate(self.copy_variants)
                if v.ok and (v.depth is None or value is None or v.depth == value)]

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
        send_timing: str = "at_once",
        notes: list[str] | None = None,
        budget_mode: BudgetMode = "service",
        refusal_risk: float | None = None,
        stopped_by: str = "",
        stopped_by_text: str = "",
    ) -> Proposal:
        """The proposal of a priced, allocated campaign; the first passing copy is selected and
        any violation (the campaign check's, the plan's errors) makes it blocking.

        With per-household send timing each recipient's validity starts on its `send_at`, so
        the campaign runs until the last code's validity ends."""
        from coupondesk.tools.campaigns.send_schedule import schedule_histogram

        sends = [date.fromisoformat(r.send_at) if r.send_at else valid_from
                 for r in allocation.recipients]
        last_send = max(sends, default=valid_from)
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
            valid_to=valid_until(plan, last_send).isoformat(),
            copy_variants=copies,
            selected_copy=next((i for i, v in enumerate(copies) if v.ok), None),
            violations=[*violations, *plan_error_violations(plan)],
            assumptions=[*plan.assumptions, *([pricing] if pricing else []), *(notes or []),
                         *allocation.depth_assumptions],
            depth_mix=allocation.depth_mix,
            expected_incremental_margin=allocation.expected_incremental_margin,
            incremental_roi=allocation.incremental_roi,
            propensity_comparison=allocation.propensity_comparison,
            depth_response=None if allocation.learned is None else {
                "learned": allocation.learned, "source": allocation.depth_response_source},
            budget_mode=budget_mode,
            refusal_risk=refusal_risk,
            stopped_by=stopped_by,
            stopped_by_text=stopped_by_text,
            send_timing=send_timing,
            send_schedule=schedule_histogram(sends),
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
        budget_mode: BudgetMode = "service",
        timings: dict[str, float] | None = None,
    ) -> Proposal:
        """A proposal that cannot be approved as it stands (the plan has errors or open
        questions, or the policy refuses the offer): no recipients, holdout or copy, and the
        offer's violations plus the plan's errors say why."""
        figures = allocation or AllocationSummary()
        return cls(
            budget_mode=budget_mode,
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
    def depths_without_copy(self) -> list[float]:
        """Depths given to some recipient that no passing copy variant states."""
        used = sorted({r.value for r in self.recipients if r.value is not None})
        return [v for v in used if not self.copy_for(v)]

    @property
    def blocking(self) -> bool:
        """True when a violation forbids dispatch (every violation does)."""
        return (bool(self.violations) or self.selected_copy is None or not self.recipients
                or bool(self.depths_without_copy))

    @property
    def blocking_rules(self) -> list[str]:
        """The rule ids that keep this proposal from approval, once each ("plan.questions" for
        open questions, "plan.no_recipients" / "plan.no_copy" when nothing could be issued)."""
        rules = [v.rule for v in self.violations]
        if self.plan.questions:
            rules.append("plan.questions")
        if not rules and not self.recipients:
            rules.append("plan.no_recipients")
        if not rules and (self.selected_copy is None or self.depths_without_copy):
            rules.append("plan.no_copy")
        return list(dict.fromkeys(rules))

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
            "budget_mode": self.budget_mode,
            "refusal_risk": (
                round(self.refusal_risk, 4) if self.refusal_risk is not None else None
            ),
            "stopped_by": self.stopped_by,
            "stopped_by_text": self.stopped_by_text,
            "worst_case_liability": round(self.worst_case_liability, 2),
            "valid_from": self.valid_from,
            "valid_to": self.valid_to,
            "copy": [
                {"text": v.text, "source": v.source, "ok": v.ok, "depth": v.depth,
                 "violations": [x.model_dump(mode="json") for x in v.violations]}
                for v in self.copy_variants
            ],
            "selected_copy": self.selected_copy,
            "violations": [v.model_dump(mode="json") for v in self.violations],
            "assumptions": self.assumptions,
            "questions": self.plan.questions,
            "approvals_required": self.approvals_required,
            "send_timing": self.send_timing,
            "send_schedule": self.send_schedule,
            "recipients_sample": [
                {"household_id": r.household_id, "p_redeem": round(r.p_redeem, 4),
                 "reason": r.reason, "send_at": r.send_at or self.valid_from,
                 "value": r.value if r.value is not None else self.plan.offer.value,
                 "uplift": round(r.uplift, 4) if r.uplift is not None else None}
                for r in self.recipients[:10]
            ],
            "depth_mix": self.depth_mix,
            "expected_incremental_margin": self.expected_incremental_margin,
            "incremental_roi": self.incremental_roi,
            "propensity_comparison": self.propensity_comparison,
            "depth_response": self.depth_response,
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
    offer = proposal.plan.offer.model_dump(mode="json")
    if offer.get("max_discount") is None:
        offer.pop("max_discount", None)  # hashes of proposals stored before caps stay valid
    bound = {
        "campaign_id": proposal.campaign_id,
        "offer": offer,
        "recipients": sorted(r.household_id for r in proposal.recipients),
        "holdout": sorted(proposal.holdout),
        "valid_from": proposal.valid_from,
        "valid_to": proposal.valid_to,
        "copy": [v.text for v in proposal.copy_variants],
        "selected_copy": selected,
        "budget": proposal.budget,
    }
    if any(r.send_at for r in proposal.recipients):
        # Per-household send dates are part of what is approved (stored proposals from before
        # send timing hash as they always did).
        bound["send_at"] = sorted([r.household_id, r.send_at or ""] for r in proposal.recipients)
    if any(r.value is not None for r in proposal.recipients):
        # Per-household depths (and the depth each copy states) are part of what is approved.
        bound["values"] = sorted([r.household_id, r.value] for r in proposal.recipients)
        bound["copy_depths"] = [v.depth for v in proposal.copy_variants]
    if proposal.budget_mode != "service":
        bound["budget_mode"] = proposal.budget_mode
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
