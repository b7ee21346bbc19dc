"""IPS and doubly-robust policy values recover a policy's known value on a simulation."""

from __future__ import annotations

import numpy as np
import pytest
from coupondesk.models.uplift.policy_value import dr_value, ips_value


def test_ips_and_dr_recover_the_true_value_and_dr_is_tighter() -> None:
    rng = np.random.default_rng(11)
    n, arms = 20000, 3
    x = rng.normal(size=n)
    mean_reward = np.column_stack([1.0 + 0 * x, 1.0 + 0.8 * x, 1.5 - 0.5 * x])
    # Logging policy: non-uniform, depends on x (stored propensities).
    logits = np.column_stack([0 * x, 0.5 * x, -0.5 * x])
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    taken = np.array([rng.choice(arms, p=p) for p in probs])
    propensity = probs[np.arange(n), taken]
    reward = mean_reward[np.arange(n), taken] + rng.normal(scale=1.0, size=n)
    policy = mean_reward.argmax(axis=1)
    truth = mean_reward[np.arange(n), policy].mean()
    ips = ips_value(reward, taken, propensity, policy)
    model = mean_reward + rng.normal(scale=0.1, size=(n, arms))  # a good, imperfect model
    dr = dr_value(reward, taken, propensity, policy, model)
    for estimate in (ips, dr):
        assert estimate.ci95[0] < truth < estimate.ci95[1]
    assert dr.stderr < ips.stderr
    # A wrong model stays unbiased through the propensities.
    wrong = dr_value(reward, taken, propensity, policy, np.zeros((n, arms)))
    assert abs(wrong.value - truth) < 3 * wrong.stderr
    # The naive mean of the rewards where the policy agreed is biased; IPS corrects it.
    naive = reward[taken == policy].mean()
    assert abs(naive - truth) > abs(ips.value - truth)


def test_refuses_zero_propensity() -> None:
    with pytest.raises(ValueError, match="propensity"):
        ips_value(np.ones(2), np.zeros(2), np.array([0.5, 0.0]), np.zeros(2))
