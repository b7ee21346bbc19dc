"""The Lagrangian dual against the exact MILP optimum, and the quantile-sized hard budget."""

from __future__ import annotations

import numpy as np
import pytest
from coupondesk.tools.uplift.dual import NONE, solve_dual, solve_exact
from coupondesk.tools.uplift.hard_budget import normal_quantile, solve_within_quantile


def _case(seed: int, n: int, k: int = 3) -> tuple[np.ndarray, np.ndarray, float]:
    rng = np.random.default_rng(seed)
    cost = np.sort(rng.uniform(0.5, 5, (n, k)), axis=1)
    objective = cost * rng.uniform(-0.5, 2, (n, 1)) + rng.normal(0, 1, (n, k))
    budget = float(cost.min(axis=1).sum() * rng.uniform(0.1, 0.8))
    return objective, cost, budget


@pytest.mark.parametrize("seed", range(12))
def test_dual_is_within_its_stated_gap_of_the_optimum(seed: int) -> None:
    objective, cost, budget = _case(seed, n=int(np.random.default_rng(seed).integers(5, 25)))
    dual = solve_dual(objective, cost, budget)
    exact = solve_exact(objective, cost, budget)
    assert dual.cost <= budget + 1e-9 and exact.cost <= budget + 1e-9
    assert dual.objective <= exact.objective + 1e-9
    # The dual bound is a true upper bound, so the reported gap covers the real one.
    assert dual.upper_bound >= exact.objective - 1e-6
    assert exact.objective - dual.objective <= dual.gap + 1e-9
    # Stated gap: at most one household's best arm (the Lagrangian's integrality gap) ...
    assert exact.objective - dual.objective <= objective.max() + 1e-9
    # ... and on these small cases at least 85% of the optimum.
    assert dual.objective >= 0.85 * exact.objective


def test_dual_is_near_optimal_when_many_households_share_the_budget() -> None:
    objective, cost, budget = _case(99, n=150)
    dual = solve_dual(objective, cost, budget)
    exact = solve_exact(objective, cost, budget)
    assert dual.objective >= 0.99 * exact.objective
    assert dual.gap / dual.objective < 0.02


def test_a_budget_that_does_not_bind_takes_every_positive_arm() -> None:
    objective = np.array([[1.0, 2.0], [-1.0, -0.5], [0.5, 0.2]])
    cost = np.ones((3, 2))
    choice = solve_dual(objective, cost, 100.0)
    assert choice.arm.tolist() == [1, NONE, 0] and choice.price == 0.0


def test_quantile_sizing_keeps_the_chance_of_overspending_small() -> None:
    rng = np.random.default_rng(5)
    n = 400
    p = rng.uniform(0.05, 0.4, (n, 2))
    d = np.array([2.0, 5.0])
    cost_mean = p * d
    variance = p * (1 - p) * d**2
    objective = cost_mean * rng.uniform(0.2, 3.0, (n, 1))
    budget = 60.0
    hard = solve_within_quantile(objective, cost_mean, variance, budget, 0.95)
    mean_only = solve_dual(objective, cost_mean, budget)
    assert hard.cost_quantile <= budget + 1e-6
    assert hard.overspend_probability <= 0.05 + 1e-9
    assert hard.expected_cost < mean_only.cost <= budget

    def overspend_rate(arm: np.ndarray) -> float:
        rows = np.flatnonzero(arm != NONE)
        draws = rng.random((4000, len(rows))) < p[rows, arm[rows]]
        return float(((draws * d[arm[rows]]).sum(axis=1) > budget).mean())

    assert overspend_rate(hard.choice.arm) <= 0.07
    assert overspend_rate(mean_only.arm) > 0.3


def test_normal_quantile() -> None:
    assert normal_quantile(0.975) == pytest.approx(1.959964, abs=1e-5)
    assert normal_quantile(0.5) == pytest.approx(0.0, abs=1e-9)
