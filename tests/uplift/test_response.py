"""The depth-response learner recovers a known response and is monotone and concave in depth."""

from __future__ import annotations

import numpy as np
import pytest
from coupondesk.models.uplift.arms import CONTROL, Arm
from coupondesk.models.uplift.prior import THORNTON_SHAPE
from coupondesk.models.uplift.response import DepthResponseLearner, prior_effects

from tests.uplift import simulated


@pytest.fixture(scope="module")
def fitted() -> tuple[DepthResponseLearner, simulated.Experiment]:
    exp = simulated.run(4000, seed=1)
    learner = DepthResponseLearner(THORNTON_SHAPE).fit(
        exp.features, exp.arms, exp.bought, exp.spend, propensity=exp.propensity
    )
    return learner, exp


def test_recovers_the_true_uplift_per_household_and_arm(fitted) -> None:
    learner, exp = fitted
    effects = learner.predict(exp.features, simulated.MENU)
    true_uplift = exp.true_p - exp.true_p0[:, None]
    assert np.abs(effects.p_buy_control - exp.true_p0).mean() < 0.03
    assert np.abs(effects.uplift - true_uplift).mean() < 0.03
    assert np.corrcoef(effects.uplift.ravel(), true_uplift.ravel())[0, 1] > 0.9
    assert effects.learned and "4000 randomised rows" in effects.source


def test_expected_spend_with_and_without(fitted) -> None:
    learner, exp = fitted
    effects = learner.predict(exp.features, simulated.MENU)
    true_spend0 = exp.true_p0 * exp.basket * np.exp(0.02)
    assert abs(effects.spend_control.mean() / true_spend0.mean() - 1) < 0.08
    assert np.all(effects.spend >= effects.spend_control[:, None] - 1e-9)


def test_monotone_and_concave_in_depth_for_any_household(fitted) -> None:
    learner, _exp = fitted
    rng = np.random.default_rng(7)
    grid = [Arm("percent_off", v) for v in (2.5, 5, 10, 15, 20, 25, 30)]
    effects = learner.predict(rng.normal(scale=3, size=(200, 3)), grid)
    levels = np.column_stack([effects.p_buy_control, effects.p_buy])
    assert np.all(np.diff(levels, axis=1) >= -1e-12)
    slopes = np.diff(levels[:, 1:], axis=1) / np.diff([v.value for v in grid])
    assert np.all(np.diff(slopes, axis=1) <= 1e-12)
    assert np.all(np.diff(effects.spend, axis=1) >= -1e-9)


def test_redemption_head_and_baseline_offset() -> None:
    exp = simulated.run(3000, seed=4)
    learner = DepthResponseLearner(THORNTON_SHAPE).fit(
        exp.features, exp.arms, exp.bought, exp.spend, propensity=exp.propensity,
        baseline=exp.true_p0, redeemed=exp.redeemed)
    effects = learner.predict(exp.features, simulated.MENU, baseline=exp.true_p0)
    assert effects.p_redeem is not None
    assert np.all(effects.p_redeem <= effects.p_buy + 1e-12)
    assert np.all(effects.p_redeem >= effects.uplift - 1e-12)
    # (the truth's habitual use does not vary with depth, the model's does: close, not exact)
    assert np.abs(effects.p_redeem - exp.true_redeem).mean() < 0.045
    with pytest.raises(ValueError, match="baseline"):
        learner.predict(exp.features, simulated.MENU)
    # A first campaign's holdout is small: a baseline from history keeps the control level.
    small = simulated.run(500, seed=5, shares=(0.08, 0.3, 0.31, 0.31))
    errors = []
    for baseline in (None, small.true_p0):
        fitted = DepthResponseLearner(THORNTON_SHAPE).fit(
            small.features, small.arms, small.bought, baseline=baseline)
        p0 = fitted.predict(small.features, simulated.MENU, baseline=baseline).p_buy_control
        errors.append(np.abs(p0 - small.true_p0).mean())
    assert errors[1] < 0.6 * errors[0]
    # Without the redemption head every buyer is priced as a redeemer (the upper bound).
    plain = DepthResponseLearner(THORNTON_SHAPE).fit(exp.features, exp.arms, exp.bought)
    assert plain.predict(exp.features[:5], simulated.MENU).p_redeem is None


def test_prior_is_stated_not_learned() -> None:
    arms = [Arm("amount_off", 2), Arm("amount_off", 3), Arm("amount_off", 5)]
    effects = prior_effects(THORNTON_SHAPE, np.array([0.1, 0.5]), np.array([3.0, 20.0]), arms)
    assert not effects.learned
    assert "stated prior, not learned" in effects.source and "Thornton" in effects.source
    assert np.all(np.diff(effects.p_buy, axis=1) > 0)
    assert np.all(effects.uplift > 0)
    assert "not learned" in THORNTON_SHAPE.describe()


def test_bad_input_is_refused() -> None:
    learner = DepthResponseLearner(THORNTON_SHAPE)
    x = np.zeros((3, 1))
    with pytest.raises(ValueError, match="propensity"):
        learner.fit(x, [CONTROL] * 3, np.array([0, 1, 0]), propensity=np.array([0.5, 0, 1]))
    with pytest.raises(ValueError, match="0/1"):
        learner.fit(x, [CONTROL] * 3, np.array([0, 2, 0]))
    with pytest.raises(RuntimeError, match="not fitted"):
        learner.predict(x, [Arm("amount_off", 2)])
