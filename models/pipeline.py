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
from coupondesk.models.frames import HouseholdSample, RetailFrames
from coupondesk.models.history import History, timestamp_days
from coupondesk.models.sequences import BasketTable
from coupondesk.models.tasks import (
    ACCEPTANCE_FOLD_DATE,
    ACCEPTANCE_SPLIT_DATE,
    BEHAVIOUR_LAST_TRAIN_CUTOFF,
    behaviour_cutoffs_after,
    behaviour_cutoffs_until,
)
from coupondesk.models.timing import TimingRun, train_and_evaluate
from coupondesk.models.train import Progress, no_progress, pretrain_encoder, set_threads, staged


def train_all(
    frames: RetailFrames, models_dir: Path, *, config: TrainConfig | None = None,
    progress: Progress | None = None, sample: HouseholdSample | None = None,
) -> dict[str, Any]:
    """Train, evaluate and save every model; returns the model card (also written to disk).

    `sample` (models.frames.sample_households) restricts training to those households and is
    stated in the card as `training_households`; without it every household in `frames` is
    used (and the card says so, with seed null).
    """
    if sample is not None:
        frames = frames.for_households(sample.households)
    return run_training(frames, Path(models_dir), config=config or TrainConfig(),
                        progress=progress or no_progress, sample=sample)


def run_training(
    frames: RetailFrames, models_dir: Path, *, config: TrainConfig, progress: Progress,
    sample: HouseholdSample | None = None,
) -> dict[str, Any]:
    """Everything `train_all` promises, with the denormal flag set for the run.

    Denormal floats are flushed to zero while training (tiny gradients otherwise slow the CPU
    kernels down many times) and the process-wide flag is restored afterwards, so code that
    runs later in the same process (the TUI, tests) computes with ordinary IEEE floats.
    """
    torch.set_flush_denormal(True)
    try:
        return _train_and_evaluate(frames, models_dir, config=config, progress=progress,
                                   sample=sample)
    finally:
        torch.set_flush_denormal(False)


def _train_and_evaluate(
    frames: RetailFrames, models_dir: Path, *, config: TrainConfig, progress: Progress,
    sample: HouseholdSample | None,
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
    timing = train_timing(history, config)
    progress("timing", 1, 1)
    t = lap("timing_s", t)
    timings["total_s"] = round(time.perf_counter() - started, 1)

    card = registry.build_card(
        frames=frames, config=config, acceptance=acceptance, behaviour=behaviour,
        pretrain=pretrain_stats, timings=timings,
    )
    card["timing"] = timing.card
    n_households = int(frames.transactions["household_id"].nunique())
    card["training_households"] = (
        sample.to_json() if sample is not None
        else {"sampled": n_households, "of": n_households, "seed": None})
    registry.save_run(models_dir, card=card, acceptance=acceptance, behaviour=behaviour,
                      timing=timing.model)
    progress("save", 1, 1)
    return card


def train_timing(history: History, config: TrainConfig) -> TimingRun:
    """The send-timing model on the behaviour task's cutoffs, checked on held-out categories."""
    cfg = config.timing
    train = [timestamp_days(c) for c in behaviour_cutoffs_until(BEHAVIOUR_LAST_TRAIN_CUTOFF)]
    test = [timestamp_days(c) for c in behaviour_cutoffs_after(BEHAVIOUR_LAST_TRAIN_CUTOFF)]
    return train_and_evaluate(
        history, train_cutoffs=train, test_cutoffs=test, window_days=cfg.window_days,
        valid_days=cfg.valid_days, scopes=cfg.scopes, test_scopes=cfg.test_scopes,
        min_buyers=cfg.min_buyers, max_households=cfg.max_households, seed=config.seeds[0],
    )
