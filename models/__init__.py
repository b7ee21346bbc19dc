"""Acceptance and behaviour models: features, basket-BERT transformers, baselines, registry.

The bottom layer: takes pandas DataFrames (RetailFrames), never imports tools/, agent/ or tui/.
"""

from __future__ import annotations

import os

# Must precede the first torch/LightGBM import: with OpenMP's default active waiting, LightGBM
# next to torch on two cores runs ~10x slower (measured 7.4 s vs 0.66 s per model).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
