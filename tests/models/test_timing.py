"""The send-timing hazard model: exact window arithmetic, and a market whose answer is known.

In the synthetic market every household buys one category on a fixed cadence (7 to 21 days)
with a random phase, so the next purchase day is exactly predictable from its own history: a
model that learned cadence must cover nearly every next purchase, and sending on day 0 covers
only the households whose purchase happens to fall in the first week.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from coupondesk.models.frames import RetailFrames
from coupondesk.models.history import EPOCH, History
from coupondesk.models.timing import (
    TimingConfig,
    TimingModel,
    best_send_offsets,
    contact_allowance,
    evaluate_send_policies,
    expected_days,
    hazard_rows,
    next_purchase_day,
    timing_features,
    training_rows,
)


def test_best_send_offset_covers_the_most_mass() -> None:
    horizon = 10
    dist = np.zeros((3, horizon + 1))
    dist[0, 5] = 1.0          # certain purchase on day 5: starts 3..5 cover it, 3 is earliest
    dist[1, [0, 8]] = 0.5     # two peaks; window 3 days starting 0 covers 0.5, start 6 covers 0.5
    dist[2, horizon] = 1.0    # never within the horizon: earliest day, zero coverage
    offsets, coverage = best_send_offsets(dist, window_days=9, valid_days=3)
    assert offsets.tolist() == [3, 0, 0]
    assert coverage.tolist() == pytest.approx([1.0, 0.5, 0.0])


def test_send_offsets_stay_inside_the_campaign_window() -> None:
    dist = np.zeros((2, 29))
    dist[0, 12] = 1.0  # starts 6 and 7 both cover day 12: the earlier one
    dist[1, 20] = 1.0  # past the window's last start (7): nothing covers it, so day 0
    offsets, coverage = best_send_offsets(dist, window_days=14, valid_days=7)
    assert offsets.tolist() == [6, 0]
    assert coverage.tolist() == [1.0, 0.0]


def test_contact_allowance_follows_cadence_within_the_cap() -> None:
    allowed = contact_allowance(np.array([3.0, 7.0, 15.0, 40.0, 0.0]), cap=3, per_days=30)
    assert allowed.tolist() == [3, 3, 2, 1, 3]


def test_expected_days_is_the_median_day() -> None:
    dist = np.array([[0.2, 0.2, 0.2, 0.4], [0.0, 0.0, 0.1, 0.9]])
    assert expected_days(dist).tolist() == [2.0, 3.0]


def _periodic_history(seed: int = 0, households: int = 240) -> History:
    """Households buying category 'A' every g days (g in 7..21) and 'B' weekly, for 300 days."""
    rng = np.random.default_rng(seed)
    products = pd.DataFrame({
        "product_id": [1, 2], "manufacturer_id": [1, 1], "department": ["D", "D"],
        "brand": ["National", "National"], "product_category": ["A", "B"],
        "product_type": ["a", "b"], "package_size": ["", ""],
    })
    rows = []
    basket = 0
    for h in range(1, households + 1):
        gap = int(rng.choice([7, 10, 14, 21]))
        phase = int(rng.integers(0, gap))
        for day in range(phase, 300, gap):
            basket += 1
            rows.append((h, basket, 1, day + 0.4))
        for day in range(int(rng.integers(0, 7)), 300, 7):
            basket += 1
            rows.append((h, basket, 2, day + 0.6))
    frame = pd.DataFrame(rows, columns=["household_id", "basket_id", "product_id", "t"])
    transactions = pd.DataFrame({
        "household_id": frame["household_id"], "store_id": 1, "basket_id": frame["basket_id"],
        "product_id": frame["product_id"], "quantity": 1, "sales_value": 3.0,
        "retail_disc": 0.0, "coupon_disc": 0.0, "coupon_match_disc": 0.0, "week": 1,
        "transaction_timestamp": EPOCH + pd.to_timedelta(frame["t"], unit="D"),
    })
    empty = pd.DataFrame
    frames = RetailFrames(
        transactions=transactions, products=products,
        campaigns=empty({"campaign_id": [], "household_id": []}),
        campaign_descriptions=empty({"campaign_id": [], "campaign_type": [], "start_date": [],
                                     "end_date": []}),
        coupons=empty({"coupon_upc": [], "product_id": [], "campaign_id": []}),
        coupon_redemptions=empty({"household_id": [], "coupon_upc": [], "campaign_id": [],
                                  "redemption_date": []}),
        demographics=empty({"household_id": []}),
    )
    return History.from_frames(frames)


def test_labels_are_the_observed_next_purchase_day() -> None:
    history = _periodic_history(households=20)
    cutoff = 100.0
    t = history.lines["t"].to_numpy()
    cat = history.lines["cat"].to_numpy()
    end, hi = np.searchsorted(t, [cutoff, cutoff + 28])
    households = np.arange(1, 21)
    code = history.categories.index("A")
    days = next_purchase_day(history, cutoff, households, cat[end:hi] == code)
    lines = history.lines
    for h, got in zip(households, days, strict=True):
        mine = lines[(lines["household_id"] == h) & (lines["cat"] == code) & (lines["t"] >= cutoff)]
        assert got == np.floor(mine["t"].min()) - cutoff


def test_hazard_rows_stop_at_the_event() -> None:
    feats = timing_features(_periodic_history(households=3), 100.0, np.array([1, 2, 3]), None)
    rows, labels = hazard_rows(feats, np.array([2.0, 0.0, 28.0]))
    assert len(rows) == 3 + 1 + 28
    assert labels.sum() == 2  # the third household never buys within the horizon


def test_model_learns_cadence_and_beats_day0() -> None:
    history = _periodic_history()
    code = history.categories.index("A")
    rows, labels = training_rows(history, [70.0, 98.0, 126.0, 154.0], [code])
    model = TimingModel.fit(rows, labels, config=TimingConfig(n_estimators=150,
                                                              min_child_samples=20))
    figures = evaluate_send_policies(model, history, [210.0, 238.0], [code],
                                     window_days=14, valid_days=7)
    # Cadences up to 21 days with a random phase: sending on day 0 covers about half the
    # households; knowing the cadence covers nearly all whose purchase is inside the window.
    assert figures.coverage["model"] >= 0.9
    assert figures.ratio("day0") >= 1.4
    assert figures.mae_days["model"] < figures.mae_days["day0"]


def test_model_round_trips(tmp_path) -> None:  # type: ignore[no-untyped-def]
    history = _periodic_history(households=40)
    code = history.categories.index("A")
    rows, labels = training_rows(history, [70.0, 98.0], [code])
    model = TimingModel.fit(rows, labels, config=TimingConfig(n_estimators=20,
                                                              min_child_samples=20))
    model.save(tmp_path / "timing")
    loaded = TimingModel.load(tmp_path / "timing")
    feats = timing_features(history, 150.0, np.arange(1, 41), history.lines_before(150.0)["cat"]
                            .to_numpy() == code)
    assert np.allclose(model.distribution(feats), loaded.distribution(feats))
    assert np.allclose(loaded.distribution(feats).sum(axis=1), 1.0)
