"""The whole training run behind `coupondesk train` and `setup`: every model, evaluated and saved.

One run pretrains the basket encoder for each split, evaluates and trains each task
(`coupondesk.models.evaluate`), then saves the serving-ready models and a JSON model card with
every figure (`coupondesk.models.registry`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch
from coupondesk.models import registry
from coupondesk.models.config import TrainConfig
from coupondesk.models.evaluate import evaluate_acceptance, evaluate_behaviour
from coupondesk.models.frames import RetailFrames
from coupondesk.models.history import History, timestamp_days
from coupondesk.models.sequences import BasketTable
from coupondesk.models.tasks import ACCEPTANCE_FOLD_DATE, ACCEPTANCE_SPLIT_DATE
from coupondesk.models.train import Progress, no_progress, pretrain_encoder, set_threads, staged


def train_all(
    frames: RetailFrames, models_dir: Path, *, config: TrainConfig | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Train, evaluate and save every model; returns the model card (also written to disk)."""
    return run_training(frames, Path(models_dir), config=config or TrainConfig(),
                        progress=progress or no_progress)


def run_training(
    frames: RetailFrames, models_dir: Path, *, config: TrainConfig, progress: Progress
) -> dict[str, Any]:
    """Everything `train_all` promises, with the denormal flag set for the run.

    Denormal floats are flushed to zero while training (tiny gradients otherwise slow the CPU
    kernels down many times) and the process-wide flag is restored afterwards, so code that
    runs later in the same process (the TUI, tests) computes with ordinary IEEE floats.
    """
    torch.set_flush_denormal(True)
    try:
        return _train_and_evaluate(frames, models_dir, config=config, progress=progress)
    finally:
        torch.set_flush_denormal(False)


def _train_and_evaluate(
    frames: RetailFrames, models_dir: Path, *, config: TrainConfig, progress: Progress
) -> dict[str, Any]:
    set_threads(config.threads)
    started = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[name] = round(now - since, 1)
        return now

    t = time.perf_counter()
    history = History.from_frames(frames)
    table = BasketTable.from_history(history)
    progress("prepare", 1, 1)
    t = lap("prepare_data_s", t)

    fold_cutoff = timestamp_days(ACCEPTANCE_FOLD_DATE)
    main_cutoff = timestamp_days(ACCEPTANCE_SPLIT_DATE)
    encoders: dict[str, dict[str, torch.Tensor]] = {}
    pretrain_stats: dict[str, Any] = {}
    for name, cutoff in (("fold", fold_cutoff), ("main", main_cutoff)):
        model, stats = pretrain_encoder(
            history, table, cutoff, config, config.seeds[0],
            staged(progress, f"pretrain ({name})"),
        )
        encoders[name] = {k: v.clone() for k, v in model.encoder.state_dict().items()}
        pretrain_stats[name] = stats
    t = lap("pretrain_s", t)

    acceptance = evaluate_acceptance(history, table, encoders, config, progress)
    t = lap("acceptance_s", t)
    behaviour = evaluate_behaviour(history, table, encoders, config, progress)
    t = lap("behaviour_s", t)
    timings["total_s"] = round(time.perf_counter() - started, 1)

    card = registry.build_card(
        frames=frames, config=config, acceptance=acceptance, behaviour=behaviour,
        pretrain=pretrain_stats, timings=timings,
    )
    registry.save_run(models_dir, card=card, acceptance=acceptance, behaviour=behaviour)
    progress("save", 1, 1)
    return card
