"""Household profiles and segment summaries against pandas on the real slice."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from coupondesk.tools.catalog.text import is_merchandise
from coupondesk.tools.errors import NotFoundError
from coupondesk.tools.queries.profiles import household_profile, segment_summary
from sqlalchemy.orm import Session

from tests.queries.conftest import Slice


def _with_coupon_history(cj: Slice) -> int:
    """A slice household that received campaigns, redeemed coupons and has demographics."""
    redeemers = cj.redemptions.household_id.value_counts()
    with_demo = set(cj.demographics.household_id)
    return int(next(h for h in redeemers.index if h in with_demo))


def _top(spend: pd.Series, n: int = 5) -> list[tuple[str, float]]:
    spend = spend[[is_merchandise(name) for name in spend.index]]
    ranked = sorted(spend.items(), key=lambda item: (-item[1], item[0]))[:n]
    return [(name, round(value, 2)) for name, value in ranked]


def test_household_profile_matches_pandas(session: Session, cj: Slice) -> None:
    household = _with_coupon_history(cj)
    profile = household_profile(session, household, today=cj.today)
    history = cj.window(None)
    history = history[history.household_id == household]
    window = history[history.ts >= pd.Timestamp(cj.today) - pd.Timedelta(days=90)]

    assert profile.first_purchase == history.ts.min().date()
    assert profile.last_purchase == history.ts.max().date()
    assert profile.recency_days == (cj.today - history.ts.max().date()).days
    assert profile.visits == window.basket_id.nunique()
    assert profile.spend == pytest.approx(window.sales_value.sum(), abs=0.01)
    assert profile.lifetime_visits == history.basket_id.nunique()
    assert profile.lifetime_spend == pytest.approx(history.sales_value.sum(), abs=0.01)
    assert profile.avg_basket == pytest.approx(
        window.sales_value.sum() / window.basket_id.nunique(), abs=0.01
    )
    got = [(row.name, row.spend) for row in profile.top_departments]
    assert got == pytest.approx(_top(window.groupby("department").sales_value.sum()), abs=0.01)
    got = [(row.name, row.spend) for row in profile.top_categories]
    expected = _top(window.groupby("product_category").sales_value.sum())
    assert [name for name, _ in got] == [name for name, _ in expected]

    received = cj.receipts[cj.receipts.household_id == household].merge(cj.campaigns)
    received = received[received.start_date < pd.Timestamp(cj.today)]
    assert {c.campaign_id for c in profile.campaigns_received} == set(received.campaign_id)
    redeemed = cj.redemptions[cj.redemptions.household_id == household]
    assert profile.redemptions == len(redeemed)
    per_campaign = redeemed.campaign_id.value_counts().to_dict()
    for campaign in profile.campaigns_received:
        assert campaign.redemptions == per_campaign.get(campaign.campaign_id, 0)
    assert profile.demographics is not None
    demo = cj.demographics.set_index("household_id").loc[household]
    assert profile.demographics.age == demo.age
    assert profile.coupons_issued == 0


def test_profile_of_a_household_without_demographics(session: Session, cj: Slice) -> None:
    household = min(cj.households - set(cj.demographics.household_id))
    profile = household_profile(session, household, today=cj.today, window_days=30)
    assert profile.demographics is None
    assert profile.window_days == 30


def test_unknown_household_is_not_found(session: Session, cj: Slice) -> None:
    with pytest.raises(NotFoundError):
        household_profile(session, 10_000_001, today=cj.today)


def test_segment_summary_matches_pandas(session: Session, cj: Slice) -> None:
    ids = sorted(cj.households)[::2]
    summary = segment_summary(session, ids, today=cj.today)
    window = cj.window(90)
    window = window[window.household_id.isin(ids)]
    spend = window.groupby("household_id").sales_value.sum().reindex(ids, fill_value=0.0)
    visits = window.groupby("household_id").basket_id.nunique().reindex(ids, fill_value=0)

    assert summary.size == len(ids)
    assert summary.active_households == int((visits > 0).sum())
    assert summary.total_spend == pytest.approx(spend.sum(), abs=0.05)
    for field, q in (("p10", 10), ("p25", 25), ("p50", 50), ("p75", 75), ("p90", 90)):
        assert getattr(summary.spend, field) == pytest.approx(np.percentile(spend, q), abs=0.01)
        assert getattr(summary.visits, field) == pytest.approx(np.percentile(visits, q), abs=0.01)
    assert summary.spend.mean == pytest.approx(spend.mean(), abs=0.01)

    history = cj.window(None)
    last = history[history.household_id.isin(ids)].groupby("household_id").ts.max()
    recency = [(cj.today - t.date()).days for t in last]
    assert summary.recency_days.p50 == pytest.approx(np.percentile(recency, 50), abs=0.01)

    categories = window.groupby("product_category").sales_value.sum()
    expected = _top(categories)
    assert [(c.name, c.spend) for c in summary.top_categories] == pytest.approx(expected, abs=0.05)
    buyers = window.groupby("product_category").household_id.nunique()
    for row in summary.top_categories:
        assert row.buyers == buyers[row.name]
        assert row.share == pytest.approx(categories[row.name] / spend.sum(), abs=1e-4)
    departments = window.groupby("department").sales_value.sum()
    assert [d.name for d in summary.top_departments] == [n for n, _ in _top(departments)]

    demo = cj.demographics[cj.demographics.household_id.isin(ids)]
    assert summary.demographics.households_with_demographics == len(demo)
    assert summary.demographics.share == pytest.approx(len(demo) / len(ids), abs=1e-4)
    top_age = demo.age.value_counts()
    assert summary.demographics.age[0].households == top_age.iloc[0]


def _lists_of_ints(value: object) -> list[object]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _lists_of_ints(v)]
    if isinstance(value, list):
        found = [v for v in value if isinstance(v, int) and not isinstance(v, bool)]
        return found + [x for v in value for x in _lists_of_ints(v)]
    return []


def test_segment_summary_carries_no_household_ids(session: Session, cj: Slice) -> None:
    ids = sorted(cj.households)[:40]
    dumped = segment_summary(session, ids, today=cj.today).model_dump(mode="json")
    assert _lists_of_ints(dumped) == []
    assert not _keys(dumped) & {"household_id", "household_ids", "households_list"}


def _keys(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_empty_segment(session: Session, cj: Slice) -> None:
    summary = segment_summary(session, [], today=cj.today)
    assert summary.size == 0 and summary.total_spend == 0 and summary.top_categories == []


def test_a_large_segment_s_mix_is_measured_on_a_seeded_sample(
    session: Session, cj: Slice, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coupondesk.tools.queries import profiles

    ids = sorted(cj.households)
    exact = segment_summary(session, ids, today=cj.today)
    assert exact.mix_households == len(ids)
    monkeypatch.setattr(profiles, "MIX_SAMPLE", len(ids) // 2)
    sampled = segment_summary(session, ids, today=cj.today)
    assert sampled.mix_households == len(ids) // 2
    assert sampled == segment_summary(session, ids, today=cj.today)  # the same sample again
    # Everything but the mix is still exact; the mix is the sample's, scaled to the segment.
    assert (sampled.size, sampled.total_spend, sampled.spend, sampled.visits) == (
        exact.size, exact.total_spend, exact.spend, exact.visits)
    window = cj.window(90)
    shares = window.groupby("product_category").sales_value.sum() / window.sales_value.sum()
    buyers = window.groupby("product_category").household_id.nunique()
    for row in sampled.top_categories:
        assert row.share == pytest.approx(shares[row.name], abs=0.02)
        assert row.buyers == pytest.approx(buyers[row.name], rel=0.25)
