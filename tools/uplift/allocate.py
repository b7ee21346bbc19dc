"""Per household: one depth from the menu or no coupon, under the budget, with exploration.

1. Price every arm from the uplift model (economics.arm_economics).
2. Exploration: a share eps of the treated get a depth drawn uniformly from the menu, so each
   "give arm k" decision really gives k with probability 1 - eps + eps/K; the dual optimises
   these mixtures, so the budget holds with exploration included.
3. The dual chooses arms for the households outside the holdout, sized on the budget quantile.
4. The holdout (share h, a hash of campaign and household, as the flat allocator does) is the
   households the same price would have treated; they get no coupon.
Every household's assignment probability is stored: a holdout's is h; a treated household's is
(1 - h)((1 - eps) 1[arm = chosen] + eps / K), the IPS weight of the next learning run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from coupondesk.models.uplift.arms import CONTROL, Arm
from coupondesk.models.uplift.effects import ArmEffects
from coupondesk.tools.campaigns.allocation import in_holdout
from coupondesk.tools.uplift.dual import NONE
from coupondesk.tools.uplift.economics import ArmEconomics, Economics, arm_economics
from coupondesk.tools.uplift.hard_budget import (
    normal_quantile,
    overspend_probability,
    solve_within_quantile,
)


@dataclass(frozen=True)
class Assignment:
    """One household's arm and the figures behind it."""

    household_id: int
    arm: Arm
    """What the household gets (CONTROL for a holdout)."""
    chosen_arm: Arm
    """What the policy chose before exploration and holdout."""
    probability: float
    """P(this household was assigned `arm`), stored for IPS."""
    holdout: bool
    explored: bool
    uplift: float
    """P(buy in scope) the assigned arm adds (the chosen arm's for a holdout)."""
    expected_cost: float
    expected_incremental_margin: float
    value: float
    """Incremental margin minus expected discount and send cost."""


@dataclass
class DepthAllocation:
    """The cut with its totals, depth mix and the budget figures."""

    recipients: list[Assignment] = field(default_factory=list)
    holdout: list[Assignment] = field(default_factory=list)
    expected_cost: float = 0.0
    expected_incremental_margin: float = 0.0
    expected_incremental_buyers: float = 0.0
    expected_value: float = 0.0
    cost_quantile: float = 0.0
    budget_quantile: float = 0.95
    overspend_probability: float = 0.0
    price: float = 0.0
    gap: float = 0.0
    eligible: int = 0
    stopped_by: str = ""
    """budget, value (the next household is not worth its coupon), audience or max_size."""
    depth_mix: list[dict[str, float | str | int]] = field(default_factory=list)
    learned: bool = False
    source: str = ""

    @property
    def incremental_roi(self) -> float:
        """Net incremental value per dollar of expected cost."""
        return self.expected_value / self.expected_cost if self.expected_cost > 0 else 0.0


def _unit(campaign_id: int, household_id: int, salt: str) -> float:
    digest = hashlib.sha256(f"{salt}:{campaign_id}:{household_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _mix(matrix: np.ndarray, eps: float) -> np.ndarray:
    return (1 - eps) * matrix + eps * matrix.mean(axis=1, keepdims=True)


def allocate_depths(
    household_ids: Sequence[int],
    effects: ArmEffects,
    *,
    campaign_id: int,
    budget: float,
    economics: Economics,
    exploration_share: float = 0.10,
    holdout_share: float = 0.10,
    budget_quantile: float = 0.95,
    max_size: int | None = None,
    learning_value: float = 0.0,
) -> DepthAllocation:
    """Choose arms under the budget and draw exploration and holdout reproducibly.

    `learning_value` is added to every treated arm's objective when choosing (not to the
    figures reported): what one more randomised outcome is worth. While the depth response is
    only the stated prior, the prior is no evidence that a household is not worth its coupon,
    so a first campaign passes a large value and spends its budget to learn."""
    ids = np.asarray(household_ids)
    if len(ids) != effects.p_buy.shape[0]:
        raise ValueError("one row of effects per household")
    k = len(effects.arms)
    eps = exploration_share if k > 1 else 0.0
    econ = arm_economics(effects, economics)
    objective = _mix(econ.objective, eps) + learning_value
    cost = _mix(econ.cost, eps)
    mean_d = _mix(econ.discount, eps)
    second = _mix(econ.redeem * econ.discount_per_redemption**2, eps)
    variance = np.maximum(second - mean_d**2, 0.0)
    held = np.array([in_holdout(campaign_id, int(h), holdout_share) for h in ids], dtype=bool)
    open_rows = np.flatnonzero(~held)
    solved = solve_within_quantile(objective[open_rows], cost[open_rows], variance[open_rows],
                                   budget, budget_quantile)
    chosen = np.full(len(ids), NONE)
    chosen[open_rows] = solved.choice.arm
    # Holdouts: the households the same price would have treated.
    held_rows = np.flatnonzero(held)
    if len(held_rows):
        score = objective[held_rows] - solved.choice.price * cost[held_rows]
        best = score.argmax(axis=1)
        chosen[held_rows] = np.where(score[np.arange(len(held_rows)), best] > 0, best, NONE)
    stopped = "budget" if solved.choice.price > 0 or solved.effective_budget < budget else "value"
    treated_rows = [int(r) for r in open_rows if chosen[r] != NONE]
    if max_size is not None and len(treated_rows) > max_size:
        treated_rows.sort(key=lambda r: -objective[r, chosen[r]])
        for r in treated_rows[max_size:]:
            chosen[r] = NONE
        treated_rows = treated_rows[:max_size]
        stopped = "max_size"
    if len(treated_rows) == len(open_rows) and stopped == "value":
        stopped = "audience"
    result = DepthAllocation(eligible=len(ids), budget_quantile=budget_quantile,
                             price=solved.choice.price, gap=solved.choice.gap,
                             learned=effects.learned, source=effects.source, stopped_by=stopped)
    drawn: list[tuple[int, int]] = []
    for i in range(len(ids)):
        if chosen[i] == NONE:
            continue
        j = int(chosen[i])
        if held[i]:
            result.holdout.append(_assignment(ids[i], effects, econ, j, j, CONTROL,
                                              holdout_share, True, False, i))
            continue
        explored = eps > 0 and _unit(campaign_id, int(ids[i]), "explore") < eps
        given = j
        if explored:
            given = min(int(_unit(campaign_id, int(ids[i]), "depth") * k), k - 1)
        probability = (1 - holdout_share) * ((1 - eps) * (given == j) + eps / k)
        result.recipients.append(_assignment(ids[i], effects, econ, j, given,
                                             effects.arms[given], probability, False,
                                             explored, i))
        drawn.append((i, given))
    _fit_as_drawn(result, econ, drawn, budget, budget_quantile)
    _totals(result)
    return result


def _fit_as_drawn(result: DepthAllocation, econ: ArmEconomics, drawn: list[tuple[int, int]],
                  budget: float, quantile: float) -> None:
    """Exploration draws other depths than planned: if the campaign as drawn no longer fits the
    budget quantile, drop the recipients with the least value per cost until it does."""
    z = normal_quantile(quantile)
    cost = np.array([econ.cost[i, j] for i, j in drawn])
    var = np.array([econ.variance[i, j] for i, j in drawn])
    keep = np.ones(len(drawn), dtype=bool)
    order = sorted(range(len(drawn)), key=lambda r: result.recipients[r].value / cost[r])
    mean, total_var = float(cost.sum()), float(var.sum())
    for r in order:
        if mean + z * np.sqrt(total_var) <= budget:
            break
        keep[r] = False
        mean -= cost[r]
        total_var -= var[r]
    if not keep.all():
        result.recipients = [a for a, kept in zip(result.recipients, keep, strict=True) if kept]
        result.stopped_by = "budget"
    discount_mean = mean - econ.send_cost * int(keep.sum())
    result.cost_quantile = mean + z * float(np.sqrt(max(total_var, 0.0)))
    result.overspend_probability = overspend_probability(
        discount_mean, total_var, budget - econ.send_cost * int(keep.sum()))


def _assignment(household_id: object, effects: ArmEffects, econ: ArmEconomics, chosen: int,
                given: int, arm: Arm, probability: float, holdout: bool, explored: bool, i: int
                ) -> Assignment:
    return Assignment(
        household_id=int(household_id),  # type: ignore[call-overload]
        arm=arm,
        chosen_arm=effects.arms[chosen],
        probability=float(probability),
        holdout=holdout,
        explored=explored,
        uplift=float(effects.uplift[i, given]),
        expected_cost=0.0 if holdout else float(econ.cost[i, given]),
        expected_incremental_margin=0.0 if holdout else float(econ.value[i, given]),
        value=0.0 if holdout else float(econ.objective[i, given]),
    )


def _totals(result: DepthAllocation) -> None:
    mix: dict[Arm, dict[str, float | str | int]] = {}
    for a in result.recipients:
        result.expected_cost += a.expected_cost
        result.expected_incremental_margin += a.expected_incremental_margin
        result.expected_incremental_buyers += a.uplift
        result.expected_value += a.value
        row = mix.setdefault(a.arm, {"kind": a.arm.kind, "value": a.arm.value, "households": 0,
                                     "expected_cost": 0.0, "expected_incremental_buyers": 0.0})
        row["households"] = int(row["households"]) + 1
        row["expected_cost"] = float(row["expected_cost"]) + a.expected_cost
        row["expected_incremental_buyers"] = (float(row["expected_incremental_buyers"])
                                              + a.uplift)
    result.depth_mix = [
        {**row, "expected_cost": round(float(row["expected_cost"]), 2),
         "expected_incremental_buyers": round(float(row["expected_incremental_buyers"]), 2)}
        for _arm, row in sorted(mix.items(), key=lambda item: item[0].value)
    ]

