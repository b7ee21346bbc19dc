"""A small randomised coupon experiment with known truth, for the uplift tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from coupondesk.models.uplift.arms import CONTROL, Arm

MENU = (Arm("percent_off", 10), Arm("percent_off", 20), Arm("percent_off", 30))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


@dataclass
class Experiment:
    features: np.ndarray
    arms: list[Arm]
    propensity: np.ndarray
    bought: np.ndarray
    spend: np.ndarray
    true_p0: np.ndarray
    true_p: np.ndarray
    """(n, len(MENU)) true P(buy | arm)."""
    basket: np.ndarray
    redeemed: np.ndarray
    """Persuaded buyers always redeem; habitual buyers with probability HABITUAL_USE."""
    true_redeem: np.ndarray
    """(n, len(MENU)) true P(redeem | arm)."""


HABITUAL_USE = 0.5


def true_probabilities(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """p0 from feature 0, responsiveness from feature 1, a concave depth curve."""
    p0 = _sigmoid(-1.0 + 1.2 * features[:, 0])
    r = _sigmoid(-1.0 + 1.5 * features[:, 1])
    depth = np.array([a.depth for a in MENU])
    h = 0.3 + 0.7 * (1 - np.exp(-depth / 1.2))
    return p0, p0[:, None] + (1 - p0[:, None]) * r[:, None] * h[None, :]


def run(n: int, seed: int, shares: tuple[float, ...] = (0.3, 0.1, 0.3, 0.3)) -> Experiment:
    """Randomise n households over (control, *MENU) with the given shares (stored propensity)."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(n, 3))
    p0, p = true_probabilities(features)
    choice = rng.choice(len(shares), size=n, p=shares)
    all_arms = [CONTROL, *MENU]
    arms = [all_arms[c] for c in choice]
    p_assigned = np.where(choice == 0, p0, p[np.arange(n), np.maximum(choice - 1, 0)])
    habitual = rng.random(n) < p0
    persuaded = ~habitual & (rng.random(n) < (p_assigned - p0) / (1 - p0))
    bought = (habitual | persuaded).astype(float)
    redeemed = ((choice > 0) & (persuaded | (habitual & (rng.random(n) < HABITUAL_USE))))
    basket = np.exp(3.0 + 0.3 * features[:, 2])
    spend = bought * basket * np.exp(rng.normal(scale=0.2, size=n))
    true_redeem = (p - p0[:, None]) + HABITUAL_USE * p0[:, None]
    return Experiment(features, arms, np.asarray(shares)[choice], bought, spend, p0, p, basket,
                      redeemed.astype(float), true_redeem)
