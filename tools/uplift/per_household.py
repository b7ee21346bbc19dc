"""A campaign's per-household depths: the dual allocation over the allowed arms, priced with the
depth-response model, beside what the propensity ranking would do with the same budget.

The depth response is the stated prior (models/uplift/prior.py) until randomised outcomes have
been learned from; the figures then are the prior's, and the proposal says so. The household
features are the scorer's: P(buy in scope without a coupon) = 1 - exp(-r/s), r the expected
in-scope spend over the validity window and s the in-scope spend of one visit (a Poisson count
of visits), and r the expected spend without a coupon.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from coupondesk.models.uplift.effects import ArmEffects
from coupondesk.models.uplift.prior import THORNTON_SHAPE, DepthPrior
from coupondesk.models.uplift.response import DepthResponseLearner, prior_effects
from coupondesk.tools.campaigns.allocation import AllocationConfig, Candidate, allocate
from coupondesk.tools.campaigns.plan import CampaignPlan
from coupondesk.tools.policy.rules import Policy
from coupondesk.tools.uplift.allocate import allocate_depths
from coupondesk.tools.uplift.economics import Economics, arm_economics
from coupondesk.tools.uplift.household_features import baseline_buy, household_features
from coupondesk.tools.uplift.menu import depth_menu

PRIOR_LEARNING_VALUE = 100.0
"""What one randomised outcome is worth to a campaign whose depth response is only the prior:
large, so a first campaign spends its budget (on the cheapest depths, with exploration) to
learn, as bench/policy.py's product does; the reported figures never include it."""


@dataclass
class DepthPlan:
    """The per-household allocation in the JSON-plain shape the campaign graph keeps."""

    recipients: list[dict[str, Any]] = field(default_factory=list)
    holdout: list[int] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    assumptions: list[str] = field(default_factory=list)


def _propensity(candidates: list[Candidate], plan: CampaignPlan, effects: ArmEffects,
                economics: Economics, config: AllocationConfig, campaign_id: int,
                budget: float | None, max_size: int | None) -> dict[str, float]:
    """Today's ranking at the offer's depth and the same budget, priced by the same model."""
    chosen = allocate(candidates, plan.offer, campaign_id=campaign_id, budget=budget,
                      max_size=max_size, config=config, curve_points=1)
    arm = len(effects.arms) - 1  # the offer's value is the deepest arm of the menu
    econ = arm_economics(effects, economics)
    row = {c.household_id: i for i, c in enumerate(candidates)}
    rows = [row[r.household_id] for r in chosen.recipients]
    cost = float(econ.cost[rows, arm].sum())
    margin = float(econ.value[rows, arm].sum())
    net = float(econ.objective[rows, arm].sum())
    return {
        "kind": plan.offer.kind, "value": plan.offer.value, "households": len(rows),
        "expected_cost": round(cost, 2),
        "expected_incremental_buyers": round(float(effects.uplift[rows, arm].sum()), 2),
        "expected_incremental_margin": round(margin, 2),
        "incremental_roi": round(net / cost, 3) if cost > 0 else 0.0,
    }


def allocate_per_household(
    candidates: list[Candidate],
    plan: CampaignPlan,
    policy: Policy,
    config: AllocationConfig,
    *,
    campaign_id: int,
    max_size: int | None,
    prior: DepthPrior = THORNTON_SHAPE,
    learned: DepthResponseLearner | None = None,
) -> DepthPlan:
    """One arm of the menu (cut to the plan's range and the caps) or none per household."""
    offer, choice = plan.offer, plan.depth_choice
    menu = depth_menu(policy, offer.kind, departments=offer.departments,
                      categories=offer.categories, lo=choice.lo, hi=choice.hi,
                      min_spend=offer.min_spend, valid_days=offer.valid_days)
    p0, s0 = baseline_buy(candidates)
    if learned is not None and candidates:
        # Fitted on the product's randomised outcomes (tools/outcomes/uplift_training.py).
        effects = learned.predict(household_features(candidates), menu, baseline=p0)
    else:
        effects = prior_effects(prior, p0, s0, menu)
    economics = Economics(margin_rate=config.margin_rate, send_cost=config.send_cost,
                          max_discount=offer.max_discount)
    # Without a budget the cut is bounded by size alone (and the value of each coupon).
    budget = plan.budget if plan.budget is not None else float("inf")
    # The worst-case liability rule (export_only: nothing refuses a code at checkout) bounds
    # the number of codes exactly as the fixed-depth cut and the policy check count it.
    per_coupon = config.worst_case_per_coupon or 0.0
    size_cap = max_size
    if (config.budget_mode == "export_only" and config.liability_multiple is not None
            and plan.budget is not None and per_coupon > 0):
        by_liability = int(np.floor(config.liability_multiple * plan.budget / per_coupon
                                    + 1e-9))
        size_cap = by_liability if max_size is None else min(max_size, by_liability)
    result = allocate_depths(
        [c.household_id for c in candidates], effects, campaign_id=campaign_id,
        budget=budget if np.isfinite(budget) else 1e12, economics=economics,
        exploration_share=policy.uplift.exploration_share, holdout_share=config.holdout_share,
        budget_quantile=policy.uplift.budget_quantile, max_size=size_cap,
        learning_value=0.0 if effects.learned else PRIOR_LEARNING_VALUE,
    )
    by_id = {c.household_id: c for c in candidates}
    row = {c.household_id: i for i, c in enumerate(candidates)}
    redeem = effects.redeem_probability
    arms = list(effects.arms)
    recipients = []
    for a in result.recipients:
        c = by_id[a.household_id]
        j = arms.index(a.arm)
        depth = f"{a.arm.value:g}%" if a.arm.kind == "percent_off" else f"${a.arm.value:g}"
        why = "explored (depth drawn at random)" if a.explored else "chosen by the dual"
        i = row[a.household_id]
        model = "learned" if effects.learned else "prior"
        buys = (f"P(buy in scope) {effects.p_buy_control[i]:.0%} without, "
                f"{effects.p_buy[i, j]:.0%} with it ({model})")
        recipients.append({
            "household_id": a.household_id, "p_redeem": float(redeem[row[a.household_id], j]),
            "expected_discount": a.expected_cost - config.send_cost,
            "expected_cost": a.expected_cost, "expected_value": a.value,
            "reason": f"{c.reason}; {depth} off {why}: {buys}".lstrip("; "),
            "holdout": False, "send_offset_days": c.send_offset_days,
            "timing_coverage": c.timing_coverage, "value": a.arm.value, "arm": a.arm.name,
            "uplift": a.uplift, "assignment_probability": a.probability,
        })
    # The offer's value is the deepest arm, so its worst case per coupon bounds every arm's.
    stopped_by = ("liability" if result.stopped_by == "max_size" and size_cap != max_size
                  else result.stopped_by)
    figures: dict[str, Any] = {
        "expected_cost": result.expected_cost,
        "expected_redemptions": float(sum(r["p_redeem"] for r in recipients)),
        "expected_value": result.expected_value,
        "worst_case_liability": len(recipients) * per_coupon,
        "worst_case_per_coupon": per_coupon,
        "eligible": result.eligible,
        "stopped_by": stopped_by,
        "binding": "cost_quantile" if result.stopped_by == "budget" else "",
        "budget_mode": config.budget_mode,
        "refusal_risk": result.overspend_probability if plan.budget is not None else None,
        "lift": {},
        "max_size": max_size,
        "gain_curve": [],
        "depth_mix": result.depth_mix,
        "expected_incremental_margin": round(result.expected_incremental_margin, 2),
        "expected_incremental_buyers": round(result.expected_incremental_buyers, 2),
        "incremental_roi": round(result.incremental_roi, 3),
        "propensity_comparison": _propensity(candidates, plan, effects, economics, config,
                                             campaign_id, plan.budget, max_size),
        "learned": effects.learned,
        "depth_response_source": effects.source,
    }
    assumptions = [
        f"depth response: prior from {prior.source}, not learned"
        if not effects.learned else f"depth response: learned ({effects.source})",
        "household features: P(buy in scope without a coupon) = 1 - exp(-window spend / "
        "spend per visit) from the scorer's behaviour model; "
        + ("the learner corrects it and models P(redeem) from the campaigns' outcomes"
           if effects.learned else "P(redeem) = P(buy with the coupon) (every buyer with a "
           "coupon redeems, an upper bound on cost)"),
        f"depths: {policy.uplift.exploration_share:.0%} of the treated get a depth drawn at "
        f"random from the menu (probability stored per code); the cut is sized so P(redeemed "
        f"discount > budget) <= {1 - policy.uplift.budget_quantile:.0%}",
    ]
    if not effects.learned:
        assumptions.append(
            "first campaign on the prior: it spends its budget to learn the depth response "
            "(the prior is no evidence a household is not worth its coupon), so incremental "
            "figures are the prior's and may be negative")
    return DepthPlan(recipients=recipients, holdout=[a.household_id for a in result.holdout],
                     figures=figures, assumptions=assumptions)
