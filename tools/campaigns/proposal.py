"""The proposal an operator approves, and the hash that binds an approval to it.

An approval is for one exact proposal: the offer, who receives it, who is held out, the
validity dates and the copy. The hash is computed over exactly those, canonically; any change
to any of them after approval gives a different hash, and dispatch refuses.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.campaigns.plan import BudgetMode, CampaignPlan
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
    timings: dict[str, float] = Field(default_factory=dict)
    """Seconds per agent step, for the progress pane and bench/agent."""

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
    if proposal.budget_mode != "service":
        bound["budget_mode"] = proposal.budget_mode
    canonical = json.dumps(bound, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
