"""A free question as a small typed query, and the one function that answers it from the data.

"How many households bought coffee in March?", "which categories sell best among lapsed
households?", "how many redeemed a coupon in 2017?" all become a `QuestionQuery`: what is
counted (`measure`), over which catalog scope, in which window, for which households
(`filters`), grouped and cut to a top-N or not. The reader (agent/question_reading.py) or a
capable endpoint builds it; `run_question_query` executes it with the same audience rules the
planner uses (tools/queries/segments.py), so "lapsed 60 days" means the same in a question as
in a campaign. The result echoes the query, so an answer can restate exactly what was counted.

Windows are calendar days with both ends included; nothing on or after `today` is seen.
A window of None means all the data before `today`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

from coupondesk.tools.catalog.text import is_merchandise
from coupondesk.tools.db.schema import (
    CampaignReceipt,
    CouponRedemption,
    Household,
    IssuedCoupon,
    Product,
    RetailCampaign,
    Transaction,
)
from coupondesk.tools.errors import BadInputError
from coupondesk.tools.queries.segments import (
    bought_between_rule,
    bought_rule,
    check_scope_names,
    day_start,
    lapsed_rule,
    scope_is_broad,
    spend_between_rule,
)
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

Measure = Literal[
    "households", "baskets", "spend", "units", "redemptions", "coupons_issued", "campaigns"
]
"""What a question counts: distinct households, distinct baskets, sales dollars, units sold,
retail coupon redemptions, coupondesk codes issued, historical retail campaigns."""
GroupBy = Literal["category", "department"]

LINE_MEASURES: frozenset[str] = frozenset({"households", "baskets", "spend", "units"})
"""Measures computed from transaction lines (the only ones a scope or a grouping applies to)."""
MAX_TOP_N = 50


class Window(BaseModel):
    """Whole days, both ends included, and the words the question used for them."""

    model_config = ConfigDict(frozen=True)

    start: date
    end: date
    words: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end < self.start:
            raise ValueError(f"the window ends ({self.end}) before it starts ({self.start})")
        return self

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """[start 00:00, end + 1 day 00:00) for timestamp comparisons."""
        return day_start(self.start), day_start(self.end + timedelta(days=1))


class QueryScope(BaseModel):
    """Catalog departments/categories (catalog spelling) and the phrases they were read from."""

    departments: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    phrases: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    """How a phrase was read when it was not an exact catalog name (a synonym, a spelling)."""

    @property
    def empty(self) -> bool:
        return not self.departments and not self.categories


class QueryFilters(BaseModel):
    """Which households count; each rule is the planner's audience rule of the same name."""

    lapsed_days: int | None = Field(default=None, ge=1, le=36_500)
    """No purchase in the last N days, but one before (the store's, or the scope's)."""
    lapsed_from_scope: bool = False
    """Lapsed from the scope ("haven't bought coffee in 60 days"), not from the store."""
    active_days: int | None = Field(default=None, ge=1, le=36_500)
    """A purchase (anything) in the last N days."""
    min_spend: float | None = Field(default=None, ge=0)
    min_spend_inclusive: bool = True
    """"at least $500" (True) or "more than $500" (False)."""
    spend_window: Window | None = None
    """The window min_spend is measured in (None = all the data)."""
    redeemed_coupon: bool = False
    """Redeemed at least one retail coupon (in redeemed_window, if given)."""
    redeemed_window: Window | None = None
    received_campaign: bool = False
    """Received at least one retail campaign (running in received_window, if given)."""
    received_window: Window | None = None

    @property
    def empty(self) -> bool:
        return not (self.lapsed_days or self.active_days or self.min_spend is not None
                    or self.redeemed_coupon or self.received_campaign)


class QuestionQuery(BaseModel):
    """The typed reading of a free question (what `coupondesk ask --json` shows as "query")."""

    measure: Measure
    scope: QueryScope = Field(default_factory=QueryScope)
    window: Window | None = None
    """The window of the measure (purchases, redemptions, issues); None = all the data."""
    filters: QueryFilters = Field(default_factory=QueryFilters)
    group_by: GroupBy | None = None
    top_n: int | None = Field(default=None, ge=1, le=MAX_TOP_N)
    language: Literal["en", "zh"] = "en"
    notes: list[str] = Field(default_factory=list)
    """Assumptions the reading made (a policy-default lapsed window), restated to the operator."""

    @model_validator(mode="after")
    def _expressible(self) -> QuestionQuery:
        if self.measure not in LINE_MEASURES and (not self.scope.empty or self.group_by):
            raise ValueError(f"{self.measure} cannot be split by catalog scope or grouped")
        if self.measure == "campaigns" and not self.filters.empty:
            raise ValueError("campaigns are counted without household filters")
        if self.filters.lapsed_from_scope and (self.scope.empty or not self.filters.lapsed_days):
            raise ValueError("lapsed_from_scope needs a scope and lapsed_days")
        return self


class GroupRow(BaseModel):
    """One department or category of a grouped answer."""

    name: str
    value: float


class QueryResult(BaseModel):
    """The figure (or the top-N rows) of a query, with the window actually counted."""

    query: QuestionQuery
    value: float | None
    """The figure; None for a grouped query (see rows)."""
    rows: list[GroupRow] = Field(default_factory=list)
    counted_from: date
    counted_to: date
    """The days actually counted (the window, or all the data before today)."""
    total_households: int


# --------------------------------------------------------------------------- filters


def _window_bounds(window: Window | None, today: date) -> tuple[datetime | None, datetime]:
    end = day_start(today)
    if window is None:
        return None, end
    low, high = window.bounds
    return low, min(high, end)


def household_rules(
    session: Session, query: QuestionQuery, *, today: date
) -> list[ColumnElement[bool]]:
    """The filters as expressions over `households` (ANDed by the caller)."""
    filters, scope = query.filters, query.scope
    rules: list[ColumnElement[bool]] = []
    if filters.lapsed_days is not None:
        if filters.lapsed_from_scope:
            broad = scope_is_broad(session, scope.departments, scope.categories)
            rules.append(lapsed_rule(today=today, days=filters.lapsed_days,
                                     departments=scope.departments,
                                     categories=scope.categories, broad=broad))
        else:
            rules.append(lapsed_rule(today=today, days=filters.lapsed_days))
    if filters.active_days is not None:
        rules.append(bought_rule(today=today, days=filters.active_days))
    if filters.min_spend is not None:
        start, end = _window_bounds(filters.spend_window, today)
        rules.append(spend_between_rule(start=start, end=end, amount=filters.min_spend,
                                        inclusive=filters.min_spend_inclusive))
    if filters.redeemed_coupon:
        redeemed = select(CouponRedemption.household_id).where(
            CouponRedemption.redemption_date < today)
        if filters.redeemed_window is not None:
            redeemed = redeemed.where(
                CouponRedemption.redemption_date >= filters.redeemed_window.start,
                CouponRedemption.redemption_date <= filters.redeemed_window.end)
        rules.append(Household.household_id.in_(redeemed))
    if filters.received_campaign:
        received = select(CampaignReceipt.household_id).join(
            RetailCampaign, RetailCampaign.campaign_id == CampaignReceipt.campaign_id
        ).where(RetailCampaign.start_date < today)
        if filters.received_window is not None:
            received = received.where(RetailCampaign.start_date <= filters.received_window.end,
                                      RetailCampaign.end_date >= filters.received_window.start)
        rules.append(Household.household_id.in_(received))
    return rules


# --------------------------------------------------------------------------- measures


def _first_day(session: Session) -> date | None:
    first = session.execute(select(func.min(Transaction.transaction_timestamp))).scalar_one()
    return first.date() if isinstance(first, datetime) else None


def _line_where(session: Session, query: QuestionQuery, today: date,
                rules: list[ColumnElement[bool]]) -> list[ColumnElement[bool]]:
    ts = Transaction.transaction_timestamp
    start, end = _window_bounds(query.window, today)
    where: list[ColumnElement[bool]] = [ts < end]
    if start is not None:
        where.append(ts >= start)
    scope = query.scope
    if not scope.empty:
        products = select(Product.product_id).where(
            Product.department.in_(scope.departments)
            | Product.product_category.in_(scope.categories))
        where.append(Transaction.product_id.in_(products))
    if rules:
        where.append(Transaction.household_id.in_(
            select(Household.household_id).where(*rules)))
    return where


_LINE_AGGREGATES = {
    "households": lambda: func.count(func.distinct(Transaction.household_id)),
    "baskets": lambda: func.count(func.distinct(Transaction.basket_id)),
    "spend": lambda: func.coalesce(func.sum(Transaction.sales_value), 0.0),
    "units": lambda: func.coalesce(func.sum(Transaction.quantity), 0),
}


def _grouped(session: Session, query: QuestionQuery, where: list[ColumnElement[bool]]
             ) -> list[GroupRow]:
    column = Product.product_category if query.group_by == "category" else Product.department
    aggregate = _LINE_AGGREGATES[query.measure]()
    rows = session.execute(
        select(column, aggregate)
        .join(Product, Product.product_id == Transaction.product_id)
        .where(*where, column.is_not(None))
        .group_by(column)
        .order_by(aggregate.desc(), column)
    ).all()
    named = [GroupRow(name=str(name), value=round(float(value), 2))
             for name, value in rows if name and is_merchandise(str(name))]
    return named[: query.top_n or 5]


def _households(session: Session, query: QuestionQuery, today: date,
                rules: list[ColumnElement[bool]]) -> int:
    scope = query.scope
    if query.window is not None or not scope.empty:
        start, end = _window_bounds(query.window, today)
        broad = scope_is_broad(session, scope.departments, scope.categories)
        rules = [*rules, bought_between_rule(start=start, end=end, departments=scope.departments,
                                             categories=scope.categories, broad=broad)]
    return int(session.execute(
        select(func.count()).select_from(Household).where(*rules)).scalar_one())


def run_question_query(session: Session, query: QuestionQuery, *, today: date) -> QueryResult:
    """Answer a typed question from the database (read-only)."""
    check_scope_names(session, query.scope.departments, query.scope.categories)
    if query.window is not None and query.window.start >= today and (
            query.measure != "coupons_issued"):
        raise BadInputError(f"the window starts on {query.window.start}, on or after today "
                            f"({today}): there is no data for it yet")
    rules = household_rules(session, query, today=today)
    value: float | None = None
    rows: list[GroupRow] = []
    if query.measure in LINE_MEASURES:
        where = _line_where(session, query, today, rules)
        if query.group_by is not None:
            rows = _grouped(session, query, where)
        elif query.measure == "households":
            value = _households(session, query, today, rules)
        else:
            figure = session.execute(
                select(_LINE_AGGREGATES[query.measure]()).where(*where)).scalar_one()
            value = round(float(figure or 0), 2)
    elif query.measure == "redemptions":
        start, end = _window_bounds(query.window, today)
        day = CouponRedemption.redemption_date
        where_r: list[ColumnElement[bool]] = [day < end.date()]
        if start is not None:
            where_r.append(day >= start.date())
        if rules:
            where_r.append(CouponRedemption.household_id.in_(
                select(Household.household_id).where(*rules)))
        value = int(session.execute(select(func.count()).where(*where_r)).scalar_one())
    elif query.measure == "coupons_issued":
        # coupondesk issues codes in real time, after the retail data ends: no window = all.
        where_i: list[ColumnElement[bool]] = []
        if query.window is not None:
            low, high = query.window.bounds
            where_i += [IssuedCoupon.issued_at >= low, IssuedCoupon.issued_at < high]
        if rules:
            where_i.append(IssuedCoupon.household_id.in_(
                select(Household.household_id).where(*rules)))
        value = int(session.execute(
            select(func.count()).select_from(IssuedCoupon).where(*where_i)).scalar_one())
    else:  # campaigns: historical retail campaigns running in the window
        where_c: list[ColumnElement[bool]] = [RetailCampaign.start_date < today]
        if query.window is not None:
            where_c += [RetailCampaign.start_date <= query.window.end,
                        RetailCampaign.end_date >= query.window.start]
        value = int(session.execute(select(func.count()).where(*where_c)).scalar_one())
    first = _first_day(session) or today
    counted_from = query.window.start if query.window is not None else first
    counted_to = min(query.window.end, today - timedelta(days=1)) if query.window else (
        today - timedelta(days=1))
    total = session.execute(select(func.count()).select_from(Household)).scalar_one()
    return QueryResult(query=query, value=value, rows=rows, counted_from=counted_from,
                       counted_to=counted_to, total_households=int(total))
