"""The chance that a cut's redemptions take more discount than its budget (Poisson-binomial).

With the budget enforced at redemption, a cut sized on expected cost can still meet a week
where more households redeem than expected; the redemption that would pass the budget is
then refused. Household i redeems with probability p_i and then takes d_i, independently, so
the redeemed discount S = sum of d_i x Bernoulli(p_i) is a weighted Poisson-binomial. Two
readings of P(S > budget):

- exact: the distribution of S by dynamic programming over amounts rounded *up* to a grid
  (a cent, or budget / max_cells for large budgets), so the figure is an upper bound of the
  true probability, never an underestimate;
- normal: mean sum p_i d_i, variance sum p_i (1 - p_i) d_i^2 (fast, the textbook
  approximation; optimistic in the skewed tail of a small cut, hence not what sizes the cut).

`RiskTracker` adds households one at a time in rank order, so the allocation can stop at the
first household that would push the exact figure past the policy's limit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

MAX_CELLS = 20_000
"""Grid cells up to the budget: a cent for budgets up to $200, coarser (rounded up) above."""


def grid_unit(budget: float, max_cells: int = MAX_CELLS) -> float:
    """Dollars per grid cell for a budget: one cent, or budget / max_cells when that is coarser."""
    return max(0.01, budget / max_cells)


def _cells(amount: float, unit: float) -> int:
    """An amount in grid cells, rounded up (a tiny tolerance keeps 2.00 at 200 cents)."""
    return max(0, math.ceil(amount / unit - 1e-9))


@dataclass
class RiskTracker:
    """P(S > budget) of a growing set of independent redemptions, exactly on a grid.

    `mass[k]` is P(S = k cells) for k up to the budget's cell; `over` is P(S > budget).
    """

    budget: float
    unit: float
    mass: np.ndarray
    over: float = 0.0

    @classmethod
    def start(cls, budget: float, max_cells: int = MAX_CELLS) -> RiskTracker:
        """Nobody in the cut yet: S = 0 for sure."""
        unit = grid_unit(budget, max_cells)
        size = int(math.floor(budget / unit + 1e-9)) + 1
        mass = np.zeros(size, dtype=np.float64)
        mass[0] = 1.0
        return cls(budget=budget, unit=unit, mass=mass)

    def risk_with(self, p: float, discount: float) -> float:
        """P(S > budget) if a household redeeming with `p` for `discount` were added."""
        shift = _cells(discount, self.unit)
        size = len(self.mass)
        pushed_over = float(self.mass[max(0, size - shift):].sum()) if shift > 0 else 0.0
        return self.over + p * pushed_over

    def add(self, p: float, discount: float) -> None:
        """Add the household to the cut (the distribution of S convolves with its coupon)."""
        shift = _cells(discount, self.unit)
        if shift <= 0 or p <= 0:
            return
        size = len(self.mass)
        pushed_over = float(self.mass[max(0, size - shift):].sum())
        moved = np.zeros_like(self.mass)
        if shift < size:
            moved[shift:] = self.mass[: size - shift]
        self.over = self.over + p * pushed_over
        self.mass = (1.0 - p) * self.mass + p * moved


def exceedance_exact(
    probabilities: Sequence[float], discounts: Sequence[float], budget: float,
    max_cells: int = MAX_CELLS,
) -> float:
    """P(sum of discounts redeemed > budget), exact on the grid (an upper bound off it)."""
    tracker = RiskTracker.start(budget, max_cells)
    for p, d in zip(probabilities, discounts, strict=True):
        tracker.add(p, d)
    return tracker.over


def exceedance_normal(
    probabilities: Sequence[float], discounts: Sequence[float], budget: float
) -> float:
    """P(sum of discounts redeemed > budget) by the normal approximation of the sum."""
    mean = sum(p * d for p, d in zip(probabilities, discounts, strict=True))
    variance = sum(p * (1 - p) * d * d for p, d in zip(probabilities, discounts, strict=True))
    if variance <= 0:
        return 1.0 if mean > budget else 0.0
    return 1.0 - NormalDist(mean, math.sqrt(variance)).cdf(budget)
