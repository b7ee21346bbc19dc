"""Save/load round trips give identical scores; calibrated outputs stay in [0, 1]."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from coupondesk.models import registry
from coupondesk.models.calibration import Calibrator, fit_calibrator
from coupondesk.models.features import campaign_scope
from coupondesk.models.frames import RetailFrames
from coupondesk.models.history import History, to_days
from coupondesk.models.sequences import BasketTable
from coupondesk.models.serving import ScoringContext


@pytest.fixture(scope="module")
def context(small_frames: RetailFrames) -> ScoringContext:
    history = History.from_frames(small_frames)
    as_of = to_days(pd.Timestamp("2017-08-08"))
    assert isinstance(as_of, float)
    return ScoringContext.build(history, BasketTable.from_history(history), as_of)


@pytest.mark.parametrize("name", registry.ACCEPTANCE_NAMES)
def test_acceptance_save_load_round_trip(
    name: str, trained: tuple[Path, dict[str, Any], float], context: ScoringContext,
    tmp_path: Path,
) -> None:
    models_dir, _, _ = trained
    first = registry.load_acceptance(models_dir, name)
    scope = campaign_scope(context.history, 13)
    before = first.predict(context, scope)
    # save the loaded model again and reload it: scores must not move
    copy = tmp_path / name
    if first.kind == "transformer":
        first.model.save_pretrained(copy)
    elif first.kind == "lightgbm":
        copy.mkdir()
        first.model.save_model(str(copy / "model.txt"))
        (copy / "features.json").write_text((models_dir / name / "features.json").read_text())
    else:
        copy.mkdir()
        first.model.save(copy / "model.json")
    (copy / "calibration.json").write_text((models_dir / name / "calibration.json").read_text())
    second = registry.load_acceptance(tmp_path, name)
    fresh = ScoringContext.build(context.history, context.table, context.as_of)
    after = second.predict(fresh, scope)
    np.testing.assert_array_equal(before, after)
    assert ((after >= 0) & (after <= 1)).all()


@pytest.mark.parametrize("name", registry.BEHAVIOUR_NAMES)
def test_behaviour_loads_and_is_calibrated(
    name: str, trained: tuple[Path, dict[str, Any], float], context: ScoringContext
) -> None:
    models_dir, _, _ = trained
    a = registry.load_behaviour(models_dir, name).predict(context)
    b = registry.load_behaviour(models_dir, name).predict(
        ScoringContext.build(context.history, context.table, context.as_of))
    for key, values in a.items():
        np.testing.assert_array_equal(values, b[key])
    for key in ("buy_7d", "buy_14d", "buy_28d"):
        assert ((a[key] >= 0) & (a[key] <= 1)).all()
    assert (a["spend_28d"] >= 0).all()
    assert ((a["next_visit_days"] >= 0) & (a["next_visit_days"] <= 28)).all()


@pytest.mark.parametrize("method", ["platt", "isotonic"])
def test_calibrators_map_into_unit_interval_and_survive_json(method: str) -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 500)
    y = (rng.uniform(0, 1, 500) < p**2).astype(int)
    calibrator = fit_calibrator(y, p, method)  # type: ignore[arg-type]
    extreme = np.array([0.0, 1e-12, 0.5, 1 - 1e-12, 1.0])
    out = calibrator(extreme)
    assert ((out >= 0) & (out <= 1)).all()
    assert np.all(np.diff(out) >= 0)
    again = Calibrator.from_json(calibrator.to_json())
    np.testing.assert_array_equal(again(p), calibrator(p))
