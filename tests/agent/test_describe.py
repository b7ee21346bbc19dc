"""Plain-words descriptions shown to the operator and given (id-free) to the copy LLM."""

from __future__ import annotations

import pytest
from coupondesk.agent.describe import describe_audience, describe_offer
from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.campaigns.plan import Audience, DemographicFilter


@pytest.mark.parametrize(
    ("offer", "words"),
    [
        (Offer(kind="percent_off", value=15, valid_days=7, categories=["COFFEE"]),
         "15% off COFFEE, valid 7 days"),
        (Offer(kind="amount_off", value=3, min_spend=25, valid_days=14, departments=["DELI"]),
         "$3 off a $25 spend on DELI, valid 14 days"),
        (Offer(kind="amount_off", value=2.5, valid_days=1), "$2.50 off everything, valid 1 day"),
    ],
)
def test_describe_offer(offer: Offer, words: str) -> None:
    assert describe_offer(offer) == words


@pytest.mark.parametrize(
    ("audience", "words"),
    [
        (Audience(), "all households"),
        (Audience(lapsed_days=40), "households that have not shopped in 40+ days"),
        (Audience(lapsed_days=30, categories=["COFFEE"]),
         "households that have not shopped in 30+ days and have bought COFFEE"),
        (Audience(lapsed_days=60, lapsed_in_scope=True, categories=["CRACKERS/MISC BKD FD"]),
         "households that have not bought CRACKERS/MISC BKD FD in 60+ days"),
        (Audience(active_days=30, categories=["COOKIES/CONES"]),
         "households that bought COOKIES/CONES in the last 30 days"),
        (Audience(min_spend=300, spend_window_days=60),
         "households that spent $300+ in the last 60 days"),
        (Audience(top_spenders=True, max_size=300), "the biggest spenders"),
        (Audience(demographics=DemographicFilter(has_kids=True)), "all households (with kids)"),
    ],
)
def test_describe_audience(audience: Audience, words: str) -> None:
    assert describe_audience(audience) == words
