"""Answers to the operator's free questions, offline: plain typed queries the agent routes to.

"How many households bought coffee last month?", "what did produce sell in December?",
"how is campaign 12 doing?", "how did retail campaign 18 perform?". Each function returns a
small pydantic model that echoes its inputs (period, scope), so the agent can phrase an answer
without remembering what it asked.

Periods are calendar days with both ends included (`start=2017-12-01, end=2017-12-31` is
December), because that is how operators say them; internally that is [start 00:00, end+1 00:00).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from coupondesk.tools.catalog.text import is_merchandise
from coupondesk.tools.db.schema import (
    Approval,
    BudgetEntry,
    Campaign,
    CampaignReceipt,
    CouponRedemption,
    Holdout,
    Household,
    IssuedCoupon,
    Product,
    RetailCampaign,
    RetailCoupon,
    Transaction,
    is_row_id,
)
from coupondesk.tools.errors import BadInputError, NotFoundError
from coupondesk.tools.queries.segments import check_scope_names, day_start
from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session


class Period(BaseModel):
    """A span of whole days, both ends included."""

    model_config = ConfigDict(frozen=True)

    start: date
    end: date

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """[start 00:00, end + 1 day 00:00) for timestamp comparisons."""
        return day_start(self.start), day_start(self.end + timedelta(days=1))


class BuyerCount(BaseModel):
    """How many households bought in a scope during a period, out of all households."""

    period: Period
    departments: list[str]
    categories: list[str]
    households: int
    total_households: int
    share: float


class NamedSales(BaseModel):
    """Sales of one department or category in a period."""

    model_config = ConfigDict(frozen=True)

    name: str
    sales: float
    households: int


class SalesSummary(BaseModel):
    """Sales in a scope (or storewide) during a period."""

    period: Period
    departments: list[str]
    categories: list[str]
    sales: float
    units: int
    lines: int
    baskets: int
    households: int
    sales_per_household: float | None
    retail_discount: float
    coupon_discount: float
    top_categories: list[NamedSales]


class DataPeriod(BaseModel):
    """What the database covers: first and last transaction, households, lines."""

    first_transaction: datetime | None
    last_transaction: datetime | None
    households: int
    transaction_lines: int


class CampaignSummary(BaseModel):
    """A coupondesk campaign: where it stands, whom it reaches, what it may cost."""

    campaign_id: int
    request: str
    status: str
    created_by: str
    created_at: datetime | None
    offer: dict[str, Any] | None
    """The offer terms of the plan (kind, value, min_spend, validity, scope)."""
    audience_size: int | None
    budget: float | None
    expected_cost: float | None
    valid_from: date | None
    valid_to: date | None
    issued_codes: int
    codes_by_status: dict[str, int]
    holdout_households: int
    approvals: list[str]
    """"operator at time" for each approval."""
    budget_committed: float
    rejected_reason: str | None


class RetailCampaignSummary(BaseModel):
    """A historical retail campaign: reach, redemptions and what its coupons covered."""

    campaign_id: int
    campaign_type: str
    start_date: date
    end_date: date
    households_received: int
    households_redeemed: int
    redemptions: int
    redemption_rate: float
    """Share of receiving households that redeemed at least one coupon."""
    coupons: int
    """Distinct coupon UPCs of the campaign."""
    products_covered: int
    top_categories: list[str]
    """Categories with the most covered products."""


# --------------------------------------------------------------------------- scope helpers


def _period(start: date, end: date) -> Period:
    if end < start:
        raise BadInputError(f"the period ends ({end}) before it starts ({start})")
    return Period(start=start, end=end)


def _scope_lines(
    departments: Sequence[str], categories: Sequence[str]
) -> list[ColumnElement[bool]]:
    """Line filter for a scope: lines whose product is in any department/category named."""
    if not departments and not categories:
        return []
    products = select(Product.product_id).where(
        Product.department.in_(list(departments)) | Product.product_category.in_(list(categories))
    )
    return [Transaction.product_id.in_(products)]


# --------------------------------------------------------------------------- questions


def count_households_bought(
    session: Session,
    departments: Sequence[str] = (),
    categories: Sequence[str] = (),
    *,
    start: date,
    end: date,
) -> BuyerCount:
    """Households that bought in any of the departments/categories (or anything) in the period."""
    check_scope_names(session, departments, categories)
    period = _period(start, end)
    low, high = period.bounds
    ts = Transaction.transaction_timestamp
    households = session.execute(
        select(func.count(func.distinct(Transaction.household_id))).where(
            ts >= low, ts < high, *_scope_lines(departments, categories)
        )
    ).scalar_one()
    total = session.execute(select(func.count()).select_from(Household)).scalar_one()
    return BuyerCount(
        period=period,
        departments=list(departments),
        categories=list(categories),
        households=int(households),
        total_households=int(total),
        share=round(households / total, 4) if total else 0.0,
    )


def sales_summary(
    session: Session,
    departments: Sequence[str] = (),
    categories: Sequence[str] = (),
    *,
    start: date,
    end: date,
    top_n: int = 5,
) -> SalesSummary:
    """Sales, units, baskets, households and discounts in a scope (or storewide) in a period."""
    check_scope_names(session, departments, categories)
    period = _period(start, end)
    low, high = period.bounds
    ts = Transaction.transaction_timestamp
    where = [ts >= low, ts < high, *_scope_lines(departments, categories)]
    sales, units, lines, baskets, households, retail, coupon = session.execute(
        select(
            func.coalesce(func.sum(Transaction.sales_value), 0.0),
            func.coalesce(func.sum(Transaction.quantity), 0),
            func.count(),
            func.count(func.distinct(Transaction.basket_id)),
            func.count(func.distinct(Transaction.household_id)),
            func.coalesce(func.sum(Transaction.retail_disc), 0.0),
            func.coalesce(func.sum(Transaction.coupon_disc + Transaction.coupon_match_disc), 0.0),
        ).where(*where)
    ).one()
    return SalesSummary(
        period=period,
        departments=list(departments),
        categories=list(categories),
        sales=round(float(sales), 2),
        units=int(units),
        lines=int(lines),
        baskets=int(baskets),
        households=int(households),
        sales_per_household=round(float(sales) / households, 2) if households else None,
        retail_discount=round(float(retail), 2),
        coupon_discount=round(float(coupon), 2),
        top_categories=_category_sales(session, where, top_n),
    )


def top_categories(
    session: Session,
    *,
    start: date,
    end: date,
    departments: Sequence[str] = (),
    n: int = 10,
) -> list[NamedSales]:
    """The best-selling categories of a period (optionally within some departments)."""
    check_scope_names(session, departments, ())
    low, high = _period(start, end).bounds
    ts = Transaction.transaction_timestamp
    return _category_sales(session, [ts >= low, ts < high, *_scope_lines(departments, ())], n)


def _category_sales(session: Session, where: list[ColumnElement[bool]], n: int) -> list[NamedSales]:
    rows = session.execute(
        select(
            Product.product_category,
            func.sum(Transaction.sales_value).label("sales"),
            func.count(func.distinct(Transaction.household_id)),
        )
        .join(Product, Product.product_id == Transaction.product_id)
        .where(*where, Product.product_category.is_not(None))
        .group_by(Product.product_category)
        .order_by(func.sum(Transaction.sales_value).desc(), Product.product_category)
    ).all()
    named = [
        NamedSales(name=name, sales=round(float(value), 2), households=int(buyers))
        for name, value, buyers in rows
        if name is not None and is_merchandise(name)
    ]
    return named[:n]


def data_period(session: Session) -> DataPeriod:
    """The span of the transaction data and how many households and lines it holds."""
    ts = Transaction.transaction_timestamp
    first, last, lines = session.execute(select(func.min(ts), func.max(ts), func.count())).one()
    households = session.execute(select(func.count()).select_from(Household)).scalar_one()
    return DataPeriod(
        first_transaction=first,
        last_transaction=last,
        households=int(households),
        transaction_lines=int(lines),
    )


# --------------------------------------------------------------------------- campaigns


def campaign_summary(session: Session, campaign_id: int) -> CampaignSummary:
    """A coupondesk campaign's status, issued codes, audience, expected cost and budget."""
    campaign = session.get(Campaign, campaign_id) if is_row_id(campaign_id) else None
    if campaign is None:
        raise NotFoundError(f"campaign {campaign_id} does not exist")
    by_status: dict[str, int] = {
        str(status): int(count)
        for status, count in session.execute(
            select(IssuedCoupon.status, func.count())
            .where(IssuedCoupon.campaign_id == campaign_id)
            .group_by(IssuedCoupon.status)
        )
    }
    holdouts = session.execute(
        select(func.count()).where(Holdout.campaign_id == campaign_id)
    ).scalar_one()
    approvals = session.execute(
        select(Approval.operator, Approval.approved_at)
        .where(Approval.campaign_id == campaign_id)
        .order_by(Approval.approved_at, Approval.id)
    ).all()
    committed = session.execute(
        select(func.coalesce(func.sum(BudgetEntry.amount), 0.0)).where(
            BudgetEntry.campaign_id == campaign_id
        )
    ).scalar_one()
    plan = campaign.plan_json or {}
    offer = plan.get("offer") if isinstance(plan, dict) else None
    return CampaignSummary(
        campaign_id=campaign.id,
        request=campaign.request,
        status=campaign.status,
        created_by=campaign.created_by,
        created_at=campaign.created_at,
        offer=offer if isinstance(offer, dict) else None,
        audience_size=campaign.audience_size,
        budget=campaign.budget,
        expected_cost=campaign.expected_cost,
        valid_from=campaign.valid_from,
        valid_to=campaign.valid_to,
        issued_codes=sum(by_status.values()),
        codes_by_status=by_status,
        holdout_households=int(holdouts),
        approvals=[f"{operator} at {at:%Y-%m-%d %H:%M}" for operator, at in approvals],
        budget_committed=round(float(committed), 2),
        rejected_reason=campaign.rejected_reason,
    )


def retail_campaign_summary(session: Session, campaign_id: int) -> RetailCampaignSummary:
    """A historical retail campaign: who received it, who redeemed, what its coupons cover."""
    campaign = session.get(RetailCampaign, campaign_id) if is_row_id(campaign_id) else None
    if campaign is None:
        raise NotFoundError(f"retail campaign {campaign_id} does not exist")
    received = session.execute(
        select(func.count()).where(CampaignReceipt.campaign_id == campaign_id)
    ).scalar_one()
    redemptions, redeemers = session.execute(
        select(func.count(), func.count(func.distinct(CouponRedemption.household_id))).where(
            CouponRedemption.campaign_id == campaign_id
        )
    ).one()
    coupons, products = session.execute(
        select(
            func.count(func.distinct(RetailCoupon.coupon_upc)),
            func.count(func.distinct(RetailCoupon.product_id)),
        ).where(RetailCoupon.campaign_id == campaign_id)
    ).one()
    covered = (
        select(RetailCoupon.product_id).where(RetailCoupon.campaign_id == campaign_id).distinct()
    )
    categories = session.execute(
        select(Product.product_category, func.count())
        .where(Product.product_id.in_(covered), Product.product_category.is_not(None))
        .group_by(Product.product_category)
        .order_by(func.count().desc(), Product.product_category)
        .limit(5)
    ).all()
    return RetailCampaignSummary(
        campaign_id=campaign.campaign_id,
        campaign_type=campaign.campaign_type,
        start_date=campaign.start_date,
        end_date=campaign.end_date,
        households_received=int(received),
        households_redeemed=int(redeemers),
        redemptions=int(redemptions),
        redemption_rate=round(redeemers / received, 4) if received else 0.0,
        coupons=int(coupons),
        products_covered=int(products),
        top_categories=[name for name, _count in categories if name is not None],
    )


def list_retail_campaigns(session: Session) -> list[RetailCampaignSummary]:
    """Every historical retail campaign, in start order (for "which campaigns worked best?")."""
    ids = session.scalars(
        select(RetailCampaign.campaign_id).order_by(
            RetailCampaign.start_date, RetailCampaign.campaign_id
        )
    ).all()
    return [retail_campaign_summary(session, campaign_id) for campaign_id in ids]
