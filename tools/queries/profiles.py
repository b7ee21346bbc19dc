"""What a household or a segment looks like: the facts an operator reviews before approving.

`household_profile` is for one customer (recency, frequency, monetary, what they buy, their
coupon history). `segment_summary` describes a whole audience *without any household id*, so
it can be shown to the operator and handed to the copy LLM as-is: sizes, spend and visit
distributions, what the segment buys, and how much of it has demographics at all.

Windows follow coupondesk.tools.queries.segments: [today - window_days, today), nothing on or
after today.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
from coupondesk.tools.catalog.text import is_merchandise
from coupondesk.tools.db.schema import (
    CampaignReceipt,
    CouponRedemption,
    Demographics,
    Household,
    HouseholdDay,
    IssuedCoupon,
    Product,
    RetailCampaign,
    Transaction,
)
from coupondesk.tools.errors import NotFoundError
from coupondesk.tools.queries.segments import DEFAULT_SPEND_WINDOW_DAYS, day_start, window_start
from pydantic import BaseModel, ConfigDict
from sqlalchemy import case, func, select, text
from sqlalchemy.orm import Session

DEFAULT_WINDOW_DAYS = DEFAULT_SPEND_WINDOW_DAYS
CHUNK = 900
"""Household ids per IN list: under SQLite's bound-parameter limit with room to spare."""
MIX_SAMPLE = 5000
"""Households the segment's department/category mix is measured on at most. The mix joins
every line of the window to the catalog (5.2M lines, ~8 s, for 35,683 households of a
100,000-household retailer); a seeded sample of 5,000 puts a category's spend share within
about a percentage point at a seventh of the cost."""


class NamedSpend(BaseModel):
    """Spend in one department or category, with its share of the whole."""

    model_config = ConfigDict(frozen=True)

    name: str
    spend: float
    share: float
    """Share of the household's (or segment's) spend in the window, 0..1."""
    buyers: int | None = None
    """Households of the segment that bought this category in the window (None: not counted)."""


class CampaignHistory(BaseModel):
    """One historical retail campaign a household received, and what it redeemed from it."""

    model_config = ConfigDict(frozen=True)

    campaign_id: int
    campaign_type: str
    start_date: date
    end_date: date
    redemptions: int


class DemographicsRow(BaseModel):
    """A household's self-reported demographics (band labels as in the data)."""

    model_config = ConfigDict(frozen=True)

    age: str | None
    income: str | None
    home_ownership: str | None
    marital_status: str | None
    household_size: str | None
    household_comp: str | None
    kids_count: str | None


class HouseholdProfile(BaseModel):
    """One household at a glance: RFM, favourite departments/categories, coupon history."""

    household_id: int
    today: date
    window_days: int
    first_purchase: date | None
    last_purchase: date | None
    recency_days: int | None
    """Days from the last purchase to today (1 = bought yesterday); None = never bought."""
    visits: int
    """Distinct baskets in the window (frequency)."""
    spend: float
    """Sales value in the window (monetary)."""
    avg_basket: float | None
    lifetime_visits: int
    lifetime_spend: float
    top_departments: list[NamedSpend]
    top_categories: list[NamedSpend]
    campaigns_received: list[CampaignHistory]
    redemptions: int
    """Historical coupon redemptions before today, all campaigns."""
    coupons_issued: int
    """Coupons coupondesk itself has issued to this household."""
    demographics: DemographicsRow | None


class Distribution(BaseModel):
    """Mean and percentiles (linear interpolation, as numpy/pandas default) of a quantity."""

    model_config = ConfigDict(frozen=True)

    mean: float
    p10: float
    p25: float
    p50: float
    p75: float
    p90: float
    max: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Distribution:
        if not values:
            return cls(mean=0.0, p10=0.0, p25=0.0, p50=0.0, p75=0.0, p90=0.0, max=0.0)
        array = np.asarray(values, dtype=float)
        p10, p25, p50, p75, p90 = (float(v) for v in np.percentile(array, [10, 25, 50, 75, 90]))
        return cls(
            mean=round(float(array.mean()), 2),
            p10=round(p10, 2),
            p25=round(p25, 2),
            p50=round(p50, 2),
            p75=round(p75, 2),
            p90=round(p90, 2),
            max=round(float(array.max()), 2),
        )


class BandShare(BaseModel):
    """How many households with demographics fall in one band."""

    model_config = ConfigDict(frozen=True)

    band: str
    households: int
    share: float
    """Of the households that have demographics, 0..1."""


class DemographicCoverage(BaseModel):
    """How much of a segment has demographics, and the main bands among those that do."""

    households_with_demographics: int
    share: float
    age: list[BandShare]
    income: list[BandShare]
    household_size: list[BandShare]
    kids_count: list[BandShare]


class SegmentSummary(BaseModel):
    """An audience described without household ids (safe for the copy LLM and the screen)."""

    size: int
    today: date
    window_days: int
    active_households: int
    """Households with at least one purchase in the window."""
    total_spend: float
    spend: Distribution
    """Per-household spend in the window; households that bought nothing count as 0."""
    visits: Distribution
    """Per-household distinct baskets in the window."""
    recency_days: Distribution
    """Days since the last purchase, over households that ever bought."""
    top_departments: list[NamedSpend]
    top_categories: list[NamedSpend]
    mix_households: int = 0
    """Households the department/category mix was measured on: all of them, or a seeded
    sample of MIX_SAMPLE when the audience is larger (its spend and buyers then scaled to
    the audience, so shares and buyer counts are estimates)."""
    demographics: DemographicCoverage


# --------------------------------------------------------------------------- helpers


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    unique = sorted(set(ids))
    for start in range(0, len(unique), CHUNK):
        yield unique[start : start + CHUNK]


def _as_date(value: datetime | date | str | None) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.date() if isinstance(value, datetime) else value


@dataclass
class _Mix:
    """Spend per department and per category (with distinct buyers) of some households."""

    department_spend: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    category_spend: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    category_buyers: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def scaled(self, factor: float) -> _Mix:
        """The mix of a sample scaled up to its population (buyers rounded)."""
        out = _Mix()
        out.department_spend.update({k: v * factor for k, v in self.department_spend.items()})
        out.category_spend.update({k: v * factor for k, v in self.category_spend.items()})
        out.category_buyers.update({k: round(v * factor)
                                    for k, v in self.category_buyers.items()})
        return out


def _mix_sample(ids: list[int]) -> list[int]:
    """All the (sorted, distinct) ids when there are at most MIX_SAMPLE, else a seeded sample
    of MIX_SAMPLE of them: the same audience always gets the same sample."""
    limit = MIX_SAMPLE
    if len(ids) <= limit:
        return ids
    picked = np.random.default_rng(0).choice(len(ids), size=limit, replace=False)
    return [ids[i] for i in np.sort(picked)]


def _mix(session: Session, household_ids: Sequence[int], start: datetime, end: datetime) -> _Mix:
    """What some households bought in [start, end), in one pass over their lines.

    One GROUP BY (department, category) rather than one per level: joining the window's lines
    to the catalog is the expensive part (about 1 s per pass for 2,000 households x 90 days on
    the full data), so it is done once. Category buyers are exact; department buyers would
    need a second pass and are not reported.
    """
    mix = _Mix()
    ts = Transaction.transaction_timestamp
    jit = None
    if session.get_bind().dialect.name == "postgresql":
        # A JIT compile costs ~0.2 s a statement here and buys nothing at this size; the
        # caller's setting is put back after (NULL: a server without JIT).
        jit = session.execute(text("SELECT current_setting('jit', true)")).scalar()
        if jit is not None:
            session.execute(text("SELECT set_config('jit', 'off', true)"))
    for chunk in _chunks(household_ids):
        rows = session.execute(
            select(
                Product.department,
                Product.product_category,
                func.sum(Transaction.sales_value),
                func.count(func.distinct(Transaction.household_id)),
            )
            .join(Product, Product.product_id == Transaction.product_id)
            .where(Transaction.household_id.in_(chunk), ts >= start, ts < end)
            .group_by(Product.department, Product.product_category)
        ).all()
        for department, category, value, buyers in rows:
            amount = float(value or 0.0)
            if department:
                mix.department_spend[department] += amount
            if category:
                mix.category_spend[category] += amount
                mix.category_buyers[category] += int(buyers)
    if jit is not None:
        session.execute(text("SELECT set_config('jit', :jit, true)"), {"jit": jit})
    return mix


def _top(
    spend: dict[str, float], total: float, n: int, buyers: dict[str, int] | None = None
) -> list[NamedSpend]:
    """The n biggest merchandise names by spend (fuel/coupon bookkeeping rows left out)."""
    ranked = sorted(
        ((name, value) for name, value in spend.items() if is_merchandise(name)),
        key=lambda item: (-item[1], item[0]),
    )[:n]
    return [
        NamedSpend(
            name=name,
            spend=round(value, 2),
            share=round(value / total, 4) if total > 0 else 0.0,
            buyers=None if buyers is None else buyers.get(name, 0),
        )
        for name, value in ranked
    ]


# --------------------------------------------------------------------------- household


def household_profile(
    session: Session,
    household_id: int,
    *,
    today: date,
    window_days: int = DEFAULT_WINDOW_DAYS,
    top_n: int = 5,
) -> HouseholdProfile:
    """Recency, frequency and spend, what the household buys, and its coupon history."""
    if session.get(Household, household_id) is None:
        raise NotFoundError(f"household {household_id} does not exist")
    end, start = day_start(today), window_start(today, window_days)
    ts = Transaction.transaction_timestamp
    mine = (Transaction.household_id == household_id, ts < end)
    first, last, lifetime_visits, lifetime_spend = session.execute(
        select(
            func.min(ts),
            func.max(ts),
            func.count(func.distinct(Transaction.basket_id)),
            func.coalesce(func.sum(Transaction.sales_value), 0.0),
        ).where(*mine)
    ).one()
    visits, spend = session.execute(
        select(
            func.count(func.distinct(Transaction.basket_id)),
            func.coalesce(func.sum(Transaction.sales_value), 0.0),
        ).where(*mine, ts >= start)
    ).one()
    last_day = _as_date(last)
    total = float(spend)
    mix = _mix(session, [household_id], start, end)
    return HouseholdProfile(
        household_id=household_id,
        today=today,
        window_days=window_days,
        first_purchase=_as_date(first),
        last_purchase=last_day,
        recency_days=(today - last_day).days if last_day else None,
        visits=int(visits),
        spend=round(total, 2),
        avg_basket=round(total / visits, 2) if visits else None,
        lifetime_visits=int(lifetime_visits),
        lifetime_spend=round(float(lifetime_spend), 2),
        top_departments=_top(mix.department_spend, total, top_n),
        top_categories=_top(mix.category_spend, total, top_n),
        campaigns_received=_campaign_history(session, household_id, today),
        redemptions=int(
            session.execute(
                select(func.count()).where(
                    CouponRedemption.household_id == household_id,
                    CouponRedemption.redemption_date < today,
                )
            ).scalar_one()
        ),
        coupons_issued=int(
            session.execute(
                select(func.count()).where(IssuedCoupon.household_id == household_id)
            ).scalar_one()
        ),
        demographics=_demographics(session, household_id),
    )


def _campaign_history(session: Session, household_id: int, today: date) -> list[CampaignHistory]:
    redeemed = (
        select(CouponRedemption.campaign_id, func.count().label("n"))
        .where(
            CouponRedemption.household_id == household_id,
            CouponRedemption.redemption_date < today,
        )
        .group_by(CouponRedemption.campaign_id)
        .subquery()
    )
    rows = session.execute(
        select(
            RetailCampaign.campaign_id,
            RetailCampaign.campaign_type,
            RetailCampaign.start_date,
            RetailCampaign.end_date,
            func.coalesce(redeemed.c.n, 0),
        )
        .join(CampaignReceipt, CampaignReceipt.campaign_id == RetailCampaign.campaign_id)
        .outerjoin(redeemed, redeemed.c.campaign_id == RetailCampaign.campaign_id)
        .where(CampaignReceipt.household_id == household_id, RetailCampaign.start_date < today)
        .order_by(RetailCampaign.start_date, RetailCampaign.campaign_id)
    ).all()
    return [
        CampaignHistory(
            campaign_id=cid, campaign_type=kind, start_date=start, end_date=end, redemptions=int(n)
        )
        for cid, kind, start, end, n in rows
    ]


def _demographics(session: Session, household_id: int) -> DemographicsRow | None:
    row = session.get(Demographics, household_id)
    if row is None:
        return None
    return DemographicsRow(
        age=row.age,
        income=row.income,
        home_ownership=row.home_ownership,
        marital_status=row.marital_status,
        household_size=row.household_size,
        household_comp=row.household_comp,
        kids_count=row.kids_count,
    )


# --------------------------------------------------------------------------- segment


def segment_summary(
    session: Session,
    household_ids: Sequence[int],
    *,
    today: date,
    window_days: int = DEFAULT_WINDOW_DAYS,
    top_n: int = 5,
) -> SegmentSummary:
    """Size, spend/visit/recency distributions, top departments/categories, demographics.

    Spend, visits and the last visit come from `household_days` (one row per household-day,
    kept in step with the lines at every load): the window is whole days, so the sums are
    the lines' own, and a visit is a basket, which is on one day. Only the department and
    category mix joins the window's lines to the catalog.
    """
    ids = sorted(set(household_ids))
    end, start = day_start(today), window_start(today, window_days)
    day = HouseholdDay.day
    spend: dict[int, float] = {}
    visits: dict[int, int] = {}
    last: dict[int, date] = {}
    for chunk in _chunks(ids):
        for household, value, baskets, newest in session.execute(
            select(
                HouseholdDay.household_id,
                func.sum(case((day >= start.date(), HouseholdDay.spend), else_=0.0)),
                func.sum(case((day >= start.date(), HouseholdDay.baskets), else_=0)),
                func.max(day),
            )
            .where(HouseholdDay.household_id.in_(chunk), day < end.date())
            .group_by(HouseholdDay.household_id)
        ):
            if baskets:  # every household-day has a basket: a day in the window
                spend[household] = float(value or 0.0)
                visits[household] = int(baskets)
            when = _as_date(newest)
            if when is not None:
                last[household] = when
    total = sum(spend.values())
    measured = _mix_sample(ids)
    mix = _mix(session, measured, start, end)
    if len(measured) < len(ids):
        mix = mix.scaled(len(ids) / len(measured))
    return SegmentSummary(
        size=len(ids),
        today=today,
        window_days=window_days,
        active_households=sum(1 for h in ids if visits.get(h, 0) > 0),
        total_spend=round(total, 2),
        spend=Distribution.of([spend.get(h, 0.0) for h in ids]),
        visits=Distribution.of([float(visits.get(h, 0)) for h in ids]),
        recency_days=Distribution.of([float((today - d).days) for d in last.values()]),
        top_departments=_top(mix.department_spend, total, top_n),
        top_categories=_top(mix.category_spend, total, top_n, mix.category_buyers),
        mix_households=len(measured),
        demographics=_coverage(session, ids),
    )


def _coverage(session: Session, ids: list[int], top_n: int = 6) -> DemographicCoverage:
    columns = {
        "age": Demographics.age,
        "income": Demographics.income,
        "household_size": Demographics.household_size,
        "kids_count": Demographics.kids_count,
    }
    counts: dict[str, dict[str, int]] = {name: defaultdict(int) for name in columns}
    covered = 0
    for chunk in _chunks(ids):
        rows = session.execute(
            select(*columns.values()).where(Demographics.household_id.in_(chunk))
        ).all()
        covered += len(rows)
        for row in rows:
            for name, value in zip(columns, row, strict=True):
                if value:
                    counts[name][value] += 1

    def bands(name: str) -> list[BandShare]:
        ranked = sorted(counts[name].items(), key=lambda item: (-item[1], item[0]))[:top_n]
        return [
            BandShare(band=band, households=n, share=round(n / covered, 4) if covered else 0.0)
            for band, n in ranked
        ]

    return DemographicCoverage(
        households_with_demographics=covered,
        share=round(covered / len(ids), 4) if ids else 0.0,
        age=bands("age"),
        income=bands("income"),
        household_size=bands("household_size"),
        kids_count=bands("kids_count"),
    )
