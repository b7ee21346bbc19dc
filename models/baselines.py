"""The baselines rebuilt in-project: logistic regression and LightGBM on the tabular features.

They are trained and reported in the same run, on the same rows, as the transformer. Both are
stored without pickle: logistic as JSON coefficients, LightGBM as its text model format.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from coupondesk.models.config import LightGBMConfig
from sklearn.linear_model import LogisticRegression


def _signed_log(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.log1p(np.abs(x))


@dataclass(frozen=True)
class LogisticBaseline:
    """Signed-log1p, median-imputed, standardised features -> L2 logistic regression."""

    feature_names: tuple[str, ...]
    medians: np.ndarray
    means: np.ndarray
    scales: np.ndarray
    coef: np.ndarray
    intercept: float

    @classmethod
    def fit(cls, features: pd.DataFrame, y: np.ndarray, c: float = 0.1, seed: int = 0
            ) -> LogisticBaseline:
        x = _signed_log(features.to_numpy(np.float64))
        with warnings.catch_warnings():  # an all-NaN column (e.g. depth on history alone)
            warnings.simplefilter("ignore", RuntimeWarning)
            medians = np.nan_to_num(np.nanmedian(x, axis=0), nan=0.0)
        x = np.where(np.isnan(x), medians, x)
        means, scales = x.mean(0), x.std(0)
        scales = np.where(scales < 1e-9, 1.0, scales)
        model = LogisticRegression(C=c, max_iter=5000, random_state=seed)
        model.fit((x - means) / scales, y)
        return cls(tuple(features.columns), medians, means, scales, model.coef_[0],
                   float(model.intercept_[0]))

    def contributions(self, features: pd.DataFrame) -> np.ndarray:
        """Each feature's term of the logit: coefficient x standardised feature (rows x F)."""
        x = _signed_log(features[list(self.feature_names)].to_numpy(np.float64))
        x = np.where(np.isnan(x), self.medians, x)
        return ((x - self.means) / self.scales) * self.coef

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        z = self.contributions(features).sum(1) + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({
            "feature_names": list(self.feature_names), "medians": self.medians.tolist(),
            "means": self.means.tolist(), "scales": self.scales.tolist(),
            "coef": self.coef.tolist(), "intercept": self.intercept,
        }, indent=1))

    @classmethod
    def load(cls, path: Path) -> LogisticBaseline:
        d = json.loads(path.read_text())
        return cls(tuple(d["feature_names"]), np.array(d["medians"]), np.array(d["means"]),
                   np.array(d["scales"]), np.array(d["coef"]), float(d["intercept"]))


def _lgb_params(cfg: LightGBMConfig, objective: str, seed: int, threads: int) -> dict[str, Any]:
    return {
        "objective": objective,
        "learning_rate": cfg.learning_rate,
        "num_leaves": cfg.num_leaves,
        "min_child_samples": cfg.min_child_samples,
        "subsample": cfg.subsample,
        "subsample_freq": 1,
        "colsample_bytree": cfg.colsample_bytree,
        "seed": seed,
        "num_threads": threads,
        "verbose": -1,
        "deterministic": True,
    }


def fit_lightgbm(
    features: pd.DataFrame, y: np.ndarray, cfg: LightGBMConfig, *, objective: str = "binary",
    seed: int = 0, threads: int = 2,
) -> lgb.Booster:
    """A LightGBM booster (binary classifier or L2 regressor) on the raw tabular features."""
    data = lgb.Dataset(features.to_numpy(np.float32), label=y, feature_name=list(features.columns),
                       free_raw_data=True)
    return lgb.train(_lgb_params(cfg, objective, seed, threads), data,
                     num_boost_round=cfg.n_estimators)


def predict_lightgbm(booster: lgb.Booster, features: pd.DataFrame) -> np.ndarray:
    """Booster output for rows (probabilities for binary, values for regression)."""
    names = booster.feature_name()
    return np.asarray(booster.predict(features[names].to_numpy(np.float32), num_threads=2),
                      dtype=np.float64)
