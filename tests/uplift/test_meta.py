"""T- and X-learners (causalml's shape) and the propensity ranking, on a known experiment."""

from __future__ import annotations

import numpy as np
from coupondesk.models.uplift import metrics
from coupondesk.models.uplift.meta import PropensityRanker, TLearner, XLearner

from tests.uplift import simulated


def test_meta_learners_rank_by_true_uplift_better_than_propensity() -> None:
    exp = simulated.run(3000, seed=2)
    test = simulated.run(2000, seed=3)
    true_uplift = test.true_p[:, 2] - test.true_p0
    t_effects = TLearner().fit(exp.features, exp.arms, exp.bought, exp.spend,
                               exp.propensity).predict(test.features)
    x_effects = XLearner().fit(exp.features, exp.arms, exp.bought, exp.spend,
                               exp.propensity).predict(test.features)
    assert t_effects.uplift.shape == (2000, 3) == x_effects.uplift.shape
    assert [a.value for a in t_effects.arms] == [10, 20, 30]
    ranker = PropensityRanker().fit(exp.features, exp.arms, exp.bought, exp.spend)
    corr = {name: np.corrcoef(score, true_uplift)[0, 1] for name, score in [
        ("t", t_effects.uplift[:, 2]), ("x", x_effects.uplift[:, 2]),
        ("propensity", ranker.score(test.features))]}
    assert corr["t"] > 0.5 and corr["x"] > 0.5
    assert corr["x"] > corr["propensity"]
    # Qini on the held-out experiment's 30% arm vs control rows.
    rows = np.array([a.is_control or a.value == 30 for a in test.arms])
    treated = np.array([not a.is_control for a in test.arms])[rows].astype(int)
    q_x = metrics.qini_auc_score(test.bought[rows], x_effects.uplift[rows, 2], treated)
    assert q_x > 0.0
