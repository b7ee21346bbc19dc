"""Dose-response check: fit the depth-response learner to a randomised incentive experiment.

Thornton (2008) randomised cash incentives of different amounts for learning an HIV test result;
with the amount as depth and "got the result" as the outcome the learner must recover the
published rates (33.9% without an incentive, 78.9% with any) and a monotone, concave curve whose
fitted rate in each amount bin lies inside the bootstrap interval of the observed rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from coupondesk.models.uplift.arms import CONTROL, Arm
from coupondesk.models.uplift.prior import DepthPrior
from coupondesk.models.uplift.response import DepthResponseLearner

UNINFORMATIVE = DepthPrior(
    jump=0.5, scale=1.0, responsiveness=0.5, strength=0.0,
    source="none: strength 0, the fit is the data's alone",
)
"""A prior with no weight, so the dose-response fit is purely the experiment's."""

AMOUNT_EDGES: tuple[float, ...] = (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0)
"""Bins of the incentive amount (dollars) above zero: (0, 0.5], (0.5, 1], ..."""


@dataclass(frozen=True)
class RateWithInterval:
    """An observed rate with its percentile bootstrap interval and the fitted rate."""

    n: int
    observed: float
    ci95: tuple[float, float]
    fitted: float

    @property
    def covered(self) -> bool:
        """True when the fitted rate lies inside the observed rate's 95% bootstrap interval."""
        return self.ci95[0] <= self.fitted <= self.ci95[1]


@dataclass(frozen=True)
class AmountBin(RateWithInterval):
    """One amount bin (lo, hi]."""

    lo: float = 0.0
    hi: float = 0.0


@dataclass(frozen=True)
class DoseResponse:
    """The whole check: no incentive, any incentive, per amount bin, and the fitted curve."""

    none: RateWithInterval
    any: RateWithInterval
    by_amount: list[AmountBin]
    curve_amounts: list[float] = field(default_factory=list)
    curve_fitted: list[float] = field(default_factory=list)

    @property
    def monotone(self) -> bool:
        """Fitted curve never decreases with the amount."""
        return bool(np.all(np.diff(self.curve_fitted) >= -1e-9))

    @property
    def concave(self) -> bool:
        """Fitted curve's slopes never increase with the amount (from zero, the control)."""
        x = np.asarray(self.curve_amounts)
        y = np.asarray(self.curve_fitted)
        slopes = np.diff(y) / np.diff(x)
        return bool(np.all(np.diff(slopes) <= 1e-9))


def _bootstrap_ci(values: np.ndarray, rng: np.random.Generator, draws: int) -> tuple[float, float]:
    idx = rng.integers(0, len(values), size=(draws, len(values)))
    means = values[idx].mean(axis=1)
    lo, hi = np.quantile(means, [0.025, 0.975])
    return float(lo), float(hi)


def _arms(amount: np.ndarray) -> list[Arm]:
    return [CONTROL if a <= 0 else Arm("amount_off", float(a)) for a in amount]


def fit_dose_response(
    amount: np.ndarray,
    outcome: np.ndarray,
    *,
    edges: Sequence[float] = AMOUNT_EDGES,
    draws: int = 2000,
    seed: int = 0,
    prior: DepthPrior = UNINFORMATIVE,
) -> DoseResponse:
    """Fit the learner (amount = depth in dollars, no household features) and tabulate it."""
    amount = np.asarray(amount, dtype=float)
    y = np.asarray(outcome, dtype=float)
    keep = np.isfinite(amount) & np.isfinite(y)
    amount, y = amount[keep], y[keep]
    features = np.zeros((len(y), 1))
    learner = DepthResponseLearner(prior).fit(features, _arms(amount), y)
    distinct = sorted({float(a) for a in amount if a > 0})
    effects = learner.predict(features[:1], [Arm("amount_off", a) for a in distinct])
    p_none = float(effects.p_buy_control[0])
    p_at = dict(zip(distinct, effects.p_buy[0], strict=True))
    fitted_row = np.array([p_at[a] if a > 0 else p_none for a in amount])
    rng = np.random.default_rng(seed)

    def rate(mask: np.ndarray) -> tuple[int, float, tuple[float, float], float]:
        return (int(mask.sum()), float(y[mask].mean()), _bootstrap_ci(y[mask], rng, draws),
                float(fitted_row[mask].mean()))

    none = RateWithInterval(*rate(amount <= 0))
    any_ = RateWithInterval(*rate(amount > 0))
    bins: list[AmountBin] = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        mask = (amount > lo) & (amount <= hi)
        if mask.any():
            n, obs, ci, fit = rate(mask)
            bins.append(AmountBin(n=n, observed=obs, ci95=ci, fitted=fit, lo=lo, hi=hi))
    return DoseResponse(
        none=none, any=any_, by_amount=bins,
        curve_amounts=[0.0, *distinct], curve_fitted=[p_none, *effects.p_buy[0].tolist()],
    )
