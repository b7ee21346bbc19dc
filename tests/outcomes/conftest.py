"""Outcome fixtures: the agent's tiny trained models, for propose -> approve -> simulate runs."""

from __future__ import annotations

from tests.agent.conftest import home_with_models, tiny_models_dir

__all__ = ["home_with_models", "tiny_models_dir"]
