"""Per-household depth under the budget: menu, exploration probabilities, holdout, totals."""

from __future__ import annotations

import numpy as np
import pytest
from coupondesk.models.uplift.arms import Arm
from coupondesk.models.uplift.prior import THORNTON_SHAPE
from coupondesk.models.uplift.response import prior_effects
from coupondesk.tools.errors import BadInputError
from coupondesk.tools.policy.rules import load_policy, parse_policy
from coupondesk.tools.uplift.allocate import allocate_depths
from coupondesk.tools.uplift.economics import Economics
from coupondesk.tools.uplift.menu import depth_menu


def test_menu_follows_the_policy_the_range_and_the_scope_caps() -> None:
    policy = load_policy()
    values = lambda arms: [a.value for a in arms]  # noqa: E731
    assert values(depth_menu(policy, "percent_off")) == [10, 15, 20, 25]
    assert values(depth_menu(policy, "percent_off", lo=10, hi=20)) == [10, 15, 20]
    assert values(depth_menu(policy, "percent_off", lo=12, hi=12)) == [12]
    assert values(depth_menu(policy, "percent_off", departments=["DRUG GM"])) == [10, 15, 20]
    assert values(depth_menu(policy, "amount_off", lo=2, hi=5)) == [2, 3, 5]
    assert values(depth_menu(policy, "amount_off", min_spend=10)) == [2]
    with pytest.raises(BadInputError, match="no depth between"):
        depth_menu(policy, "percent_off", lo=26, hi=29, categories=["FLUID MILK PRODUCTS"])
    with pytest.raises(BadInputError, match="above"):
        depth_menu(policy, "percent_off", lo=20, hi=10)


def test_policy_refuses_a_menu_above_the_caps() -> None:
    from coupondesk.tools.errors import ConfigError

    with pytest.raises(ConfigError, match="percent_menu"):
        parse_policy({"uplift": {"percent_menu": [10, 40]}})
    # Tightening a cap cuts the default menu instead of breaking the file.
    tight = parse_policy({"offer": {"max_percent": 12}})
    assert [a.value for a in depth_menu(tight, "percent_off")] == [10]


def _effects(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    p0 = rng.uniform(0.02, 0.6, n)
    spend0 = p0 * rng.uniform(5, 40, n)
    arms = [Arm("percent_off", v) for v in (10, 15, 20, 25)]
    return prior_effects(THORNTON_SHAPE, p0, spend0, arms)


def test_allocation_fits_the_budget_and_stores_every_assignment_probability() -> None:
    n = 3000
    effects = _effects(n)
    result = allocate_depths(list(range(1, n + 1)), effects, campaign_id=7, budget=40.0,
                             economics=Economics(margin_rate=0.4, max_discount=5.0),
                             exploration_share=0.2, holdout_share=0.1, budget_quantile=0.95)
    assert result.recipients and result.holdout
    assert result.cost_quantile <= 40.0 + 1e-6 and result.expected_cost <= 40.0
    assert result.overspend_probability <= 0.05 + 1e-9
    assert not result.learned and "stated prior" in result.source
    k = len(effects.arms)
    for a in result.recipients:
        planned = a.arm == a.chosen_arm
        expected = 0.9 * ((0.8 if planned else 0.0) + 0.2 / k)
        assert a.probability == pytest.approx(expected)
        assert a.explored or planned
    assert all(h.probability == pytest.approx(0.1) and h.arm.is_control for h in result.holdout)
    explored = np.mean([a.explored for a in result.recipients])
    assert 0.08 < explored < 0.35
    held = len(result.holdout) / (len(result.holdout) + len(result.recipients))
    assert 0.03 < held < 0.2
    assert sum(int(m["households"]) for m in result.depth_mix) == len(result.recipients)
    assert result.stopped_by == "budget"
    assert result.expected_incremental_buyers == pytest.approx(
        sum(a.uplift for a in result.recipients))
    assert result.incremental_roi == pytest.approx(result.expected_value / result.expected_cost)


def test_same_campaign_same_draws_and_large_budget_stops_on_value() -> None:
    effects = _effects(400, seed=3)
    ids = list(range(400))
    kwargs = dict(campaign_id=3, economics=Economics(margin_rate=0.3, max_discount=5.0))
    first = allocate_depths(ids, effects, budget=50.0, **kwargs)
    again = allocate_depths(ids, effects, budget=50.0, **kwargs)
    assert first.recipients == again.recipients and first.holdout == again.holdout
    rich = allocate_depths(ids, effects, budget=1e6, **kwargs)
    assert rich.stopped_by in {"value", "audience"}
    assert all(a.value > 0 or a.explored for a in rich.recipients)
