"""A SYNTHETIC coupon market for bench/policy.py: documented, seeded, not the product's simulator.

Written because the product's market simulator (coupondesk.tools.outcomes.market) had not
landed when this benchmark was written; it is a stand-in with the same kind of response (a
household's own history, the offer's depth, habitual buyers who redeem without being persuaded),
kept here in bench/ and out of the product. Models see only `features()`; the parameters below
are the ground truth and nothing but `truth()` and `play()` reads them.

Per household (drawn once per seed; models see 12 weeks of history drawn from these, not them):
    w  weekly in-scope purchase rate ~ Beta(1.2, 4)        p0 = w (a 7-day window)
    s  in-scope basket ~ LogNormal(log 12, 0.6)
    c  coupon use = 1 - exp(-Poisson(1) / 2)               q  deal share ~ Beta(2, 5)
Offer arm with discount D on a basket s (percent of s capped, or the amount):
    depth      = D / s                        relative to what the household spends
    response   = 1 - exp(-B depth)            monotone, concave
    g          = A (0.15 + 1.2 c)(0.5 + q) response     persuaded: would not buy, now buys
    r          = R0 (0.3 + 0.7 c) response                habitual buyer uses the coupon
    P(buy)     = p0 + (1 - p0) g              P(redeem) = (1 - p0) g + p0 r
    redeeming basket = s (1 + LIFT depth); other baskets s; every basket x LogNormal(0, 0.3)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from coupondesk.models.uplift.arms import Arm

A, B, R0, LIFT, NOISE = 0.35, 6.0, 0.5, 0.5, 0.3


@dataclass(frozen=True)
class Truth:
    """Expected outcomes per household under one arm and without a coupon."""

    p_with: np.ndarray
    p_without: np.ndarray
    spend_with: np.ndarray
    spend_without: np.ndarray
    p_redeem: np.ndarray
    discount: np.ndarray
    """Expected discount paid (every redeemer, persuaded or not)."""


class SyntheticMarket:
    """n households with observable histories and a hidden response to coupons."""

    def __init__(self, n: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.household_ids = np.arange(1, n + 1)
        self.w = rng.beta(1.2, 4.0, n)
        self.s = np.exp(rng.normal(np.log(12.0), 0.6, n))
        self.c = 1 - np.exp(-rng.poisson(1.0, n) / 2.0)
        self.q = rng.beta(2.0, 5.0, n)
        # The observable history: 12 weeks of in-scope purchases and their baskets.
        self.weeks_bought = rng.binomial(12, self.w)
        baskets = np.exp(rng.normal(-NOISE**2 / 2, NOISE, (n, 12))) * self.s[:, None]
        bought_mask = np.arange(12)[None, :] < self.weeks_bought[:, None]
        self.history_spend = (baskets * bought_mask).sum(axis=1)
        self.history_basket = np.where(self.weeks_bought > 0,
                                       self.history_spend / np.maximum(self.weeks_bought, 1),
                                       float(np.median(self.s)))

    def features(self) -> np.ndarray:
        """What a model may see: 12 weeks of history (share of weeks bought in scope, log mean
        basket, coupon use, deal share); the latent rate and basket stay hidden."""
        return np.column_stack([(self.weeks_bought + 0.5) / 13.0, np.log(self.history_basket),
                                self.c, self.q])

    def baseline(self) -> np.ndarray:
        """P(buy in scope in the next week without a coupon) as a history model would say it."""
        return (self.weeks_bought + 0.5) / 13.0

    def past_spend(self) -> np.ndarray:
        """In-scope spend over the last 12 weeks (for the RFM ranking)."""
        return self.history_spend

    def _terms(self, arm: Arm, cap: float | None) -> tuple[np.ndarray, ...]:
        depth = arm.discount(self.s, cap) / self.s
        response = 1 - np.exp(-B * depth)
        g = np.minimum(A * (0.15 + 1.2 * self.c) * (0.5 + self.q) * response, 0.9)
        r = R0 * (0.3 + 0.7 * self.c) * response
        return depth, g, r

    def truth(self, arm: Arm, cap: float | None = None) -> Truth:
        """Expected buying, spend and discount per household under `arm`."""
        p0 = self.w
        depth, g, r = self._terms(arm, cap)
        p_redeem = (1 - p0) * g + p0 * r
        redeem_basket = self.s * (1 + LIFT * depth)
        return Truth(
            p_with=p0 + (1 - p0) * g,
            p_without=p0,
            spend_with=p0 * (1 - r) * self.s + p_redeem * redeem_basket,
            spend_without=p0 * self.s,
            p_redeem=p_redeem,
            discount=p_redeem * arm.discount(redeem_basket, cap),
        )

    def play(self, arms: list[Arm | None], seed: int, cap: float | None = None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Draw (bought in scope, in-scope spend, discount paid) per household; None = not in
        the campaign (rows are drawn anyway, as no-coupon outcomes)."""
        rng = np.random.default_rng(seed)
        n = len(arms)
        habitual = rng.random(n) < self.w
        noise = np.exp(rng.normal(-NOISE**2 / 2, NOISE, n))
        persuade_draw, redeem_draw = rng.random(n), rng.random(n)
        bought = habitual.astype(float)
        spend = np.where(habitual, self.s * noise, 0.0)
        paid = np.zeros(n)
        for arm in {a for a in arms if a is not None and not a.is_control}:
            rows = np.array([a == arm for a in arms])
            depth, g, r = self._terms(arm, cap)
            induced = rows & ~habitual & (persuade_draw < g)
            redeems = induced | (rows & habitual & (redeem_draw < r))
            basket = self.s * noise * np.where(redeems, 1 + LIFT * depth, 1.0)
            bought = np.where(induced, 1.0, bought)
            spend = np.where(rows & (habitual | induced), basket, spend)
            paid = np.where(redeems, arm.discount(basket, cap), paid)
        return bought, spend, paid
