"""Uplift fixtures: the agent's tiny trained models, for the propose -> simulate -> learn loop."""

from __future__ import annotations

from tests.agent.conftest import home_with_models, tiny_models_dir

__all__ = ["home_with_models", "tiny_models_dir"]
