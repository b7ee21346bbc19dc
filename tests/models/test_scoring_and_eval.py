"""tools/scoring on trained models, NotReadyError without them, and the eval JSON schema."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from coupondesk.models.frames import RetailFrames
from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.errors import NotReadyError
from coupondesk.tools.scoring.score import Scorer, score


def _offer(**changes: Any) -> Offer:
    base = {"kind": "percent_off", "value": 15, "valid_days": 14, "departments": [],
            "categories": ["COFFEE"]}
    return Offer.model_validate({**base, **changes})


def test_scoring_without_a_model_is_not_ready(tmp_path: Path, small_frames: RetailFrames) -> None:
    with pytest.raises(NotReadyError, match="no trained acceptance model"):
        Scorer(tmp_path / "empty", lambda: small_frames)


def test_scores_new_offer_from_its_description(
    trained: tuple[Path, dict[str, Any], float], small_frames: RetailFrames
) -> None:
    models_dir, _, _ = trained
    households = sorted(small_frames.transactions["household_id"].unique()[:50].tolist())
    results = score(small_frames, households, _offer(), models_dir=models_dir)
    assert [s.household_id for s in results] == households
    for s in results:
        assert 0.0 <= s.acceptance_probability <= 1.0
        assert 0.0 <= s.buy_probability_7d <= s.buy_probability_28d + 0.2
        assert s.expected_scope_spend >= 0 and s.expected_spend_28d >= 0
        assert 0 <= s.next_visit_days <= 28
        assert s.reason.startswith("P(redeem)")
        assert s.depth_modelled is False


def test_depth_is_not_modelled(trained: tuple[Path, dict[str, Any], float],
                               small_frames: RetailFrames) -> None:
    """Discount depth is absent from the history: 5% and 50% off get the same probability."""
    models_dir, _, _ = trained
    scorer = Scorer(models_dir, lambda: small_frames)
    households = small_frames.transactions["household_id"].unique()[:20].tolist()
    shallow = scorer.score(households, _offer(value=5))
    deep = scorer.score(households, _offer(value=50))
    assert [s.acceptance_probability for s in shallow] == [
        s.acceptance_probability for s in deep]


def test_storewide_and_department_offers_score(
    trained: tuple[Path, dict[str, Any], float], small_frames: RetailFrames
) -> None:
    models_dir, _, _ = trained
    scorer = Scorer(models_dir, lambda: small_frames)
    households = small_frames.transactions["household_id"].unique()[:10].tolist()
    offers = [_offer(categories=[]), _offer(categories=[], departments=["PRODUCE"])]
    for results in scorer.score_offers(households, offers):
        assert len(results) == 10


def test_eval_json_schema(trained: tuple[Path, dict[str, Any], float], isolated_home: Path) -> None:
    from coupondesk.cli import main

    models_dir, _, _ = trained
    shutil.copytree(models_dir, isolated_home / "models")
    result = CliRunner().invoke(main, ["eval", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert set(doc) == {"acceptance", "behavior"}
    acceptance, behavior = doc["acceptance"], doc["behavior"]
    assert set(acceptance) == {"models", "serving"}
    assert set(acceptance["models"]) == {"transformer", "logistic", "lightgbm"}
    for metrics in acceptance["models"].values():
        assert set(metrics) == {"roc_auc", "pr_auc", "lift_at_10", "ece"}
        assert all(isinstance(v, float) for v in metrics.values())
    assert acceptance["serving"] in acceptance["models"]
    assert set(behavior["models"]) == {"transformer", "lightgbm"}
    for metrics in behavior["models"].values():
        assert set(metrics) == {"buy_7d_auc", "buy_14d_auc", "buy_28d_auc", "spend_28d_rmse",
                                "spend_28d_r2"}
    assert behavior["serving"] in behavior["models"]


def test_eval_without_models_is_one_line_error(isolated_home: Path) -> None:
    from coupondesk.cli import main

    result = CliRunner().invoke(main, ["eval", "--json"])
    assert result.exit_code != 0
    assert "run `coupondesk train`" in result.output


def test_next_visit_follows_each_households_rhythm(
    trained: tuple[Path, dict[str, Any], float], small_frames: RetailFrames
) -> None:
    """Frequent shoppers get clearly shorter predicted next-visit days than rare shoppers.

    Guards against a flat next-visit estimate (the same few days for everyone), on the default
    scoring day (the midnight after the last transaction, whose day holds only a few hours of
    data) through the public Scorer, and for every behaviour model directly.
    """
    import numpy as np
    from coupondesk.models import registry

    models_dir, _, _ = trained
    scorer = Scorer(models_dir, lambda: small_frames)
    households = sorted(int(h) for h in small_frames.transactions["household_id"].unique())
    scores = scorer.score(households, _offer())
    predicted = np.array([s.next_visit_days for s in scores])
    context = scorer._state_for(np.asarray(households)).context
    table = context.household_table.loc[households]
    gap = table["gap_median"].to_numpy()
    recent = table["recency"].to_numpy() <= 7
    frequent = (gap <= 3) & recent
    rare = (gap >= 14) | (table["recency"].to_numpy() >= 28)
    assert frequent.sum() >= 10 and rare.sum() >= 10
    assert predicted[frequent].mean() + 4.0 < predicted[rare].mean()
    assert np.std(predicted) > 2.0
    for name in registry.BEHAVIOUR_NAMES:
        days = registry.load_behaviour(models_dir, name).predict(context)["next_visit_days"]
        days = days[context.households.searchsorted(np.asarray(households))]
        assert days[frequent].mean() + 4.0 < days[rare].mean(), name
