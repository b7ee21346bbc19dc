"""The market simulator: its response model's shape, its ground truth, its calibration."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.db.session import get_engine
from coupondesk.tools.outcomes.market import CouponHolding, Market
from coupondesk.tools.outcomes.simulate import historical_redemption_rates

AS_OF = date(2018, 1, 2)
SOUP = Offer(kind="percent_off", value=10, valid_days=7, categories=["SOUP"])


@pytest.fixture(scope="module")
def market(sqlite_url: str) -> Market:
    return Market(get_engine(sqlite_url), as_of=AS_OF)


def _buyers(market: Market, offer: Offer) -> list[int]:
    return sorted(h for h, history in market.histories(offer).items() if history.products)


def test_depth_response_is_monotone_and_concave(market: Market) -> None:
    households = _buyers(market, SOUP)[:60]
    depths = [5, 10, 15, 20, 25, 30]
    uplift = np.array([
        np.mean([market.ground_truth(h, SOUP.model_copy(update={"value": v})).uplift
                 for h in households])
        for v in depths
    ])
    steps = np.diff(uplift)
    assert uplift[0] > 0 and (steps > 0).all() and (np.diff(steps) < 0).all()


def test_no_coupon_days_means_no_effect(market: Market) -> None:
    household = _buyers(market, SOUP)[0]
    full = market.ground_truth(household, SOUP)
    late = market.ground_truth(household, SOUP, coupon_days=3)
    never = market.ground_truth(household, SOUP, coupon_days=0)
    assert never.p_buy_with == pytest.approx(never.p_buy_without) and never.p_redeem == 0
    assert 0 < late.uplift < full.uplift and late.p_redeem < full.p_redeem
    assert full.spend_with > full.spend_without


def test_response_differs_by_observable_history(market: Market) -> None:
    households = _buyers(market, SOUP)
    histories = market.histories(SOUP, households)
    uplift = np.array([market.ground_truth(histories[h], SOUP).uplift for h in households])
    coupon_use = np.array([histories[h].coupon_use for h in households])
    assert uplift.std() > 0.3 * uplift.mean()
    assert np.corrcoef(uplift, coupon_use)[0, 1] > 0.2


def test_a_typical_offer_redeems_like_the_historical_campaigns(
    sqlite_url: str, market: Market
) -> None:
    historical = historical_redemption_rates(get_engine(sqlite_url))
    low, high = historical.quantile(0.25), historical.quantile(0.75)
    for category in ("SOUP", "COFFEE", "CHEESE", "FROZEN PIZZA"):
        offer = SOUP.model_copy(update={"categories": [category]})
        rate = np.mean([market.ground_truth(h, offer).p_redeem for h in _buyers(market, offer)])
        # within the slice's historical interquartile range, and the full data's (4.3%-10.8%)
        assert low <= rate <= high and 0.043 <= rate <= 0.108, (category, rate)


def _holdings(households: list[int], start: date) -> list[CouponHolding]:
    end = start + timedelta(days=6)
    return [CouponHolding(h, f"CODE-{h}", start, end) for h in households]


def test_play_is_reproducible_and_matches_its_ground_truth(market: Market) -> None:
    households = _buyers(market, SOUP)
    treated, holdout = households[::2], households[1::2]
    window = (AS_OF, AS_OF + timedelta(days=6))
    kwargs = {"window": window, "treated": _holdings(treated, AS_OF), "holdout": holdout,
              "campaign_id": 7}
    first = market.play(SOUP, seed=1, **kwargs)  # type: ignore[arg-type]
    again = market.play(SOUP, seed=1, **kwargs)  # type: ignore[arg-type]
    assert first.transactions.equals(again.transactions)
    assert first.redemptions.equals(again.redemptions)
    redeemed, buyers, expected, expected_buyers = 0, 0, 0.0, 0.0
    for seed in range(8):
        played = market.play(SOUP, seed=seed, **kwargs)  # type: ignore[arg-type]
        redeemed += len(played.redemptions)
        buyers += played.transactions.loc[
            played.transactions["household_id"].isin(holdout), "household_id"].nunique()
        expected += sum(t.p_redeem for t in played.ground_truth)
        expected_buyers += sum(market.ground_truth(h, SOUP).p_buy_without for h in holdout)
    assert set(first.redemptions["code"]) <= {f"CODE-{h}" for h in treated}
    assert abs(redeemed - expected) < 4 * np.sqrt(expected) + 1
    assert abs(buyers - expected_buyers) < 4 * np.sqrt(expected_buyers) + 1
    other = market.play(SOUP, seed=2, **kwargs)  # type: ignore[arg-type]
    assert not other.transactions.equals(first.transactions)


def test_a_coupon_sent_after_the_window_changes_nothing(market: Market) -> None:
    households = _buyers(market, SOUP)[:40]
    window = (AS_OF, AS_OF + timedelta(days=6))
    late = [CouponHolding(h, f"CODE-{h}", AS_OF, window[1], send_at=window[1] + timedelta(days=1))
            for h in households]
    played = market.play(SOUP, window=window, treated=late, holdout=[], seed=0, campaign_id=1)
    assert played.redemptions.empty
