"""Tiny-config training on a real slice: fast, better than a constant, honest bookkeeping."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from coupondesk.models.train import get_lr


def test_get_lr_is_a_pure_warmup_cosine_schedule() -> None:
    lrs = [get_lr(i, max_lr=1.0, warmup=10, total=100) for i in range(120)]
    assert lrs[0] < lrs[5] < lrs[10]
    assert max(lrs) <= 1.0
    assert abs(lrs[-1] - 0.1) < 1e-9
    assert all(a >= b for a, b in zip(lrs[10:100], lrs[11:100], strict=False))


def test_training_time_is_recorded_in_the_card(trained: tuple[Path, dict[str, Any], float]
                                               ) -> None:
    """The card's timings add up and do not exceed the wall time (speed itself is measured by
    `coupondesk train`, never asserted here)."""
    _, card, seconds = trained
    timings = card["training_time_s"]
    parts = [v for k, v in timings.items() if k != "total_s"]
    assert all(v >= 0 for v in parts)
    assert sum(parts) <= timings["total_s"] + 0.5
    assert timings["total_s"] <= seconds + 0.5


def test_pretraining_beats_category_frequencies(trained: tuple[Path, dict[str, Any], float]
                                               ) -> None:
    _, card, _ = trained
    for split in ("fold", "main"):
        stats = card["pretraining"][split]
        assert stats["valid_loss"] < stats["valid_loss_category_frequency"]


def test_models_beat_a_constant_predictor(trained: tuple[Path, dict[str, Any], float]) -> None:
    """A constant scores ROC-AUC 0.5; every model must rank clearly better on the test split."""
    _, card, _ = trained
    for name, metrics in card["eval"]["acceptance"]["models"].items():
        assert metrics["roc_auc"] > 0.6, name
        assert metrics["lift_at_10"] > 1.0, name
    for name, metrics in card["eval"]["behavior"]["models"].items():
        assert metrics["buy_14d_auc"] > 0.6, name
        assert metrics["spend_28d_r2"] > 0.0, name


def test_card_records_split_seeds_calibration_versions(
    trained: tuple[Path, dict[str, Any], float]
) -> None:
    models_dir, card, _ = trained
    acceptance = card["acceptance"]
    assert acceptance["splits"]["main"]["test_campaigns"] == [13, 14, 16, 17, 18, 19]
    assert acceptance["splits"]["main"]["train_campaigns"] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 27]
    assert card["behavior"]["cutoffs"]["main_test"] == ["2017-10-08", "2017-11-05", "2017-12-03"]
    assert card["seeds"] == [0]
    assert acceptance["serving"] in ("transformer", "logistic", "lightgbm")
    assert "validation fold" in acceptance["serving_reason"]
    assert card["calibration"]["acceptance"]["transformer"]["method"] == "platt"
    assert {"torch", "transformers", "lightgbm"} <= set(card["library_versions"])
    assert card["training_time_s"]["total_s"] > 0
    assert "not" in card["offer_depth"].lower()
    for folder in ("acceptance-transformer", "behaviour-transformer"):
        assert (models_dir / folder / "model.safetensors").exists()
        assert (models_dir / folder / "config.json").exists()
    assert np.isfinite(acceptance["test"]["transformer"]["roc_auc"])


def test_training_leaves_subnormal_floats_alone(
    trained: tuple[Path, dict[str, Any], float],
) -> None:
    """Training flushes denormals for speed but must restore IEEE behaviour for the process."""
    tiny = np.array([5e-324])
    assert (tiny * 1.0)[0] > 0
