"""Recipient reasons come from the serving model: its own logit terms, SHAP values or occlusion."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from coupondesk.models.explain import acceptance_contributions, feature_group
from coupondesk.models.features import pair_features
from coupondesk.models.frames import RetailFrames
from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.scoring.score import _GROUP_TITLES, Scorer, _reasons, top_reason_group

OFFER = Offer(kind="percent_off", value=15, valid_days=14, categories=["COFFEE"])
KINDS = {"acceptance-logistic": "logistic", "acceptance-lightgbm": "lightgbm",
         "acceptance-transformer": "transformer"}


def _setup(trained: tuple[Path, dict[str, Any], float], frames: RetailFrames, name: str
           ) -> tuple[Any, Any, Any, pd.DataFrame]:
    models_dir, _, _ = trained
    scorer = Scorer(models_dir, lambda: frames, acceptance_model=name)
    state = scorer._state_for(np.unique(frames.transactions["household_id"].to_numpy()))
    scope = state.scope(OFFER)
    context = state.context
    features = pair_features(context.history, context.households, scope,
                             context.household_table, context.matrices)
    return scorer.acceptance, context, scope, features


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))


@pytest.mark.parametrize("name", ["acceptance-logistic", "acceptance-lightgbm"])
def test_contributions_add_up_to_the_models_logit(
    trained: tuple[Path, dict[str, Any], float], small_frames: RetailFrames, name: str
) -> None:
    model, context, scope, features = _setup(trained, small_frames, name)
    contributions = acceptance_contributions(model, context, scope, features)
    if name == "acceptance-logistic":
        raw = model.model.predict(features[model.feature_names])
        offset = model.model.intercept
    else:
        booster = model.model
        matrix = features[booster.feature_name()].to_numpy(np.float32)
        raw = booster.predict(matrix)
        offset = booster.predict(matrix, pred_contrib=True)[:, -1]
    assert contributions.values.sum(1) + offset == pytest.approx(_logit(raw), abs=1e-4)


@pytest.mark.parametrize("name", list(KINDS))
def test_top_reason_changes_with_the_feature_that_drives_the_score(
    trained: tuple[Path, dict[str, Any], float], small_frames: RetailFrames, name: str
) -> None:
    """Give a household the driving group's values of the household that group pulls down
    most: while its score stays above average, that group is no longer its top reason."""
    model, context, scope, features = _setup(trained, small_frames, name)
    p = model.predict(context, scope, features)
    contributions = acceptance_contributions(model, context, scope, features)
    kind = KINDS[name]
    checked = 0
    for row in np.argsort(-p)[:8]:
        reason = _reasons(features, p, np.array([row]), contributions, kind)[0]
        top = top_reason_group(reason)
        group = {title: g for g, title in _GROUP_TITLES.items()}.get(top, top)
        column = contributions.groups.index(group)
        donor = int(np.argmin(contributions.values[:, column]))
        changed = features.copy()
        cols = [c for c in model.feature_names if feature_group(c) == group]
        if group == "baskets" or not cols:
            continue  # the basket sequence is not a tabular feature one can overwrite
        changed.loc[row, cols] = features.loc[donor, cols].to_numpy()
        p_new = model.predict(context, scope, changed)
        if p_new[row] < p_new.mean():
            continue
        after = acceptance_contributions(model, context, scope, changed)
        new_reason = _reasons(changed, p_new, np.array([row]), after, kind)[0]
        assert top_reason_group(new_reason) != top, (reason, new_reason)
        checked += 1
    assert checked, "no household kept an above-average score to compare"
