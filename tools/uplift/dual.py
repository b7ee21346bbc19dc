"""Choose at most one arm per household under a budget: the Lagrangian dual, and an exact oracle.

A multiple-choice knapsack: maximise sum of objective[i, k] over chosen (i, k) subject to
sum of cost[i, k] <= budget. For a price lambda >= 0 each household independently takes
argmax_k objective - lambda x cost, or nothing when that is not positive; the spend falls as
lambda rises, so lambda is bisected until it fits (Meituan 2406.05987). Leftover budget is then
filled greedily, best gain per extra dollar first. The dual value at any lambda bounds
the optimum from above, so every solution reports its own optimality gap. `solve_exact` is
scipy's MILP (HiGHS) on the same problem, the oracle for small cases.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

NONE = -1
"""Choice index meaning "no coupon"."""


@dataclass(frozen=True)
class Choice:
    """Arm index per household (NONE = no coupon) with its totals and an optimality bound."""

    arm: np.ndarray
    objective: float
    cost: float
    price: float
    """The budget's shadow price lambda (0 when the budget does not bind)."""
    upper_bound: float
    """No choice within the budget can have a larger objective (dual bound; exact for MILP)."""

    @property
    def gap(self) -> float:
        """Upper bound minus the objective achieved (>= 0)."""
        return max(self.upper_bound - self.objective, 0.0)


def _pick(objective: np.ndarray, cost: np.ndarray, price: float) -> np.ndarray:
    score = objective - price * cost
    best = score.argmax(axis=1)
    return np.where(score[np.arange(len(score)), best] > 0, best, NONE)


def _totals(objective: np.ndarray, cost: np.ndarray, arm: np.ndarray) -> tuple[float, float]:
    rows = np.flatnonzero(arm != NONE)
    return (float(objective[rows, arm[rows]].sum()), float(cost[rows, arm[rows]].sum()))


def dual_bound(objective: np.ndarray, cost: np.ndarray, budget: float, price: float) -> float:
    """L(lambda) = sum_i max(0, max_k objective - lambda cost) + lambda budget >= optimum."""
    score = (objective - price * cost).max(axis=1)
    return float(np.maximum(score, 0).sum() + price * budget)


def solve_dual(objective: np.ndarray, cost: np.ndarray, budget: float,
               iterations: int = 60) -> Choice:
    """Bisect lambda to the smallest price whose choices fit the budget, then fill greedily."""
    objective = np.asarray(objective, dtype=float)
    cost = np.asarray(cost, dtype=float)
    if objective.shape != cost.shape or objective.ndim != 2:
        raise ValueError("objective and cost must be (households, arms) matrices")
    if np.any(cost <= 0):
        raise ValueError("every arm must have a positive cost")
    if budget < 0:
        raise ValueError("budget must not be negative")
    arm = _pick(objective, cost, 0.0)
    _value, spend = _totals(objective, cost, arm)
    if spend <= budget:
        return Choice(arm, _value, spend, 0.0, dual_bound(objective, cost, budget, 0.0))
    lo, hi = 0.0, 1.0
    while _totals(objective, cost, _pick(objective, cost, hi))[1] > budget:
        lo, hi = hi, hi * 2.0
        if hi > 1e12:
            break
    for _ in range(iterations):
        mid = (lo + hi) / 2.0
        if _totals(objective, cost, _pick(objective, cost, mid))[1] > budget:
            lo = mid
        else:
            hi = mid
    arm = _pick(objective, cost, hi)
    arm = _fill(objective, cost, budget, arm)
    value, spend = _totals(objective, cost, arm)
    bound = min(dual_bound(objective, cost, budget, p) for p in (lo, hi))
    return Choice(arm, value, spend, hi, bound)


def _fill(objective: np.ndarray, cost: np.ndarray, budget: float, arm: np.ndarray,
          max_steps: int = 10_000) -> np.ndarray:
    """Spend what the price left: repeatedly take the change of one household's arm with the
    best gain per extra dollar that still fits (upgrades, or a coupon for one with none)."""
    arm = arm.copy()
    rows = np.arange(len(arm))
    _value, spend = _totals(objective, cost, arm)
    for _ in range(max_steps):
        has = arm != NONE
        current_value = np.where(has, objective[rows, np.maximum(arm, 0)], 0.0)
        current_cost = np.where(has, cost[rows, np.maximum(arm, 0)], 0.0)
        gain = objective - current_value[:, None]
        extra = cost - current_cost[:, None]
        ok = (gain > 0) & (extra <= budget - spend)
        if not ok.any():
            break
        ratio = np.where(ok, gain / np.maximum(extra, 1e-12), -np.inf)
        ratio = np.where(ok & (extra <= 0), np.inf, ratio)
        i, j = np.unravel_index(int(ratio.argmax()), ratio.shape)
        arm[i] = j
        spend += float(extra[i, j])
    return arm


def solve_exact(objective: np.ndarray, cost: np.ndarray, budget: float) -> Choice:
    """The optimum by mixed-integer programming (HiGHS); for tests and small cases only."""
    objective = np.asarray(objective, dtype=float)
    cost = np.asarray(cost, dtype=float)
    n, k = objective.shape
    one_per_household = np.kron(np.eye(n), np.ones(k))
    constraints = [
        LinearConstraint(one_per_household, 0, 1),
        LinearConstraint(cost.ravel()[None, :], 0, budget),
    ]
    result = milp(-objective.ravel(), constraints=constraints, integrality=np.ones(n * k),
                  bounds=Bounds(0, 1))
    if not result.success:
        raise RuntimeError(f"the exact solver failed: {result.message}")
    x = np.round(result.x).reshape(n, k)
    arm = np.where(x.sum(axis=1) > 0, x.argmax(axis=1), NONE)
    value, spend = _totals(objective, cost, arm)
    return Choice(arm, value, spend, float("nan"), value)
