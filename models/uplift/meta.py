"""Baselines in the same run: T- and X-learners on LightGBM, and today's propensity ranking.

Shapes follow causalml's BaseTClassifier / BaseXClassifier: `fit(features, arm, outcome)` with
the control a named arm (the no-coupon Arm), `predict(features)` one effect column per arm. The
propensity ranking is what the product did before uplift: P(redeem | sent) x spend, learned on
treated households only, crediting the coupon with purchases that would have happened anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from coupondesk.models.uplift.arms import CONTROL, Arm
from coupondesk.models.uplift.effects import ArmEffects
from lightgbm import LGBMClassifier, LGBMRegressor

LGBM_PARAMS: dict[str, Any] = {
    "n_estimators": 150,
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_child_samples": 20,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.9,
    "n_jobs": 1,
    "verbose": -1,
}
"""Small-data defaults (a campaign's randomised rows are hundreds to thousands)."""


def _weights(propensity: np.ndarray | None, n: int) -> np.ndarray:
    if propensity is None:
        return np.ones(n)
    e = np.asarray(propensity, dtype=float)
    if e.shape != (n,) or np.any(~np.isfinite(e)) or np.any(e <= 0) or np.any(e > 1):
        raise ValueError("propensity must be one assignment probability in (0, 1] per row")
    return 1.0 / e


class _ConstantClassifier:
    """Stands in for a classifier on an arm whose outcomes are all one class."""

    def __init__(self, rate: float) -> None:
        self.rate = rate

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        p = np.full(len(features), self.rate)
        return np.column_stack([1 - p, p])


def _classifier(x: np.ndarray, y: np.ndarray, w: np.ndarray, seed: int) -> Any:
    if len(np.unique(y)) < 2:
        return _ConstantClassifier(float(y.mean()) if len(y) else 0.0)
    return LGBMClassifier(**LGBM_PARAMS, random_state=seed).fit(x, y, sample_weight=w)


def _regressor(x: np.ndarray, y: np.ndarray, w: np.ndarray, seed: int) -> LGBMRegressor:
    return LGBMRegressor(**LGBM_PARAMS, random_state=seed).fit(x, y, sample_weight=w)


def _split(arm: Sequence[Arm]) -> tuple[tuple[Arm, ...], np.ndarray]:
    treatments = tuple(sorted({a for a in arm if not a.is_control}))
    if not any(a.is_control for a in arm):
        raise ValueError("no control rows: uplift needs the no-coupon arm")
    if not treatments:
        raise ValueError("no treated rows")
    index = {a: i for i, a in enumerate((CONTROL, *treatments))}
    return treatments, np.array([index[a] for a in arm])


class TLearner:
    """One outcome model (and one spend model) per arm; uplift = treated model - control model."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.arms: tuple[Arm, ...] = ()
        self._buy: list[Any] = []
        self._spend: list[LGBMRegressor] = []

    def fit(self, features: np.ndarray, arm: Sequence[Arm], outcome: np.ndarray,
            spend: np.ndarray | None = None, propensity: np.ndarray | None = None) -> TLearner:
        """Fit per arm on the rows that received it (IPS weights if assignment varied)."""
        x, y = np.asarray(features, dtype=float), np.asarray(outcome, dtype=float)
        w = _weights(propensity, len(y))
        self.arms, which = _split(arm)
        s = None if spend is None else np.asarray(spend, dtype=float)
        self._buy, self._spend = [], []
        for j in range(len(self.arms) + 1):
            rows = which == j
            self._buy.append(_classifier(x[rows], y[rows], w[rows], self.seed))
            if s is not None:
                self._spend.append(_regressor(x[rows], s[rows], w[rows], self.seed))
        return self

    def predict(self, features: np.ndarray) -> ArmEffects:
        """Levels per arm; `.uplift` is causalml's (n, arms) matrix."""
        x = np.asarray(features, dtype=float)
        levels = np.column_stack([m.predict_proba(x)[:, 1] for m in self._buy])
        if self._spend:
            spends = np.column_stack([np.maximum(m.predict(x), 0.0) for m in self._spend])
        else:
            spends = np.zeros_like(levels)
        return ArmEffects(self.arms, levels[:, 1:], levels[:, 0], spends[:, 1:], spends[:, 0],
                          learned=True, source="T-learner (LightGBM per arm)")


class XLearner:
    """causalml's X-learner per arm: impute effects with the other group's model, regress them,
    blend the two effect models by the propensity of treatment (Kuenzel et al. 2019)."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._t = TLearner(seed)
        self._tau: list[tuple[LGBMRegressor, LGBMRegressor, float]] = []

    @property
    def arms(self) -> tuple[Arm, ...]:
        """Treatment arms in column order."""
        return self._t.arms

    def fit(self, features: np.ndarray, arm: Sequence[Arm], outcome: np.ndarray,
            spend: np.ndarray | None = None, propensity: np.ndarray | None = None) -> XLearner:
        """Stage 1: the T-learner; stage 2: effect regressors per arm on imputed effects."""
        x, y = np.asarray(features, dtype=float), np.asarray(outcome, dtype=float)
        self._t.fit(x, arm, y, spend, propensity)
        _arms, which = _split(arm)
        w = _weights(propensity, len(y))
        mu0 = self._t._buy[0]
        control = which == 0
        self._tau = []
        for j in range(1, len(self.arms) + 1):
            treated = which == j
            mu1 = self._t._buy[j]
            d1 = y[treated] - mu0.predict_proba(x[treated])[:, 1]
            d0 = mu1.predict_proba(x[control])[:, 1] - y[control]
            share = float(w[treated].sum() / (w[treated].sum() + w[control].sum()))
            self._tau.append((_regressor(x[treated], d1, w[treated], self.seed),
                              _regressor(x[control], d0, w[control], self.seed), share))
        return self

    def predict(self, features: np.ndarray) -> ArmEffects:
        """Control level from stage 1, per-arm uplift from the blended effect models."""
        x = np.asarray(features, dtype=float)
        base = self._t.predict(x)
        uplift = np.column_stack([
            g * np.asarray(t0.predict(x)) + (1 - g) * np.asarray(t1.predict(x))
            for t1, t0, g in self._tau
        ])
        p_buy = np.clip(base.p_buy_control[:, None] + uplift, 0.0, 1.0)
        return ArmEffects(self.arms, p_buy, base.p_buy_control, base.spend, base.spend_control,
                          learned=True, source="X-learner (LightGBM), spend from its T stage")


class PropensityRanker:
    """Today's ranking: P(buy | sent a coupon) x expected spend, from treated rows only."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._buy: Any = None
        self._spend: LGBMRegressor | None = None

    def fit(self, features: np.ndarray, arm: Sequence[Arm], outcome: np.ndarray,
            spend: np.ndarray) -> PropensityRanker:
        """Learn on the households that were sent a coupon, as the acceptance model does."""
        x, y, s = (np.asarray(v, dtype=float) for v in (features, outcome, spend))
        treated = np.array([not a.is_control for a in arm])
        if not treated.any():
            raise ValueError("no treated rows")
        w = np.ones(int(treated.sum()))
        self._buy = _classifier(x[treated], y[treated], w, self.seed)
        self._spend = _regressor(x[treated], s[treated], w, self.seed)
        return self

    def levels(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(P(buy | sent), expected in-scope spend | sent) per household."""
        if self._buy is None or self._spend is None:
            raise RuntimeError("the propensity ranker is not fitted")
        x = np.asarray(features, dtype=float)
        return self._buy.predict_proba(x)[:, 1], np.maximum(self._spend.predict(x), 0.0)

    def score(self, features: np.ndarray) -> np.ndarray:
        """P(redeem) x expected spend per household (higher = ranked first)."""
        p, spend = self.levels(features)
        return p * spend
