"""Our uplift metrics equal scikit-uplift's on the same arrays; AUCC behaves as defined."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from coupondesk.models.uplift import metrics


def _arrays(seed: int, n: int = 300, ties: bool = False):
    rng = np.random.default_rng(seed)
    treatment = rng.integers(0, 2, n)
    score = rng.normal(size=n)
    if ties:
        score = np.round(score, 1)
    y = (rng.random(n) < 0.2 + 0.2 * treatment * (score > 0)).astype(int)
    return y, score, treatment


@pytest.mark.parametrize("seed,ties", [(0, False), (1, True), (2, False)])
def test_same_figures_as_scikit_uplift(seed: int, ties: bool) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from sklift import metrics as sk

        y, u, t = _arrays(seed, ties=ties)
        pairs = [
            (metrics.qini_auc_score(y, u, t), sk.qini_auc_score(y, u, t)),
            (metrics.qini_auc_score(y, u, t, negative_effect=False),
             sk.qini_auc_score(y, u, t, negative_effect=False)),
            (metrics.uplift_auc_score(y, u, t), sk.uplift_auc_score(y, u, t)),
            (metrics.uplift_at_k(y, u, t, "overall", 0.3), sk.uplift_at_k(y, u, t, "overall", 0.3)),
            (metrics.uplift_at_k(y, u, t, "by_group", 0.2),
             sk.uplift_at_k(y, u, t, "by_group", 0.2)),
            (metrics.uplift_at_k(y, u, t, "overall", 50), sk.uplift_at_k(y, u, t, "overall", 50)),
        ]
        for ours, theirs in pairs:
            assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-12)
        for ours_curve, their_curve in [
            (metrics.qini_curve(y, u, t), sk.qini_curve(y, u, t)),
            (metrics.uplift_curve(y, u, t), sk.uplift_curve(y, u, t)),
        ]:
            np.testing.assert_allclose(ours_curve[0], their_curve[0])
            np.testing.assert_allclose(ours_curve[1], their_curve[1])


def test_informative_scores_beat_random_ones() -> None:
    y, u, t = _arrays(3, n=2000)
    informative = metrics.qini_auc_score(y, u, t)
    random = metrics.qini_auc_score(y, np.random.default_rng(9).normal(size=2000), t)
    assert informative > 0.05 and informative > random + 0.04


def test_aucc_is_one_half_for_constant_score_and_higher_for_value_per_cost() -> None:
    rng = np.random.default_rng(4)
    n = 4000
    t = rng.integers(0, 2, n)
    effect = rng.uniform(0, 0.3, n)
    cost = rng.uniform(1, 5, n)
    y = (rng.random(n) < 0.1 + t * effect).astype(int)
    paid = y * cost * t
    assert metrics.aucc_score(y, paid, np.zeros(n), t) == pytest.approx(0.5)
    assert metrics.aucc_score(y, paid, effect / cost, t) > 0.55


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="same length"):
        metrics.qini_auc_score(np.array([0, 1]), np.array([0.1]), np.array([0, 1]))
    with pytest.raises(ValueError, match="binary"):
        metrics.qini_curve(np.array([0, 2]), np.array([0.1, 0.2]), np.array([0, 1]))
    with pytest.raises(ValueError, match="strategy"):
        metrics.uplift_at_k(np.array([0, 1, 1]), np.array([3, 2, 1]), np.array([0, 1, 0]), "x", 0.5)
