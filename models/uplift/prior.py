"""The depth-response prior: what the product assumes about depth before it has randomised data.

Until a campaign with a holdout and exploration arms has come back, nothing here has seen how a
deeper coupon changes buying; the allocator still needs a slope, so it uses this stated prior,
and the proposal lists it under assumptions with its source. It is never reported as learned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DepthPrior:
    """A saturating, concave depth curve h(d) = jump + (1 - jump)(1 - exp(-d / scale)), d > 0.

    With the coupon at depth d a household buys in scope with probability
    p0 + (1 - p0) * responsiveness * h(d), where p0 is its probability without the coupon; the
    curve is monotone and concave in d by construction.
    """

    jump: float
    """Share of the saturated effect that any coupon at all already has (Thornton's 'any')."""
    scale: float
    """Depth (in arms.DEPTH_SCALE units: 10 points of percent, one dollar) at which the rest of
    the effect has come 63% of the way."""
    responsiveness: float
    """Share of would-be non-buyers a saturated coupon converts."""
    source: str
    """Where these numbers come from, shown to the operator beside the figures they produce."""
    strength: float = 20.0
    """Pseudo-observations the prior is worth when a learner is fitted on few outcomes."""

    def curve(self, depth: np.ndarray) -> np.ndarray:
        """h(d) for depths in kind units (0 = no coupon)."""
        d = np.asarray(depth, dtype=float)
        h = self.jump + (1.0 - self.jump) * (1.0 - np.exp(-d / self.scale))
        return np.where(d > 0, h, 0.0)

    def buy_probability(self, p_without: np.ndarray, depth: np.ndarray) -> np.ndarray:
        """P(buy in scope | coupon at depth d) from the probability without a coupon."""
        p0 = np.clip(np.asarray(p_without, dtype=float), 0.0, 1.0)
        return p0 + (1.0 - p0) * self.responsiveness * self.curve(depth)

    def describe(self) -> str:
        """One line for the proposal's assumptions."""
        return (
            f"depth response is a stated prior, not learned: any coupon converts "
            f"{self.responsiveness * self.jump:.1%} of non-buyers, saturating at "
            f"{self.responsiveness:.1%} (scale {self.scale:g}); source: {self.source}"
        )


THORNTON_SHAPE = DepthPrior(
    jump=0.42,
    scale=0.72,
    responsiveness=0.05,
    source=(
        "curve shape (jump 0.42, scale 0.72 depth units) from the dose-response fit of "
        "Thornton (2008) cash incentives (bench/dose_response.py), with its $1 read as one "
        "depth unit ($1 off, or 10 points of percent off); responsiveness 5% of non-buyers is "
        "an assumption in the range of the historical campaigns' redemption rates, not measured"
    ),
)
"""The default prior the product uses before any randomised outcome exists."""
