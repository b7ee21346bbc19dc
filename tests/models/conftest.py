"""Model fixtures: a real ~300-household slice of The Complete Journey and one tiny training run
shared by the whole session (training is the slow part; every test reads its results)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import coupondesk.models  # noqa: F401  (sets OMP_WAIT_POLICY before torch/LightGBM load)
import pytest
from coupondesk.models.frames import RetailFrames

SLICE = tuple(range(8, 2501, 8))
"""Every 8th household, as in tests/conftest.py."""


@pytest.fixture(scope="session")
def small_frames() -> RetailFrames:
    return RetailFrames.from_completejourney(SLICE)


@pytest.fixture(scope="session")
def trained(small_frames: RetailFrames, tmp_path_factory: pytest.TempPathFactory
            ) -> tuple[Path, dict[str, Any], float]:
    """(models_dir, card, seconds) of a tiny-config training run on the slice."""
    import time

    from coupondesk.models.config import tiny_config
    from coupondesk.models.pipeline import train_all

    models_dir = tmp_path_factory.mktemp("models") / "models"
    started = time.perf_counter()
    card = train_all(small_frames, models_dir, config=tiny_config())
    return models_dir, card, time.perf_counter() - started
