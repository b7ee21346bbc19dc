"""Probability calibration fitted on a validation fold: Platt (temperature + bias) or isotonic.

Stored as plain JSON (never pickled), so the model card shows the exact map and loading it
cannot execute code. Outputs are always in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

EPS = 1e-6


def logit(p: np.ndarray) -> np.ndarray:
    """log(p / (1 - p)) with p clipped away from 0 and 1."""
    p = np.clip(np.asarray(p, dtype=float), EPS, 1 - EPS)
    return np.log(p / (1 - p))


@dataclass(frozen=True)
class Calibrator:
    """A monotone map from raw model probability to calibrated probability."""

    method: Literal["platt", "isotonic", "identity"]
    scale: float = 1.0
    bias: float = 0.0
    x: list[float] = field(default_factory=list)
    y: list[float] = field(default_factory=list)

    def __call__(self, p: np.ndarray) -> np.ndarray:
        p = np.asarray(p, dtype=float)
        if self.method == "platt":
            z = self.scale * logit(p) + self.bias
            return 1.0 / (1.0 + np.exp(-z))
        if self.method == "isotonic":
            return np.clip(np.interp(p, self.x, self.y), 0.0, 1.0)
        return np.clip(p, 0.0, 1.0)

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "scale": self.scale, "bias": self.bias, "x": self.x,
                "y": self.y}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Calibrator:
        return cls(data["method"], float(data["scale"]), float(data["bias"]),
                   list(data.get("x", [])), list(data.get("y", [])))


def fit_calibrator(
    y: np.ndarray, p: np.ndarray, method: Literal["platt", "isotonic"] = "platt"
) -> Calibrator:
    """Fit on validation-fold outcomes `y` and the raw probabilities `p` the model gave them."""
    y = np.asarray(y, dtype=float)
    if method == "platt":
        model = LogisticRegression(C=1e6, max_iter=1000).fit(logit(p)[:, None], y)
        return Calibrator("platt", float(model.coef_[0, 0]), float(model.intercept_[0]))
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(p, y)
    return Calibrator(
        "isotonic", x=[float(v) for v in iso.X_thresholds_], y=[float(v) for v in iso.y_thresholds_]
    )
