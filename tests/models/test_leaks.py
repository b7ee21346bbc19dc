"""Leak test: features and sequences at a cutoff never read a row at or after it.

Build everything at a cutoff, then rebuild from frames whose rows at/after the cutoff are
altered (values changed, rows added, campaigns added), and require identical results.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from coupondesk.models.features import (
    PurchaseMatrices,
    add_department_features,
    campaign_scope,
    household_features,
)
from coupondesk.models.frames import RetailFrames
from coupondesk.models.history import History, to_days
from coupondesk.models.sequences import BasketTable, build_sequences

CUTOFF = pd.Timestamp("2017-08-08")


def _alter_future(frames: RetailFrames, cutoff: pd.Timestamp) -> RetailFrames:
    """Scramble every row at or after `cutoff` and add new future rows."""
    rng = np.random.default_rng(1)
    tx = frames.transactions.copy()
    late = tx["transaction_timestamp"] >= cutoff
    tx.loc[late, "sales_value"] = rng.uniform(0, 500, int(late.sum()))
    tx.loc[late, "coupon_disc"] = 9.99
    tx.loc[late, "retail_disc"] = 3.0
    tx.loc[late, "product_id"] = rng.choice(frames.products["product_id"].to_numpy(),
                                            int(late.sum()))
    extra = tx[~late].head(50).copy()
    extra["transaction_timestamp"] = cutoff + pd.Timedelta(hours=1)  # exactly-at-cutoff day
    extra["basket_id"] = extra["basket_id"] + 10**12
    tx = pd.concat([tx, extra], ignore_index=True)

    red = frames.coupon_redemptions.copy()
    late_red = red["redemption_date"] >= cutoff
    red.loc[late_red, "campaign_id"] = 1
    extra_red = red.head(20).copy()
    extra_red["redemption_date"] = cutoff
    red = pd.concat([red, extra_red], ignore_index=True)

    desc = frames.campaign_descriptions
    late_campaigns = desc.loc[desc["start_date"] >= cutoff, "campaign_id"].to_numpy()
    households = tx["household_id"].unique()[:40]
    receipts = pd.concat([frames.campaigns, pd.DataFrame({
        "campaign_id": np.resize(late_campaigns, len(households)), "household_id": households,
    })], ignore_index=True)
    return RetailFrames(tx, frames.products, receipts, desc, frames.coupons, red,
                        frames.demographics)


@pytest.fixture(scope="module")
def histories(small_frames: RetailFrames) -> tuple[History, History]:
    return History.from_frames(small_frames), History.from_frames(
        _alter_future(small_frames, CUTOFF))


def test_household_features_ignore_the_future(histories: tuple[History, History]) -> None:
    original, altered = histories
    cutoff = to_days(CUTOFF)
    assert isinstance(cutoff, float)
    households = original.households
    a = add_department_features(original, cutoff, household_features(original, cutoff, households))
    b = add_department_features(altered, cutoff, household_features(altered, cutoff, households))
    pd.testing.assert_frame_equal(a, b)


def test_overlap_features_ignore_the_future(histories: tuple[History, History]) -> None:
    original, altered = histories
    cutoff = to_days(CUTOFF)
    assert isinstance(cutoff, float)
    scope = campaign_scope(original, 13)
    a = PurchaseMatrices.build(original, cutoff, original.households).overlap(original, scope)
    b = PurchaseMatrices.build(altered, cutoff, original.households).overlap(altered, scope)
    pd.testing.assert_frame_equal(a, b)


def test_sequences_ignore_the_future(histories: tuple[History, History]) -> None:
    original, altered = histories
    cutoff = to_days(CUTOFF)
    households = original.households
    cutoffs = np.full(len(households), cutoff)
    a = build_sequences(BasketTable.from_history(original), households, cutoffs, 32)
    b = build_sequences(BasketTable.from_history(altered), households, cutoffs, 32)
    np.testing.assert_array_equal(a.category_tokens, b.category_tokens)
    np.testing.assert_array_equal(a.numeric, b.numeric)
    np.testing.assert_array_equal(a.mask, b.mask)


def test_alteration_is_visible_after_the_cutoff(histories: tuple[History, History]) -> None:
    """The altered rows do change features computed later (so the tests above are not vacuous)."""
    original, altered = histories
    later = to_days(CUTOFF + pd.Timedelta(days=30))
    assert isinstance(later, float)
    a = household_features(original, later, original.households)
    b = household_features(altered, later, original.households)
    assert not a.equals(b)


def test_next_basket_pretraining_targets_ignore_the_future(
    histories: tuple[History, History]
) -> None:
    """The next-basket objective reads windows after pseudo-cutoffs, never at/after the cutoff."""
    from coupondesk.models.train import next_basket_targets, pretraining_rows

    original, altered = histories
    cutoff = to_days(CUTOFF)
    assert isinstance(cutoff, float)
    tables = [BasketTable.from_history(h) for h in (original, altered)]
    households, cutoffs = pretraining_rows(tables[0], original.households, cutoff, 28)
    a, b = (next_basket_targets(t, households, cutoffs, 14, cutoff) for t in tables)
    assert a[:, 0].sum() > 0  # some windows are usable
    np.testing.assert_array_equal(a.numpy(), b.numpy())
