"""A market for the embedded default: how households respond to a coupon, from their history.

The Complete Journey ends before any coupondesk campaign starts, so nothing would ever happen
after dispatch. This module plays the days of a campaign's validity window for every treated
and held-out household, from a response model whose every input is the household's own
observable history and the offer's terms. Its expected values (`Market.ground_truth`) are the
oracle the uplift benchmark compares policies against; no model may read `MarketParams`.

The response model, per household h and offer (documented in README, "A market"):

  history (the `lookback_days` before the window):  w_h share of weeks with an in-scope
      purchase (smoothed towards the population's), s_h mean in-scope spend per in-scope
      basket, c_h = 1 - exp(-coupon baskets / 2) (how much it uses coupons at all),
      q_h share of its spend bought on a retail discount (how deal-driven it is)
  h0 = 1 - (1 - w_h)^(1/7)                 daily chance of an in-scope trip, no coupon
  d  = discount on a typical basket / s_h   depth relative to what it usually spends
  f  = exp(-k (m - s_h)/s_h) if m > s_h     friction of a minimum spend m above its basket
  response(d) = 1 - exp(-b d)              monotone, concave, 0 at d = 0
  g  = a0 (0.25 + 1.5 c_h)(0.5 + q_h) f response(d)     extra daily trip chance with the coupon
  r  = r0 (0.3 + 0.7 c_h) f response(d)    chance a trip it would make anyway uses the coupon

While the coupon is held and valid (from max(valid_from, send_at), until it is used once) a
day brings a trip with probability h1 = h0 + (1 - h0) g; the trip redeems with probability
(h1 - h0 + h0 r) / h1 (every induced trip redeems; a habitual one with probability r). A
redeeming basket is max(m, s_h e (1 + e_d d)) with e ~ lognormal(mean 1); other trips s_h e.
Holdout households and days before the coupon arrives follow h0 alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.db.schema import Product, Transaction
from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

WEEK_ZERO = date(2016, 12, 26)
"""The Complete Journey's weeks start on Mondays; week 1 holds 2017-01-01."""


@dataclass(frozen=True)
class MarketParams:
    """The simulator's parameters. Stated here, never read by a model or an allocation."""

    lookback_days: int = 84
    prior_weeks: float = 2.0
    """Weight (in weeks) of the population's in-scope weekly rate in each household's rate."""
    a0: float = 0.012
    """Largest extra daily in-scope trip chance a coupon can cause (before heterogeneity)."""
    b: float = 6.0
    """Curvature of the depth response 1 - exp(-b d): half of the response at d = 0.12."""
    r0: float = 0.55
    """Largest chance that a trip the household would make anyway uses the coupon."""
    friction: float = 1.5
    """How fast a minimum spend above the usual basket kills the response."""
    basket_sigma: float = 0.6
    """Spread of the basket around the household's mean (lognormal sigma, mean 1)."""
    basket_lift: float = 1.0
    """A redeeming basket is larger by basket_lift x depth."""
    min_basket: float = 2.0
    """Mean in-scope basket of a household that never bought in scope (dollars)."""


@dataclass(frozen=True)
class HouseholdHistory:
    """What the market knows about one household, all of it observable before the window."""

    household_id: int
    weekly_rate: float
    """Smoothed share of weeks with an in-scope purchase."""
    basket: float
    """Mean in-scope spend per in-scope basket (dollars; a floor for households without any)."""
    coupon_use: float
    """c_h in [0, 1): 1 - exp(-baskets with a coupon discount / 2)."""
    deal_share: float
    """q_h in [0, 1]: share of spend bought with a retail discount."""
    store_id: int
    products: tuple[int, ...]
    """In-scope products it bought, most bought first (for simulated lines)."""


@dataclass(frozen=True)
class GroundTruth:
    """Expected outcomes of one household over the window, with and without the coupon."""

    household_id: int
    p_buy_without: float
    p_buy_with: float
    spend_without: float
    spend_with: float
    p_redeem: float
    expected_discount: float

    @property
    def uplift(self) -> float:
        """Incremental probability of an in-scope purchase caused by the coupon."""
        return self.p_buy_with - self.p_buy_without

    @property
    def incremental_spend(self) -> float:
        return self.spend_with - self.spend_without


@dataclass(frozen=True)
class CouponHolding:
    """A treated household's code and when it can be used."""

    household_id: int
    code: str
    valid_from: date
    valid_to: date
    send_at: date | None = None

    @property
    def usable_from(self) -> date:
        """A coupon only matters from when it arrives and is valid."""
        return max(self.valid_from, self.send_at) if self.send_at else self.valid_from


@dataclass
class SimulatedOutcomes:
    """The two outcome tables the simulator played, in the import's file columns."""

    redemptions: pd.DataFrame
    transactions: pd.DataFrame
    ground_truth: list[GroundTruth] = field(default_factory=list)


def week_of(day: date) -> int:
    """The Complete Journey's week number of `day`."""
    return (day - WEEK_ZERO).days // 7 + 1


def discount_for(offer: Offer, spend: np.ndarray | float, cap: float | None = None) -> np.ndarray:
    """Discount the offer's terms give on in-scope spend (0 below the minimum spend)."""
    spend_array = np.asarray(spend, dtype=float)
    if offer.kind == "percent_off":
        amount = spend_array * offer.value / 100.0
        if cap is not None:
            amount = np.minimum(amount, cap)
    else:
        amount = np.minimum(np.full_like(spend_array, offer.value), spend_array)
    if offer.min_spend:
        amount = np.where(spend_array + 1e-9 >= offer.min_spend, amount, 0.0)
    return np.asarray(amount)


class Market:
    """Households' in-scope purchases and redemptions for an offer, seeded and reproducible."""

    def __init__(self, engine: Engine, *, as_of: date, params: MarketParams | None = None) -> None:
        self.engine = engine
        self.as_of = as_of
        self.params = params or MarketParams()
        self._histories: dict[tuple[tuple[str, ...], tuple[str, ...]], dict[int, HouseholdHistory]]
        self._histories = {}
        self._nodes, self._weights = np.polynomial.hermite_e.hermegauss(24)
        self._weights = self._weights / self._weights.sum()

    # -- history ------------------------------------------------------------------------
    def histories(self, offer: Offer, household_ids: list[int] | None = None
                  ) -> dict[int, HouseholdHistory]:
        """Every household's history for the offer's scope (cached per scope)."""
        key = (tuple(sorted(offer.departments)), tuple(sorted(offer.categories)))
        if key not in self._histories:
            self._histories[key] = self._load_histories(offer)
        known = self._histories[key]
        if household_ids is None:
            return known
        return {h: known.get(h, self._empty_history(h, known)) for h in household_ids}

    def _empty_history(self, household_id: int, known: dict[int, HouseholdHistory]
                       ) -> HouseholdHistory:
        rates = [k.weekly_rate for k in known.values()] or [0.0]
        weeks = self.params.lookback_days / 7
        prior = float(np.mean(rates)) * self.params.prior_weeks / (weeks + self.params.prior_weeks)
        return HouseholdHistory(household_id, prior, self.params.min_basket, 0.0, 0.0, 0, ())

    def _load_histories(self, offer: Offer) -> dict[int, HouseholdHistory]:
        params = self.params
        with Session(self.engine) as session:
            last = session.execute(
                select(Transaction.transaction_timestamp)
                .order_by(Transaction.transaction_timestamp.desc()).limit(1)
            ).scalar_one_or_none()
            end_day = min(self.as_of, last.date() + timedelta(days=1)) if last else self.as_of
            end = datetime.combine(end_day, datetime.min.time())
            start = end - timedelta(days=params.lookback_days)
            rows = session.execute(
                select(
                    Transaction.household_id, Transaction.basket_id, Transaction.product_id,
                    Transaction.store_id, Transaction.sales_value, Transaction.retail_disc,
                    Transaction.coupon_disc, Transaction.transaction_timestamp,
                    Product.department, Product.product_category,
                )
                .join(Product, Product.product_id == Transaction.product_id, isouter=True)
                .where(Transaction.transaction_timestamp >= start,
                       Transaction.transaction_timestamp < end)
            ).all()
        lines = pd.DataFrame(rows, columns=[
            "household_id", "basket_id", "product_id", "store_id", "sales_value", "retail_disc",
            "coupon_disc", "ts", "department", "category"])
        if lines.empty:
            return {}
        lines["in_scope"] = in_scope(lines["department"], lines["category"], offer)
        lines["week"] = ((pd.to_datetime(lines["ts"]) - start).dt.days // 7).clip(0, None)
        weeks = params.lookback_days / 7
        scoped = lines[lines["in_scope"]]
        scope_weeks = scoped.groupby("household_id")["week"].nunique()
        households = np.sort(lines["household_id"].unique())
        population_rate = float(scope_weeks.reindex(households).fillna(0).mean() / weeks)
        basket_spend = scoped.groupby(["household_id", "basket_id"])["sales_value"].sum()
        mean_basket = basket_spend.groupby("household_id").mean()
        coupon_baskets = (lines[lines["coupon_disc"] > 0].groupby("household_id")["basket_id"]
                          .nunique())
        spend = lines.groupby("household_id")["sales_value"].sum()
        deal = lines[lines["retail_disc"] > 0].groupby("household_id")["sales_value"].sum()
        store = lines.groupby("household_id")["store_id"].agg(lambda s: int(s.mode().iloc[0]))
        products = (scoped.groupby(["household_id", "product_id"]).size()
                    .reset_index(name="n").sort_values(["household_id", "n", "product_id"],
                                                       ascending=[True, False, True]))
        product_lists = products.groupby("household_id")["product_id"].apply(
            lambda s: tuple(int(p) for p in s.head(8)))
        out: dict[int, HouseholdHistory] = {}
        for household in households:
            h = int(household)
            n_weeks = float(scope_weeks.get(h, 0))
            rate = (n_weeks + params.prior_weeks * population_rate) / (weeks + params.prior_weeks)
            total = float(spend.get(h, 0.0))
            out[h] = HouseholdHistory(
                household_id=h,
                weekly_rate=min(rate, 0.99),
                basket=max(float(mean_basket.get(h, params.min_basket)), 0.5),
                coupon_use=1 - math.exp(-float(coupon_baskets.get(h, 0)) / 2),
                deal_share=float(deal.get(h, 0.0)) / total if total > 0 else 0.0,
                store_id=int(store.get(h, 0)),
                products=product_lists.get(h, ()),
            )
        return out

    # -- the response model -------------------------------------------------------------
    def _terms(self, history: HouseholdHistory, offer: Offer, cap: float | None
               ) -> tuple[float, float, float, float]:
        """(h0, g, r, depth) of one household for the offer (see the module docstring)."""
        p = self.params
        h0 = 1 - (1 - history.weekly_rate) ** (1 / 7)
        typical = max(history.basket, offer.min_spend or 0.0)
        depth = float(discount_for(offer.model_copy(update={"min_spend": None}), typical, cap)
                      ) / history.basket
        friction = 1.0
        if offer.min_spend and offer.min_spend > history.basket:
            friction = math.exp(-p.friction * (offer.min_spend - history.basket) / history.basket)
        response = 1 - math.exp(-p.b * depth)
        g = p.a0 * (0.25 + 1.5 * history.coupon_use) * (0.5 + history.deal_share)
        g *= friction * response
        r = p.r0 * (0.3 + 0.7 * history.coupon_use) * friction * response
        return h0, min(g, 0.5), min(r, 1.0), depth

    def _basket_factors(self) -> np.ndarray:
        """Gauss-Hermite nodes of the basket's lognormal factor (mean 1)."""
        sigma = self.params.basket_sigma
        return np.exp(sigma * self._nodes - sigma * sigma / 2)

    def ground_truth(
        self,
        household: int | HouseholdHistory,
        offer: Offer,
        *,
        window_days: int | None = None,
        coupon_days: int | None = None,
        cap: float | None = None,
    ) -> GroundTruth:
        """Expected in-scope purchase probability and spend with and without the coupon.

        `window_days` is the readout window (the offer's validity by default); `coupon_days`
        the days of it the coupon is held (all of them unless it is sent late).
        """
        history = household if isinstance(household, HouseholdHistory) else (
            self.histories(offer, [household])[household])
        days = window_days or offer.valid_days
        held = days if coupon_days is None else max(0, min(coupon_days, days))
        h0, g, r, depth = self._terms(history, offer, cap)
        factors = self._basket_factors()
        redeem_basket = np.maximum(offer.min_spend or 0.0,
                                   history.basket * factors * (1 + self.params.basket_lift * depth))
        spend_redeem = float(self._weights @ redeem_basket)
        discount_redeem = float(self._weights @ discount_for(offer, redeem_basket, cap))
        h1 = h0 + (1 - h0) * g
        redeem_today = (h1 - h0) + h0 * r
        # states: coupon held & no purchase yet, held & bought, used (bought)
        held_none, held_bought, used = 1.0, 0.0, 0.0
        spend = 0.0
        discount = 0.0
        for day in range(days):
            if day < days - held:  # the coupon has not arrived yet
                spend += h0 * history.basket
                held_bought += held_none * h0
                held_none *= 1 - h0
                continue
            holding = held_none + held_bought
            spend += holding * (redeem_today * spend_redeem + h0 * (1 - r) * history.basket)
            spend += used * h0 * history.basket
            discount += holding * redeem_today * discount_redeem
            used += holding * redeem_today
            held_bought = held_bought * (1 - redeem_today) + held_none * h0 * (1 - r)
            held_none *= 1 - h1
        p_without = 1 - (1 - h0) ** days
        return GroundTruth(
            household_id=history.household_id,
            p_buy_without=p_without,
            p_buy_with=1 - held_none,
            spend_without=days * h0 * history.basket,
            spend_with=spend,
            p_redeem=used,
            expected_discount=discount,
        )

    # -- playing the window -------------------------------------------------------------
    def play(
        self,
        offer: Offer,
        *,
        window: tuple[date, date],
        treated: list[CouponHolding],
        holdout: list[int],
        seed: int,
        campaign_id: int,
        cap: float | None = None,
    ) -> SimulatedOutcomes:
        """Draw every household's in-scope trips and redemptions over the window."""
        first, last = window
        days = (last - first).days + 1
        everyone = sorted({t.household_id for t in treated} | set(holdout))
        histories = self.histories(offer, everyone)
        fallback = self._scope_products(offer)
        by_household = {t.household_id: t for t in treated}
        lines: list[dict[str, Any]] = []
        redemptions: list[dict[str, Any]] = []
        truths: list[GroundTruth] = []
        basket_base = 900_000_000_000_000 + campaign_id * 100_000_000
        counter = 0
        for household in everyone:
            history = histories[household]
            rng = np.random.default_rng([seed, campaign_id, household])
            holding = by_household.get(household)
            h0, g, r, depth = self._terms(history, offer, cap)
            # A code works from when it arrives until its own validity ends (per-household
            # send dates give each code its own days inside the campaign window).
            start_day = (holding.usable_from - first).days if holding else days
            end_day = min((holding.valid_to - first).days, days - 1) if holding else -1
            if holding:
                truths.append(self.ground_truth(
                    history, offer, window_days=days,
                    coupon_days=max(0, end_day - max(start_day, 0) + 1), cap=cap))
            held = holding is not None
            for day in range(days):
                active = held and start_day <= day <= end_day
                h = h0 + (1 - h0) * g if active else h0
                trip, redeem_draw, basket_draw = rng.random(3)
                if trip >= h:
                    continue
                factor = float(np.exp(self.params.basket_sigma * _normal(basket_draw)
                                      - self.params.basket_sigma ** 2 / 2))
                redeems = active and redeem_draw < ((h - h0) + h0 * r) / h
                spend = history.basket * factor
                discount = 0.0
                if redeems:
                    spend = max(offer.min_spend or 0.0,
                                spend * (1 + self.params.basket_lift * depth))
                    discount = float(discount_for(offer, spend, cap))
                spend = round(spend, 2)
                discount = round(min(discount, spend), 2)
                counter += 1
                basket_id = basket_base + counter
                at = datetime.combine(first + timedelta(days=day), datetime.min.time()) + (
                    timedelta(minutes=int(480 + rng.integers(0, 720))))
                choices = history.products or fallback
                lines.extend(_lines(rng, household, history.store_id, basket_id, choices,
                                    spend, discount, at))
                if redeems and holding is not None:
                    redemptions.append({
                        "code": holding.code, "redeemed_at": at, "basket_total": spend,
                        "discount": discount, "order_id": str(basket_id),
                    })
                    held = False
        columns = ["household_id", "store_id", "basket_id", "product_id", "quantity",
                   "sales_value", "retail_disc", "coupon_disc", "coupon_match_disc", "week",
                   "transaction_timestamp"]
        return SimulatedOutcomes(
            redemptions=pd.DataFrame(redemptions, columns=["code", "redeemed_at", "basket_total",
                                                           "discount", "order_id"]),
            transactions=pd.DataFrame(lines, columns=columns),
            ground_truth=truths,
        )

    def _scope_products(self, offer: Offer) -> tuple[int, ...]:
        """The scope's products, for households that never bought in it."""
        with Session(self.engine) as session:
            statement = select(Product.product_id).order_by(Product.product_id).limit(50)
            clauses = []
            if offer.departments:
                clauses.append(Product.department.in_(offer.departments))
            if offer.categories:
                clauses.append(Product.product_category.in_(offer.categories))
            if clauses:
                statement = statement.where(or_(*clauses))
            return tuple(int(p) for p in session.execute(statement).scalars())


def in_scope(departments: pd.Series, categories: pd.Series, offer: Offer) -> pd.Series:
    """True for lines whose product falls in the offer's scope (all lines when storewide)."""
    if offer.storewide:
        return pd.Series(True, index=departments.index)
    return departments.isin(offer.departments) | categories.isin(offer.categories)


def _normal(uniform: float) -> float:
    """Standard normal quantile of a uniform draw (keeps one draw per decision)."""
    from scipy.stats import norm

    return float(norm.ppf(min(max(uniform, 1e-12), 1 - 1e-12)))


def _lines(
    rng: np.random.Generator,
    household: int,
    store: int,
    basket_id: int,
    products: tuple[int, ...],
    spend: float,
    discount: float,
    at: datetime,
) -> list[dict[str, Any]]:
    """One or two in-scope lines that add up to the trip's spend (and its coupon discount)."""
    count = 1 if len(products) < 2 or spend < 2 else int(rng.integers(1, 3))
    chosen = rng.choice(len(products), size=count, replace=False)
    shares = [1.0] if count == 1 else [0.6, 0.4]
    amounts = [round(spend * s, 2) for s in shares]
    amounts[-1] = round(spend - sum(amounts[:-1]), 2)
    discounts = [round(discount * s, 2) for s in shares]
    discounts[-1] = round(discount - sum(discounts[:-1]), 2)
    return [
        {
            "household_id": household, "store_id": store, "basket_id": basket_id,
            "product_id": int(products[int(index)]), "quantity": 1, "sales_value": amount,
            "retail_disc": 0.0, "coupon_disc": disc, "coupon_match_disc": 0.0,
            "week": week_of(at.date()), "transaction_timestamp": at,
        }
        for index, amount, disc in zip(chosen, amounts, discounts, strict=True)
    ]
