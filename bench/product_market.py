"""The product's simulator (coupondesk.tools.outcomes.market.Market) behind the interface
bench/policy.py plays: ground truth from `Market.ground_truth`, outcomes from `Market.play`.

Households are the database's, for one offer scope; features are what a model may see of their
history (the Market's own observable `HouseholdHistory`: weekly in-scope rate, mean basket,
coupon use, deal share). Outcomes are read back from the simulated transaction lines and
redemptions (the files `coupondesk simulate` writes), not from the market's parameters; they
do not go through the database's import-outcomes step here (see bench/policy.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from coupondesk.models.uplift.arms import Arm
from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.outcomes.market import CouponHolding, Market
from sqlalchemy.engine import Engine


@dataclass(frozen=True)
class Truth:
    """Expected outcomes per household under one arm and without a coupon."""

    p_with: np.ndarray
    p_without: np.ndarray
    spend_with: np.ndarray
    spend_without: np.ndarray
    p_redeem: np.ndarray
    discount: np.ndarray


class ProductMarket:
    """The product Market for one scope, as bench/policy.py's market."""

    def __init__(self, engine: Engine, *, as_of: date, categories: list[str],
                 departments: list[str], n: int | None, valid_days: int = 7) -> None:
        self.market = Market(engine, as_of=as_of)
        self.scope = {"categories": categories, "departments": departments}
        self.valid_days = valid_days
        base = self._offer(Arm("percent_off", 15.0), None)
        histories = self.market.histories(base)
        ids = sorted(histories)[: n or None]
        self.real_ids = ids
        self.histories = [histories[h] for h in ids]
        self.household_ids = np.arange(1, len(ids) + 1)
        self.as_of = as_of
        self._truth: dict[tuple[Arm, float | None], Truth] = {}

    def _offer(self, arm: Arm, cap: float | None) -> Offer:
        return Offer(kind="percent_off" if arm.kind == "none" else arm.kind,
                     value=arm.value or 15.0, valid_days=self.valid_days,
                     max_discount=cap if arm.kind == "percent_off" else None,
                     **self.scope)

    def features(self) -> np.ndarray:
        """Weekly in-scope rate (column 0, the baseline), log basket, coupon use, deal share."""
        return np.array([[min(h.weekly_rate, 0.99), np.log(max(h.basket, 0.5)), h.coupon_use,
                          h.deal_share] for h in self.histories])

    def past_spend(self) -> np.ndarray:
        """In-scope spend over the look-back, from the observable rate and basket (RFM)."""
        return np.array([h.weekly_rate * h.basket * 12 for h in self.histories])

    def truth(self, arm: Arm, cap: float | None = None) -> Truth:
        """Market.ground_truth per household under `arm` over the validity window."""
        key = (arm, cap)
        if key not in self._truth:
            offer = self._offer(arm, cap)
            rows = [self.market.ground_truth(h, offer, cap=cap) for h in self.histories]
            self._truth[key] = Truth(
                p_with=np.array([t.p_buy_with for t in rows]),
                p_without=np.array([t.p_buy_without for t in rows]),
                spend_with=np.array([t.spend_with for t in rows]),
                spend_without=np.array([t.spend_without for t in rows]),
                p_redeem=np.array([t.p_redeem for t in rows]),
                discount=np.array([t.expected_discount for t in rows]),
            )
        return self._truth[key]

    def play(self, arms: list[Arm | None], seed: int, cap: float | None = None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(bought in scope, in-scope spend, discount paid) per household, read from the
        simulated lines and redemptions; one Market.play per arm (control = holdout)."""
        n = len(arms)
        bought, spend, paid = np.zeros(n), np.zeros(n), np.zeros(n)
        window = (self.as_of, self.as_of + timedelta(days=self.valid_days - 1))
        index = {h: i for i, h in enumerate(self.real_ids)}
        groups: dict[Arm | None, list[int]] = {}
        for i, arm in enumerate(arms):
            groups.setdefault(None if arm is None or arm.is_control else arm, []).append(i)
        for campaign, (arm, rows) in enumerate(sorted(groups.items(), key=lambda g: str(g[0]))):
            ids = [self.real_ids[i] for i in rows]
            treated = [] if arm is None else [
                CouponHolding(h, f"C{h}", window[0], window[1]) for h in ids]
            out = self.market.play(
                self._offer(arm or Arm("percent_off", 15.0), cap), window=window,
                treated=treated, holdout=[] if arm is not None else ids, seed=seed,
                campaign_id=campaign + 1, cap=cap)
            if len(out.transactions):
                per = out.transactions.groupby("household_id")["sales_value"].sum()
                for h, value in per.items():
                    bought[index[int(h)]] = 1.0
                    spend[index[int(h)]] = float(value)
            for code, discount in zip(out.redemptions["code"], out.redemptions["discount"],
                                      strict=True):
                paid[index[int(str(code)[1:])]] += float(discount)
        return bought, spend, paid
