"""Issue coupons straight into a scratch database (what dispatch leaves behind), for tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from coupondesk.tools.db.schema import Campaign, IssuedCoupon, Product
from coupondesk.tools.db.session import get_engine
from sqlalchemy import select, text
from sqlalchemy.orm import Session

VALID_FROM = date(2018, 1, 2)
VALID_TO = date(2018, 1, 8)


@dataclass(frozen=True)
class Catalog:
    """Two real products of the slice: one coffee, one outside coffee."""

    coffee: int
    other: int


def catalog(url: str) -> Catalog:
    with Session(get_engine(url)) as session:
        coffee = session.execute(
            select(Product.product_id)
            .where(Product.product_category == "COFFEE")
            .order_by(Product.product_id)
            .limit(1)
        ).scalar_one()
        other = session.execute(
            select(Product.product_id)
            .where(Product.department != "GROCERY")
            .order_by(Product.product_id)
            .limit(1)
        ).scalar_one()
    return Catalog(coffee=coffee, other=other)


def households(url: str, n: int) -> list[int]:
    with get_engine(url).connect() as connection:
        rows = connection.execute(text("SELECT household_id FROM households ORDER BY 1 LIMIT :n"),
                                  {"n": n})
        return list(rows.scalars())


def issue(
    url: str,
    *,
    n: int = 3,
    budget: float | None = 100.0,
    kind: str = "percent_off",
    value: float = 15.0,
    min_spend: float | None = None,
    max_discount: float | None = None,
    categories: tuple[str, ...] = ("COFFEE",),
    departments: tuple[str, ...] = (),
    prefix: str = "CD-TEST",
    valid_from: date = VALID_FROM,
    valid_to: date = VALID_TO,
) -> tuple[int, list[tuple[str, int]]]:
    """A dispatched campaign with `n` issued codes; returns (campaign id, [(code, household)])."""
    ids = households(url, n)
    with Session(get_engine(url)) as session, session.begin():
        campaign = Campaign(
            request="test", status="dispatched", plan_json={}, created_by="ana", budget=budget,
            valid_from=valid_from, valid_to=valid_to,
        )
        session.add(campaign)
        session.flush()
        codes = [(f"{prefix}-{campaign.id}-{i:04d}", h) for i, h in enumerate(ids)]
        session.add_all(
            IssuedCoupon(
                code=code, campaign_id=campaign.id, household_id=h, kind=kind, value=value,
                min_spend=min_spend, max_discount=max_discount, departments=list(departments),
                categories=list(categories), valid_from=valid_from, valid_to=valid_to,
                status="issued",
            )
            for code, h in codes
        )
        return campaign.id, codes
