"""The two prediction tasks, defined exactly as in issue 3, with their time splits.

Acceptance: one row per campaign receipt (household, campaign); label = the household redeemed
at least one coupon of that campaign. Behaviour: one row per household with history at each
4-weekly cutoff; targets are purchases/spend after the cutoff. Both splits are by time only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from coupondesk.models.history import EPOCH, History, timestamp_days, to_days

OWN_CAMPAIGN_OFFSET = 1_000_000
"""The product's own campaigns join the retail campaigns with ids offset by this (no clash)."""
ACCEPTANCE_SPLIT_DATE = pd.Timestamp("2017-08-08")
"""Train on campaigns whose window ended before this day; test on those starting on/after it."""
ACCEPTANCE_TEST_END = pd.Timestamp("2017-12-31")
"""Test campaigns must end by this day (later ones are right-censored at the data's end)."""
ACCEPTANCE_FOLD_DATE = pd.Timestamp("2017-05-08")
"""The earlier time fold used for tuning, calibration and model choice: same rule, earlier date."""
ACCEPTANCE_FOLD_END = ACCEPTANCE_SPLIT_DATE
"""Validation campaigns of the earlier fold must have ended before the test split date."""

BEHAVIOUR_CUTOFFS: tuple[pd.Timestamp, ...] = tuple(
    EPOCH + pd.Timedelta(days=28 * k) for k in range(2, 13)
)
"""2017-01-29 ... 2017-12-03: the 11 cutoffs 2017-01-01 + 28*k days, k = 2..12."""
BEHAVIOUR_LAST_TRAIN_CUTOFF = pd.Timestamp("2017-09-10")
"""Train on cutoffs up to this one; test on 2017-10-08, 2017-11-05, 2017-12-03."""
BEHAVIOUR_FOLD_LAST_TRAIN_CUTOFF = pd.Timestamp("2017-06-18")
"""Earlier fold: train on cutoffs up to 2017-06-18, validate on 07-16 and 08-13 (labels end
before the test cutoffs, and the 09-10 rows whose labels reach 10-08 are left out)."""
BEHAVIOUR_FOLD_LAST_VALID_CUTOFF = pd.Timestamp("2017-08-13")
"""Last validation cutoff of the earlier behaviour fold (its labels end 2017-09-10)."""
BEHAVIOUR_HORIZONS: tuple[int, ...] = (7, 14, 28)
"""Days ahead for the buy-in-next-N-days targets."""
TOP_DEPARTMENTS: tuple[str, ...] = (
    "GROCERY",
    "DRUG GM",
    "PRODUCE",
    "MEAT",
    "MEAT-PCKGD",
    "DELI",
    "PASTRY",
    "NUTRITION",
)
"""Departments with a per-department buy-in-next-28-days target (the largest by lines)."""
NEXT_VISIT_CAP = 28
"""Days to next visit is observed up to this cap for every cutoff (the data ends 2018-01-01)."""


@dataclass(frozen=True)
class AcceptanceSplit:
    """Which campaigns train and which test, by the rule of issue 3 at a split date."""

    split_date: pd.Timestamp
    test_end: pd.Timestamp
    train_campaigns: tuple[int, ...]
    test_campaigns: tuple[int, ...]
    dropped_campaigns: tuple[int, ...] = field(default=())
    """Campaigns starting before the first transaction (no history to build features from)."""

    def describe(self) -> dict[str, object]:
        """JSON-ready description for the model card."""
        return {
            "split_date": str(self.split_date.date()),
            "test_end": str(self.test_end.date()),
            "train_campaigns": list(self.train_campaigns),
            "test_campaigns": list(self.test_campaigns),
            "dropped_campaigns": list(self.dropped_campaigns),
            "rule": "train: window ended before split_date; test: starts on/after split_date "
            "and ends by test_end; campaigns starting before the first transaction dropped",
        }


def acceptance_split(
    history: History, split_date: pd.Timestamp, test_end: pd.Timestamp,
    *, own_test_open_ended: bool = False,
) -> AcceptanceSplit:
    """Apply the issue's split rule at `split_date` (the test split or an earlier tuning fold).

    The product's own campaigns (ids from OWN_CAMPAIGN_OFFSET) follow the same time rule. With
    `own_test_open_ended` (the main split) those starting on/after the split are test rows even
    past `test_end`: their outcomes were observed to the end of their window, so they are not
    right-censored the way the retail data's last campaigns are.
    """
    desc = history.frames.campaign_descriptions
    first_tx = EPOCH + pd.Timedelta(days=float(history.lines["t"].min()))
    dropped = desc[desc["start_date"] < first_tx.normalize()]["campaign_id"]
    kept = desc[~desc["campaign_id"].isin(dropped)]
    train = kept[kept["end_date"] < split_date]["campaign_id"]
    own = kept["campaign_id"] >= OWN_CAMPAIGN_OFFSET
    ends_in_time = kept["end_date"] <= test_end
    if own_test_open_ended:
        ends_in_time |= own
    test = kept[(kept["start_date"] >= split_date) & ends_in_time]["campaign_id"]
    return AcceptanceSplit(
        split_date=split_date,
        test_end=test_end,
        train_campaigns=tuple(sorted(int(c) for c in train)),
        test_campaigns=tuple(sorted(int(c) for c in test)),
        dropped_campaigns=tuple(sorted(int(c) for c in dropped)),
    )


def acceptance_rows(history: History, campaigns: tuple[int, ...] | None = None) -> pd.DataFrame:
    """One row per receipt: household_id, campaign_id, start (days), end (days), label.

    The label counts redemptions of that campaign by that household; all of them fall inside
    the campaign window in this data, so no redemption after `end` is needed to read it.
    """
    frames = history.frames
    receipts = frames.campaigns[["household_id", "campaign_id"]].drop_duplicates()
    if campaigns is not None:
        receipts = receipts[receipts["campaign_id"].isin(campaigns)]
    desc = frames.campaign_descriptions.set_index("campaign_id")
    redeemed = (
        frames.coupon_redemptions[["household_id", "campaign_id"]].drop_duplicates().assign(label=1)
    )
    rows = receipts.merge(redeemed, on=["household_id", "campaign_id"], how="left")
    rows["label"] = rows["label"].fillna(0).astype(np.int8)
    rows["start"] = to_days(desc.loc[rows["campaign_id"], "start_date"].to_numpy())
    rows["end"] = to_days(desc.loc[rows["campaign_id"], "end_date"].to_numpy())
    return rows.sort_values(["start", "campaign_id", "household_id"]).reset_index(drop=True)


def behaviour_rows(history: History, cutoffs: tuple[pd.Timestamp, ...]) -> pd.DataFrame:
    """One row per (household with a basket before the cutoff, cutoff) with every target.

    Targets: buy_7d/14d/28d (any basket in [cutoff, cutoff+N days)), spend_28d, one
    dept_<name> flag per TOP_DEPARTMENTS (a line of that department in the next 28 days), and
    next_visit_days (days from the cutoff to the next basket, capped at NEXT_VISIT_CAP).
    """
    baskets = history.baskets
    lines = history.lines
    dept_code = {name: i for i, name in enumerate(history.departments)}
    out: list[pd.DataFrame] = []
    for cutoff in cutoffs:
        c = timestamp_days(cutoff)
        seen = np.sort(baskets.loc[baskets["t"] < c, "household_id"].unique())
        rows = pd.DataFrame({"household_id": seen, "cutoff": c})
        ahead = baskets[(baskets["t"] >= c) & (baskets["t"] < c + max(BEHAVIOUR_HORIZONS))]
        for horizon in BEHAVIOUR_HORIZONS:
            buyers = ahead.loc[ahead["t"] < c + horizon, "household_id"].unique()
            rows[f"buy_{horizon}d"] = np.isin(seen, buyers).astype(np.int8)
        spend = ahead.groupby("household_id")["spend"].sum()
        rows["spend_28d"] = spend.reindex(seen).fillna(0.0).to_numpy()
        first = ahead.groupby("household_id")["t"].min()
        gap = (first.reindex(seen).to_numpy() - c).clip(0, None)
        rows["next_visit_days"] = np.nan_to_num(gap, nan=NEXT_VISIT_CAP).clip(0, NEXT_VISIT_CAP)
        ahead_lines = lines[(lines["t"] >= c) & (lines["t"] < c + 28)]
        for name in TOP_DEPARTMENTS:
            buyers = ahead_lines.loc[ahead_lines["dept"] == dept_code[name], "household_id"]
            rows[dept_target(name)] = np.isin(seen, buyers.unique()).astype(np.int8)
        out.append(rows)
    return pd.concat(out, ignore_index=True)


def dept_target(name: str) -> str:
    """Column name of a department's buy-in-next-28-days target."""
    return "dept_" + "".join(ch if ch.isalnum() else "_" for ch in name.lower())


def behaviour_cutoffs_until(last: pd.Timestamp) -> tuple[pd.Timestamp, ...]:
    """The issue's cutoffs up to and including `last`."""
    return tuple(c for c in BEHAVIOUR_CUTOFFS if c <= last)


def behaviour_cutoffs_after(last: pd.Timestamp) -> tuple[pd.Timestamp, ...]:
    """The issue's cutoffs strictly after `last`."""
    return tuple(c for c in BEHAVIOUR_CUTOFFS if c > last)
