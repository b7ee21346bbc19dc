"""Agent fixtures: tiny models trained once on the slice, for end-to-end runs with real scoring."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_models_dir(sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Serving models trained with the tiny config on the slice database (~30 s, once)."""
    import models  # noqa: F401  (OMP_WAIT_POLICY before torch/LightGBM)
    from models.config import tiny_config
    from models.train import train_all
    from tools.db.session import get_engine
    from tools.frames import load_frames

    models_dir = tmp_path_factory.mktemp("agent-models") / "models"
    train_all(load_frames(get_engine(sqlite_url)), models_dir, config=tiny_config())
    return models_dir


@pytest.fixture
def home_with_models(isolated_home: Path, tiny_models_dir: Path) -> Path:
    """COUPONDESK_HOME holding the tiny serving models under models/."""
    shutil.copytree(tiny_models_dir, isolated_home / "models")
    return isolated_home
