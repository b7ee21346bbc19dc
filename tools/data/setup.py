"""`coupondesk setup`: migrate, load the default data, train the models. Idempotent.

One function shared by the CLI (rich progress bars) and the TUI (a setup screen): both pass a
progress callback and get the same typed report back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from coupondesk.tools.data.ingest import IngestReport, ingest_completejourney
from coupondesk.tools.data.limits import TRAIN_HOUSEHOLDS
from coupondesk.tools.db.migrate import upgrade
from coupondesk.tools.db.session import check_reachable, get_engine

Progress = Callable[[str, int, int], None]


@dataclass
class SetupReport:
    """What setup did, step by step, with timings."""

    migrated: bool = True
    ingest: IngestReport | None = None
    trained: list[str] = field(default_factory=list)
    training_skipped_reason: str = ""
    seconds: dict[str, float] = field(default_factory=dict)


def models_ready(models_dir: Path) -> bool:
    """True when both serving models exist under the models directory."""
    from coupondesk.models.registry import has_model

    return all(has_model(models_dir, name) for name in ("acceptance", "behaviour"))


def run_setup(
    database_url: str,
    models_dir: Path,
    progress: Progress | None = None,
    *,
    train: bool = True,
    force_train: bool = False,
    train_households: int = TRAIN_HOUSEHOLDS,
) -> SetupReport:
    """Bring the database to head, load the default dataset, train missing models (on a
    seeded sample of at most `train_households` households)."""
    report_progress: Progress = progress or (lambda _s, _d, _t: None)
    models_dir.mkdir(parents=True, exist_ok=True)
    engine = get_engine(database_url)
    check_reachable(engine)
    report = SetupReport()

    started = time.perf_counter()
    report_progress("migrating database", 0, 1)
    upgrade(engine)
    report_progress("migrating database", 1, 1)
    report.seconds["migrate"] = time.perf_counter() - started

    started = time.perf_counter()
    report.ingest = ingest_completejourney(engine, report_progress)
    report.seconds["ingest"] = time.perf_counter() - started

    if not train:
        report.training_skipped_reason = "training not requested"
        return report
    if models_ready(models_dir) and not force_train:
        report.training_skipped_reason = "models already trained"
        report_progress("models already trained", 1, 1)
        return report
    started = time.perf_counter()
    from coupondesk.models.config import TrainConfig
    from coupondesk.models.pipeline import train_all
    from coupondesk.tools.data.frames import training_frames

    config = TrainConfig()
    report_progress("reading history for training", 0, 1)
    frames, sample = training_frames(engine, limit=train_households, seed=config.seeds[0])
    report_progress("reading history for training", 1, 1)
    card = train_all(frames, models_dir, config=config, progress=report_progress,
                     sample=sample)
    report.trained = [
        f"acceptance ({card['acceptance']['serving']})",
        f"behaviour ({card['behavior']['serving']})",
    ]
    report.seconds["train"] = time.perf_counter() - started
    return report
