"""Size the cut on a high quantile of the redeemed discount, not only on its mean.

Each recipient redeems or not (Bernoulli p_i) and then costs d_i, so the campaign's discount is a
sum of independent terms with mean sum p_i d_i and variance sum p_i (1 - p_i) d_i^2; its
q-quantile is taken from the normal approximation (the Poisson-binomial's when every d_i is
equal). The cut is the dual's choice at the largest effective budget whose q-quantile fits the
real budget, so P(redeemed discount > budget) <= 1 - q, which the proposal reports.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from coupondesk.tools.uplift.dual import NONE, Choice, solve_dual


def normal_quantile(quantile: float) -> float:
    """Standard normal quantile by bisection on erf (to 1e-10)."""
    lo, hi = -10.0, 10.0
    for _ in range(100):
        mid = (lo + hi) / 2.0
        if 0.5 * (1 + math.erf(mid / math.sqrt(2))) < quantile:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0


def overspend_probability(mean: float, variance: float, budget: float) -> float:
    """P(total > budget) under the normal approximation."""
    if variance <= 0:
        return float(mean > budget)
    return 0.5 * math.erfc((budget - mean) / math.sqrt(2 * variance))


@dataclass(frozen=True)
class HardBudgetChoice:
    """The dual's choice sized on the quantile, with the spend distribution's figures."""

    choice: Choice
    expected_cost: float
    cost_variance: float
    cost_quantile: float
    quantile: float
    overspend_probability: float
    effective_budget: float


def _moments(cost: np.ndarray, variance: np.ndarray, arm: np.ndarray) -> tuple[float, float]:
    rows = np.flatnonzero(arm != NONE)
    return float(cost[rows, arm[rows]].sum()), float(variance[rows, arm[rows]].sum())


def solve_within_quantile(objective: np.ndarray, cost: np.ndarray, variance: np.ndarray,
                          budget: float, quantile: float, iterations: int = 30
                          ) -> HardBudgetChoice:
    """The best dual choice whose q-quantile of cost is within the budget."""
    if not 0.5 <= quantile < 1:
        raise ValueError("quantile must be in [0.5, 1)")
    z = normal_quantile(quantile)

    def at(effective: float) -> tuple[Choice, float, float, float]:
        choice = solve_dual(objective, cost, effective)
        mean, var = _moments(cost, variance, choice.arm)
        return choice, mean, var, mean + z * math.sqrt(var)

    best = at(budget)
    effective = budget
    if best[3] > budget:
        lo, hi = 0.0, budget
        best = at(0.0)
        effective = 0.0
        for _ in range(iterations):
            mid = (lo + hi) / 2.0
            candidate = at(mid)
            if candidate[3] <= budget:
                lo, best, effective = mid, candidate, mid
            else:
                hi = mid
    choice, mean, var, q = best
    return HardBudgetChoice(choice, mean, var, q, quantile,
                            overspend_probability(mean, var, budget), effective)
