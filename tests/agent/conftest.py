"""Agent fixtures: tiny models trained once on the slice, for end-to-end runs with real scoring."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_models_dir(sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Serving models trained with the tiny config on the slice database (~30 s, once)."""
    import coupondesk.models  # noqa: F401  (OMP_WAIT_POLICY before torch/LightGBM)
    from coupondesk.models.config import tiny_config
    from coupondesk.models.pipeline import train_all
    from coupondesk.tools.data.frames import load_frames
    from coupondesk.tools.db.session import get_engine

    models_dir = tmp_path_factory.mktemp("agent-models") / "models"
    train_all(load_frames(get_engine(sqlite_url)), models_dir, config=tiny_config())
    return models_dir


@pytest.fixture
def home_with_models(isolated_home: Path, tiny_models_dir: Path) -> Path:
    """COUPONDESK_HOME holding the tiny serving models under models/."""
    shutil.copytree(tiny_models_dir, isolated_home / "models")
    return isolated_home
