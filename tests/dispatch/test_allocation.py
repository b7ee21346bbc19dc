"""Allocation: ranking, budget/size/liability limits, reproducible holdout, the gain curve."""

from __future__ import annotations

import pytest
from coupondesk.tools.campaigns.allocation import (
    AllocationConfig,
    Candidate,
    allocate,
    expected_discount,
    in_holdout,
)
from coupondesk.tools.campaigns.offer import Offer
from hypothesis import given, settings
from hypothesis import strategies as st

PCT = Offer(kind="percent_off", value=15, valid_days=7, categories=["COFFEE"])
AMT = Offer(kind="amount_off", value=5, min_spend=25, valid_days=14)


def _candidates(n: int) -> list[Candidate]:
    return [
        Candidate(household_id=i, p_redeem=(i % 10) / 20 + 0.01, scope_spend=10 + i % 7,
                  window_spend=20 + i % 11, reason=f"r{i}", past_spend=float(i))
        for i in range(1, n + 1)
    ]


def test_expected_discount_formulas() -> None:
    assert expected_discount(AMT, 80.0, None) == 5
    assert expected_discount(PCT, 40.0, None) == pytest.approx(6.0)
    assert expected_discount(PCT, 400.0, 10.0) == 10.0  # capped by the policy
    with_min = Offer(kind="percent_off", value=10, min_spend=50, valid_days=7)
    assert expected_discount(with_min, 20.0, None) == pytest.approx(5.0)  # at least the minimum


def test_budget_is_respected_and_best_ranked_first() -> None:
    config = AllocationConfig(holdout_share=0.0)
    result = allocate(_candidates(500), AMT, campaign_id=1, budget=100.0, max_size=None,
                      config=config)
    assert result.expected_cost <= 100.0
    assert result.stopped_by == "budget"
    ratios = [r.expected_value / r.expected_cost for r in result.recipients]
    assert ratios == sorted(ratios, reverse=True)
    assert result.expected_redemptions == pytest.approx(sum(r.p_redeem for r in result.recipients))


def test_max_size_and_liability() -> None:
    config = AllocationConfig(holdout_share=0.0, liability_multiple=2.0,
                              budget_mode="export_only")
    sized = allocate(_candidates(500), AMT, campaign_id=1, budget=10_000, max_size=30,
                     config=config)
    assert len(sized.recipients) == 30 and sized.stopped_by == "max_size"
    # $5 worst case per coupon, liability <= 2 x $100 -> at most 40 recipients
    liable = allocate(_candidates(500), AMT, campaign_id=1, budget=100, max_size=None,
                      config=AllocationConfig(holdout_share=0.0, liability_multiple=2.0,
                                              send_cost=0.0, budget_mode="export_only"))
    assert len(liable.recipients) * 5 <= 200
    assert liable.worst_case_liability == len(liable.recipients) * 5


def test_holdout_is_reproducible_and_about_the_share() -> None:
    config = AllocationConfig(holdout_share=0.1)
    first = allocate(_candidates(2000), PCT, campaign_id=7, budget=None, max_size=None,
                     config=config)
    second = allocate(_candidates(2000), PCT, campaign_id=7, budget=None, max_size=None,
                      config=config)
    assert [h.household_id for h in first.holdout] == [h.household_id for h in second.holdout]
    share = len(first.holdout) / (len(first.holdout) + len(first.recipients))
    assert 0.07 < share < 0.13
    assert not {h.household_id for h in first.holdout} & {r.household_id for r in first.recipients}
    other = allocate(_candidates(2000), PCT, campaign_id=8, budget=None, max_size=None,
                     config=config)
    assert {h.household_id for h in other.holdout} != {h.household_id for h in first.holdout}


def test_rank_by_past_spend_for_top_spenders() -> None:
    config = AllocationConfig(holdout_share=0.0, rank_by="past_spend")
    result = allocate(_candidates(100), AMT, campaign_id=1, budget=None, max_size=10,
                      config=config)
    assert [r.household_id for r in result.recipients] == list(range(100, 90, -1))


def test_gain_curve_marks_the_cut() -> None:
    result = allocate(_candidates(300), AMT, campaign_id=1, budget=50, max_size=None,
                      config=AllocationConfig(holdout_share=0.0))
    chosen = [p for p in result.gain_curve if p["chosen"]]
    assert chosen and chosen[0]["size"] == len(result.recipients)
    costs = [p["cost"] for p in result.gain_curve]
    assert costs == sorted(costs)


@pytest.mark.parametrize("share", [0.1, 0.3])
def test_gain_curve_counts_only_treated_households(share: float) -> None:
    """With a holdout, the chart's cost and redemptions at the cut are the proposal's."""
    result = allocate(_candidates(300), AMT, campaign_id=7, budget=50, max_size=None,
                      config=AllocationConfig(holdout_share=share))
    assert result.holdout, "the test needs held-out households inside the cut"
    chosen = [p for p in result.gain_curve if p["chosen"]]
    assert len(chosen) == 1
    cut = chosen[0]
    assert cut["size"] == len(result.recipients)
    assert cut["cost"] == pytest.approx(result.expected_cost, abs=0.006)
    assert cut["redemptions"] == pytest.approx(result.expected_redemptions, abs=0.0006)
    # The whole curve spans the treated households of the ranking, never the holdout.
    held = sum(in_holdout(7, c.household_id, share) for c in _candidates(300))
    assert result.gain_curve[-1]["size"] == 300 - held


@settings(max_examples=60, deadline=None)
@given(
    budget=st.floats(min_value=1, max_value=5000),
    max_size=st.one_of(st.none(), st.integers(min_value=1, max_value=400)),
    n=st.integers(min_value=0, max_value=400),
)
def test_limits_always_hold(budget: float, max_size: int | None, n: int) -> None:
    for mode in ("export_only", "service"):
        config = AllocationConfig(holdout_share=0.1, liability_multiple=3.0,
                                  budget_mode=mode)  # type: ignore[arg-type]
        result = allocate(_candidates(n), AMT, campaign_id=3, budget=budget,
                          max_size=max_size, config=config)
        assert result.expected_cost <= budget + 1e-9
        if max_size is not None:
            assert len(result.recipients) <= max_size
        if mode == "export_only":
            assert result.worst_case_liability <= 3.0 * budget + 1e-9
        else:  # enforced at redemption: the chance of passing the budget, not the worst case
            assert result.refusal_risk is not None and result.refusal_risk <= 0.05 + 1e-12


def test_in_holdout_zero_share() -> None:
    assert not any(in_holdout(1, h, 0.0) for h in range(1000))


def test_liability_uses_the_per_coupon_worst_case_it_is_given() -> None:
    """The policy counts a percent coupon at its basket (15% of $100 = $15), not at the
    candidates' spend: the cut must stop where the policy check would, not after it."""
    config = AllocationConfig(holdout_share=0.0, liability_multiple=3.0, send_cost=0.0,
                              worst_case_per_coupon=15.0, budget_mode="export_only")
    result = allocate(_candidates(500), PCT, campaign_id=1, budget=100, max_size=None,
                      config=config)
    assert result.stopped_by == "liability"
    assert len(result.recipients) == 20  # 20 x $15 = $300 = 3 x the budget
    assert result.worst_case_liability == pytest.approx(300.0)


# --------------------------------------------------------------------------- what ended the cut


@pytest.mark.parametrize(
    ("mode", "budget", "max_size", "n", "stopped_by"),
    [
        ("service", 40.0, None, 500, "budget"),
        ("service", 10_000.0, 25, 500, "max_size"),
        ("service", 10_000.0, None, 80, "audience"),
        ("export_only", 40.0, None, 500, "liability"),
        ("export_only", 10_000.0, None, 80, "audience"),
    ],
)
def test_stopped_by_names_the_limit(
    mode: str, budget: float, max_size: int | None, n: int, stopped_by: str
) -> None:
    from coupondesk.tools.campaigns.stop_reason import describe_stop

    config = AllocationConfig(holdout_share=0.0, liability_multiple=3.0, budget_mode=mode,  # type: ignore[arg-type]
                              worst_case_per_coupon=15.0)
    cut = allocate(_candidates(n), PCT, campaign_id=1, budget=budget, max_size=max_size,
                   config=config)
    assert cut.stopped_by == stopped_by
    text = describe_stop(stopped_by=cut.stopped_by, recipients=len(cut.recipients),
                         eligible=cut.eligible, holdout=len(cut.holdout),
                         expected_cost=cut.expected_cost, budget=budget, binding=cut.binding,
                         refusal_risk=cut.refusal_risk, lift=cut.lift,
                         per_coupon=cut.worst_case_per_coupon, liability_multiple=3.0,
                         requested_size=max_size, policy_size=2000)
    opening = {
        "budget": "the budget ends the cut",
        "max_size": "the request's limit of 25 households ends the cut",
        "audience": "every eligible household is in the cut",
        "liability": f"the worst-case rule ends the cut at {len(cut.recipients)} households",
    }[stopped_by]
    assert text.startswith(opening), text
    if stopped_by == "liability":
        assert f"cap would allow {int(cut.lift['size']):,}" in text
    if stopped_by == "max_size":  # without the limit all 500 fit: the audience is the limit
        assert f"every eligible household would be in the cut ({int(cut.lift['size']):,}" in text


def test_a_size_limit_short_of_everyone_says_the_audience_is_the_real_limit() -> None:
    from coupondesk.tools.campaigns.stop_reason import describe_stop

    config = AllocationConfig(holdout_share=0.0, worst_case_per_coupon=15.0)
    cut = allocate(_candidates(60), PCT, campaign_id=1, budget=10_000.0, max_size=50,
                   config=config)
    assert cut.stopped_by == "max_size" and cut.lift["everyone"] == 1.0
    assert cut.lift["size"] == 60
    text = describe_stop(stopped_by="max_size", recipients=50, eligible=60, holdout=0,
                         expected_cost=cut.expected_cost, budget=10_000.0, lift=cut.lift,
                         requested_size=None, policy_size=50)
    assert "without it every eligible household would be in the cut (60" in text
