"""History: the transaction tables reshaped once for fast, leak-safe slicing by time.

Every feature and sequence builder takes a History and a cutoff and reads only rows strictly
before that cutoff, so one preparation (a few seconds) serves every cutoff and campaign.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from coupondesk.models.frames import RetailFrames

UNKNOWN = "UNKNOWN"
"""Token/label for a missing catalog department or category."""

_LINE_ORDER = ["t", "basket_id", "product_id", "spend", "retail_disc", "coupon_disc",
               "coupon_match_disc", "household_id"]
"""The sort key of `History.lines`: time first (features cut at a date), then every other
column a model reads, so two reads of the same rows give the same lines in the same order."""

def line_order(lines: pd.DataFrame) -> np.ndarray:
    """The stable sort of `lines` on `_LINE_ORDER` (what sort_values on those keys gives).

    The first three keys (time, basket, product) tell apart all but a few lines (the same
    product twice in one basket), so they are sorted first and only the tied runs are sorted
    on the remaining keys: 2-3x faster than sorting every line on eight keys.
    """
    head, rest = _LINE_ORDER[:3], _LINE_ORDER[3:]
    order = np.lexsort([lines[c].to_numpy() for c in reversed(head)])
    if len(order) < 2:
        return order
    keys = [lines[c].to_numpy()[order] for c in head]
    same = np.ones(len(order) - 1, dtype=bool)
    for key in keys:
        same &= (key[1:] == key[:-1]) | (np.isnan(key[1:]) & np.isnan(key[:-1])
                                         if key.dtype.kind == "f" else False)
    if not same.any():
        return order
    tied = np.flatnonzero(np.r_[same, False] | np.r_[False, same])  # positions in a tie
    run = np.cumsum(np.r_[True, ~same])[tied]  # which tie each of those positions is in
    rows = order[tied]
    within = np.lexsort([*(lines[c].to_numpy()[rows] for c in reversed(rest)), run])
    order[tied] = rows[within]
    return order


EPOCH = pd.Timestamp("2017-01-01")
"""Times are stored as float days since this epoch (first day of the Complete Journey data)."""


def timestamp_days(when: pd.Timestamp) -> float:
    """Float days since EPOCH of one timestamp (typed as a float, for callers that need one)."""
    return float((when - EPOCH) / pd.Timedelta(days=1))


def to_days(when: pd.Timestamp | pd.Series | np.ndarray) -> np.ndarray | float:
    """Float days since EPOCH; works for a Timestamp, a Series or a datetime64 array."""
    if isinstance(when, pd.Timestamp):
        return timestamp_days(when)
    values = pd.to_datetime(pd.Series(np.asarray(when))).to_numpy()
    return (values - EPOCH.to_datetime64()) / np.timedelta64(1, "D")


@dataclass(frozen=True)
class History:
    """Transaction lines and baskets with catalog codes and float-day times, sorted by time."""

    lines: pd.DataFrame
    """One row per transaction line: household_id, basket_id, product_id, t (days), spend,
    retail_disc, coupon_disc, coupon_match_disc, cat (category code), dept (department code)."""
    baskets: pd.DataFrame
    """One row per basket: household_id, basket_id, t, spend, n_lines, coupon_lines,
    retail_disc, coupon_disc; sorted by (household_id, t)."""
    categories: tuple[str, ...]
    """Category vocabulary: index = category code (0 is UNKNOWN)."""
    departments: tuple[str, ...]
    """Department vocabulary: index = department code (0 is UNKNOWN)."""
    product_cat: pd.Series
    """product_id -> category code, for every catalog product."""
    product_dept: pd.Series
    """product_id -> department code, for every catalog product."""
    product_manufacturer: pd.Series
    """product_id -> manufacturer_id, for every catalog product."""
    private_label: pd.Series
    """product_id -> 1.0 for the retailer's private-label brand, else 0.0."""
    frames: RetailFrames
    """The tables this history was built from (campaign tables are read from here)."""

    @classmethod
    def from_frames(cls, frames: RetailFrames) -> History:
        """Join lines to the catalog, code categories/departments, and build the basket table."""
        products = frames.products
        category_names = products["product_category"].astype("object").fillna(UNKNOWN)
        department_names = products["department"].astype("object").fillna(UNKNOWN)
        categories = (UNKNOWN, *sorted(set(category_names) - {UNKNOWN}))
        departments = (UNKNOWN, *sorted(set(department_names) - {UNKNOWN}))
        cat_code = {name: i for i, name in enumerate(categories)}
        dept_code = {name: i for i, name in enumerate(departments)}
        product_ids = products["product_id"].to_numpy()
        product_cat = pd.Series(category_names.map(cat_code).to_numpy(np.int32), index=product_ids)
        product_dept = pd.Series(
            department_names.map(dept_code).to_numpy(np.int32), index=product_ids
        )

        tx = frames.transactions
        lines = pd.DataFrame(
            {
                "household_id": tx["household_id"].to_numpy(np.int64),
                "basket_id": tx["basket_id"].to_numpy(np.int64),
                "product_id": tx["product_id"].to_numpy(np.int64),
                "t": to_days(tx["transaction_timestamp"]),
                "spend": tx["sales_value"].to_numpy(np.float64),
                "retail_disc": tx["retail_disc"].to_numpy(np.float64),
                "coupon_disc": tx["coupon_disc"].to_numpy(np.float64),
                "coupon_match_disc": tx["coupon_match_disc"].to_numpy(np.float64),
            }
        )
        lines["cat"] = product_cat.reindex(lines["product_id"]).fillna(0).to_numpy(np.int32)
        lines["dept"] = product_dept.reindex(lines["product_id"]).fillna(0).to_numpy(np.int32)
        # Every column the models read is in the key, so the order (and with it every float
        # sum over lines) is the same whatever order the source returned the rows in: a
        # database does not promise one without ORDER BY, and PostgreSQL's varies at scale.
        lines = lines.take(line_order(lines)).reset_index(drop=True)

        lines["coupon_line"] = (lines["coupon_disc"] != 0).astype(np.int32)
        baskets = (
            lines.groupby("basket_id", sort=False)
            .agg(
                household_id=("household_id", "first"),
                t=("t", "min"),
                spend=("spend", "sum"),
                n_lines=("spend", "size"),
                coupon_lines=("coupon_line", "sum"),
                retail_disc=("retail_disc", "sum"),
                coupon_disc=("coupon_disc", "sum"),
            )
            .reset_index()
        )
        baskets = baskets.sort_values(["household_id", "t", "basket_id"],
                                      kind="stable").reset_index(drop=True)
        return cls(
            lines=lines,
            baskets=baskets,
            categories=categories,
            departments=departments,
            product_cat=product_cat,
            product_dept=product_dept,
            product_manufacturer=pd.Series(
                products["manufacturer_id"].fillna(-1).to_numpy(np.int64), index=product_ids),
            private_label=pd.Series(
                products["brand"].astype("object").eq("Private").to_numpy(np.float64),
                index=product_ids),
            frames=frames,
        )

    def lines_before(self, cutoff: float) -> pd.DataFrame:
        """Lines strictly before `cutoff` (float days): the only lines a feature may read."""
        end = int(np.searchsorted(self.lines["t"].to_numpy(), cutoff, side="left"))
        return self.lines.iloc[:end]

    def baskets_before(self, cutoff: float) -> pd.DataFrame:
        """Baskets strictly before `cutoff` (float days)."""
        return self.baskets[self.baskets["t"].to_numpy() < cutoff]

    @property
    def households(self) -> np.ndarray:
        """Every household with at least one transaction, sorted."""
        return np.sort(self.baskets["household_id"].unique())
