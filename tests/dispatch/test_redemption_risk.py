"""P(redeemed discount > budget): the grid DP against brute-force enumeration, the normal
approximation against the exact figure, and the service-mode cut that keeps it within 5%."""

from __future__ import annotations

import itertools

import pytest
from coupondesk.tools.campaigns.allocation import AllocationConfig, Candidate, allocate, rank
from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.campaigns.redemption_risk import (
    RiskTracker,
    exceedance_exact,
    exceedance_normal,
)
from hypothesis import given, settings
from hypothesis import strategies as st


def brute_force(probabilities: list[float], discounts: list[float], budget: float) -> float:
    """Sum over all 2^n redemption outcomes (the definition of the Poisson-binomial tail)."""
    total = 0.0
    for outcome in itertools.product((0, 1), repeat=len(probabilities)):
        weight = 1.0
        spent = 0.0
        for redeemed, p, d in zip(outcome, probabilities, discounts, strict=True):
            weight *= p if redeemed else 1 - p
            spent += d * redeemed
        if spent > budget + 1e-9:
            total += weight
    return total


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0.0, 1.0), st.integers(1, 900).map(lambda c: c / 100)),
        min_size=1, max_size=10,
    ),
    st.integers(1, 3000).map(lambda c: c / 100),
)
def test_the_dp_equals_brute_force_on_cent_amounts(
    households: list[tuple[float, float]], budget: float
) -> None:
    probabilities = [p for p, _ in households]
    discounts = [d for _, d in households]
    exact = exceedance_exact(probabilities, discounts, budget)
    assert exact == pytest.approx(brute_force(probabilities, discounts, budget), abs=1e-9)


def test_a_coarse_grid_rounds_up_so_the_figure_never_underestimates() -> None:
    probabilities = [0.3, 0.5, 0.2, 0.4, 0.1, 0.6]
    discounts = [1.37, 2.11, 0.73, 3.05, 1.99, 0.58]
    truth = brute_force(probabilities, discounts, 4.0)
    coarse = exceedance_exact(probabilities, discounts, 4.0, max_cells=8)  # $0.50 cells
    assert coarse >= truth - 1e-12
    assert exceedance_exact(probabilities, discounts, 4.0) == pytest.approx(truth)


def test_risk_with_predicts_add() -> None:
    tracker = RiskTracker.start(5.0)
    for p, d in [(0.4, 2.0), (0.7, 1.5), (0.2, 3.25)]:
        predicted = tracker.risk_with(p, d)
        tracker.add(p, d)
        assert tracker.over == pytest.approx(predicted)
    assert tracker.over == pytest.approx(brute_force([0.4, 0.7, 0.2], [2.0, 1.5, 3.25], 5.0))


def test_the_normal_approximation_is_close_on_a_large_cut() -> None:
    probabilities = [0.05 + (i % 9) / 40 for i in range(800)]
    discounts = [0.5 + (i % 7) * 0.35 for i in range(800)]
    mean = sum(p * d for p, d in zip(probabilities, discounts, strict=True))
    budget = mean * 1.08
    exact = exceedance_exact(probabilities, discounts, budget)
    assert 0.01 < exact < 0.5
    assert exceedance_normal(probabilities, discounts, budget) == pytest.approx(exact, abs=0.02)


# --------------------------------------------------------------------------- the cut

COFFEE = Offer(kind="percent_off", value=15, valid_days=7, categories=["COFFEE"], max_discount=5)


def _households(n: int) -> list[Candidate]:
    return [
        Candidate(household_id=i, p_redeem=0.05 + (i % 13) / 40, scope_spend=6 + i % 17,
                  window_spend=10 + i % 23, reason="r")
        for i in range(1, n + 1)
    ]


def test_service_mode_fills_the_budget_within_the_refusal_risk() -> None:
    config = AllocationConfig(holdout_share=0.0, budget_mode="service", refusal_risk=0.05,
                              liability_multiple=3.0, worst_case_per_coupon=5.0)
    cut = allocate(_households(3000), COFFEE, campaign_id=7, budget=300.0, max_size=None,
                   config=config)
    assert cut.stopped_by == "budget" and cut.budget_mode == "service"
    probabilities = [r.p_redeem for r in cut.recipients]
    discounts = [r.expected_discount for r in cut.recipients]
    stated = exceedance_exact(probabilities, discounts, 300.0)
    assert cut.refusal_risk == pytest.approx(stated)
    assert stated <= 0.05
    # the worst case ($5 x recipients) is far above 3 x budget: it no longer ends the cut
    assert cut.worst_case_liability > 3 * 300
    assert cut.expected_cost >= 0.85 * 300
    # the next household in rank order would break the limit that is said to bind
    _c, d, cost, _v = rank(_households(3000), COFFEE, config)[len(cut.recipients)]
    if cut.binding == "refusal_risk":
        nxt = _c.p_redeem
        assert exceedance_exact([*probabilities, nxt], [*discounts, d], 300.0) > 0.05
    else:
        assert cut.binding == "expected_cost" and cut.expected_cost + cost > 300.0


def test_export_only_mode_is_ended_by_the_worst_case_and_says_what_would_lift_it() -> None:
    config = AllocationConfig(holdout_share=0.0, budget_mode="export_only",
                              liability_multiple=3.0, worst_case_per_coupon=15.0)
    uncapped = COFFEE.model_copy(update={"max_discount": None})
    cut = allocate(_households(3000), uncapped, campaign_id=7, budget=300.0, max_size=None,
                   config=config)
    assert cut.stopped_by == "liability" and len(cut.recipients) == 60  # 60 x $15 = 3 x $300
    assert cut.lift["size"] > 60 and 0 < cut.lift["cap"] < 15
    assert cut.lift["size"] * cut.lift["cap"] <= 900
