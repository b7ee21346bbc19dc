"""When a household will next buy in an offer's scope: a discrete-time hazard model over days.

The seed's fourth job is behaviour prediction for *when* and *how often* to send. A coupon whose
validity misses the household's next purchase in its scope cannot change that purchase, so the
send date is chosen where the predicted probability of the next in-scope purchase falling
inside the validity is highest.

The model: for each household and day k = 0..HORIZON-1 after the cutoff (until its first
in-scope purchase), a LightGBM classifier predicts the hazard h_k = P(buy on day k | not
before), from the household's own purchase cadence in the scope (days since its last
purchase, the median and spread of its gaps, how often it buys) and in the store, and the day's
elapsed time relative to that cadence. P(T = k) = h_k * prod_{j<k}(1 - h_j). It is trained on
many scopes at once (every category with enough buyers), so it scores any scope by the same
features; nothing about a particular category is learned. Leak-safe: features read only lines
strictly before the cutoff, labels only lines in [cutoff, cutoff + HORIZON).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
from coupondesk.models.history import History

HORIZON = 28
"""Days ahead the distribution covers; P(T >= HORIZON) is the remaining mass."""
FEATURES: tuple[str, ...] = (
    "scope_since_last",
    "scope_gap_median",
    "scope_gap_mean",
    "scope_gap_std",
    "scope_purchase_days_91d",
    "scope_purchase_days_all",
    "store_since_last",
    "store_gap_median",
    "store_visit_days_28d",
)
"""Household-level features (per scope); day-level features are added in `_expand`."""
DAY_FEATURES: tuple[str, ...] = ("day", "elapsed", "elapsed_over_gap", "store_elapsed_over_gap")
REGULAR_PURCHASE_DAYS = 4
"""Purchase days in a scope that make a household a regular buyer of it (a breakdown only)."""
NO_HISTORY_GAP = 60.0
"""Gap used for a household with fewer than two purchase days in the scope (a long cadence)."""


@dataclass(frozen=True)
class TimingConfig:
    """LightGBM settings of the hazard model (small: it has few, dense features)."""

    num_leaves: int = 31
    learning_rate: float = 0.05
    n_estimators: int = 300
    min_child_samples: int = 200
    seed: int = 0


def _gap_stats(days: np.ndarray, owners: np.ndarray, households: np.ndarray,
               cutoff: float) -> pd.DataFrame:
    """Per household: days since last purchase day, gap median/mean/std, purchase-day counts."""
    frame = pd.DataFrame({"h": owners, "d": np.floor(days)}).drop_duplicates()
    frame = frame.sort_values(["h", "d"], kind="stable")
    frame["gap"] = frame.groupby("h")["d"].diff()
    grouped = frame.groupby("h")
    stats = pd.DataFrame({
        "last": grouped["d"].max(),
        "n_all": grouped["d"].size(),
        "n_91": frame[frame["d"] >= cutoff - 91].groupby("h")["d"].size(),
        "n_28": frame[frame["d"] >= cutoff - 28].groupby("h")["d"].size(),
        "gap_median": grouped["gap"].median(),
        "gap_mean": grouped["gap"].mean(),
        "gap_std": grouped["gap"].std(),
    }).reindex(households)
    stats["since_last"] = np.floor(cutoff) - stats["last"]
    return stats


def store_stats(history: History, cutoff: float) -> pd.DataFrame:
    """Store-visit cadence of every household at `cutoff` (shared by all scopes of a day)."""
    lines = history.lines_before(cutoff)
    owners = lines["household_id"].to_numpy()
    return _gap_stats(lines["t"].to_numpy(), owners, np.unique(owners), cutoff)


def timing_features(history: History, cutoff: float, households: np.ndarray,
                    scope_lines: np.ndarray | None, store: pd.DataFrame | None = None
                    ) -> pd.DataFrame:
    """The household-level features at `cutoff` for a scope given as a boolean mask of lines.

    `scope_lines` is a mask over `history.lines_before(cutoff)` (None = the whole store);
    `store` is `store_stats(history, cutoff)` when the caller has it already.
    Households with no purchase in the scope get since_last = NaN (LightGBM routes it) and the
    long NO_HISTORY_GAP cadence.
    """
    lines = history.lines_before(cutoff)
    hh = np.asarray(households, dtype=np.int64)
    store = (store if store is not None else store_stats(history, cutoff)).reindex(hh)
    if scope_lines is None:
        scope = store
    else:
        picked = lines[scope_lines]
        scope = _gap_stats(picked["t"].to_numpy(), picked["household_id"].to_numpy(), hh, cutoff)
    out = pd.DataFrame({
        "scope_since_last": scope["since_last"].to_numpy(np.float64),
        "scope_gap_median": scope["gap_median"].fillna(NO_HISTORY_GAP).to_numpy(np.float64),
        "scope_gap_mean": scope["gap_mean"].fillna(NO_HISTORY_GAP).to_numpy(np.float64),
        "scope_gap_std": scope["gap_std"].to_numpy(np.float64),
        "scope_purchase_days_91d": scope["n_91"].fillna(0).to_numpy(np.float64),
        "scope_purchase_days_all": scope["n_all"].fillna(0).to_numpy(np.float64),
        "store_since_last": store["since_last"].to_numpy(np.float64),
        "store_gap_median": store["gap_median"].fillna(NO_HISTORY_GAP).to_numpy(np.float64),
        "store_visit_days_28d": store["n_28"].fillna(0).to_numpy(np.float64),
    }, index=pd.Index(hh, name="household_id"))
    return out


def next_purchase_day(history: History, cutoff: float, households: np.ndarray,
                      scope_lines_after: np.ndarray | None, horizon: int = HORIZON) -> np.ndarray:
    """Observed days from `cutoff` to the first in-scope purchase in [cutoff, cutoff+horizon).

    `scope_lines_after` masks the lines in that window; a household that does not buy gets
    `horizon` (censored). This is the label the model learns and the bench checks against.
    """
    t = history.lines["t"].to_numpy()
    lo = int(np.searchsorted(t, cutoff, side="left"))
    hi = int(np.searchsorted(t, cutoff + horizon, side="left"))
    window = history.lines.iloc[lo:hi]
    if scope_lines_after is not None:
        window = window[scope_lines_after]
    first = (np.floor(window["t"].to_numpy()) - np.floor(cutoff))
    first_by = pd.Series(first).groupby(window["household_id"].to_numpy()).min()
    return first_by.reindex(np.asarray(households, dtype=np.int64)).fillna(horizon).to_numpy()


def _expand(features: pd.DataFrame, days: Iterable[int]) -> pd.DataFrame:
    """One row per (household, day): household features plus where the day sits in its cadence."""
    day_list = list(days)
    n = len(features)
    rep = features.loc[features.index.repeat(len(day_list))].reset_index(drop=True)
    day = np.tile(np.asarray(day_list, dtype=np.float64), n)
    rep["day"] = day
    rep["elapsed"] = rep["scope_since_last"] + day
    rep["elapsed_over_gap"] = rep["elapsed"] / np.maximum(rep["scope_gap_median"], 1.0)
    rep["store_elapsed_over_gap"] = (rep["store_since_last"] + day) / np.maximum(
        rep["store_gap_median"], 1.0)
    return rep[list(FEATURES + DAY_FEATURES)]


def hazard_rows(features: pd.DataFrame, event_day: np.ndarray,
                horizon: int = HORIZON) -> tuple[pd.DataFrame, np.ndarray]:
    """Person-day training rows: days 0..T for a buyer (label 1 on day T), 0..horizon-1 if not."""
    expanded = _expand(features, range(horizon))
    day = expanded["day"].to_numpy()
    event = np.repeat(np.asarray(event_day, dtype=np.float64), horizon)
    keep = day <= event
    label = (day == event).astype(np.int8)
    return expanded[keep].reset_index(drop=True), label[keep]


@dataclass
class TimingModel:
    """The fitted hazard model and what it was trained on (for the model card)."""

    booster: lgb.Booster
    horizon: int
    trained_on: dict[str, object]

    @classmethod
    def fit(cls, rows: pd.DataFrame, labels: np.ndarray, *, config: TimingConfig | None = None,
            horizon: int = HORIZON, trained_on: dict[str, object] | None = None) -> TimingModel:
        """Fit on person-day rows from `hazard_rows` (any number of scopes and cutoffs)."""
        cfg = config or TimingConfig()
        model = lgb.LGBMClassifier(
            num_leaves=cfg.num_leaves, learning_rate=cfg.learning_rate,
            n_estimators=cfg.n_estimators, min_child_samples=cfg.min_child_samples,
            random_state=cfg.seed, n_jobs=2, verbose=-1,
        )
        model.fit(rows[list(FEATURES + DAY_FEATURES)], labels)
        return cls(model.booster_, horizon, dict(trained_on or {}))

    def distribution(self, features: pd.DataFrame) -> np.ndarray:
        """(n, horizon + 1): P(first in-scope purchase on day k), last column P(T >= horizon)."""
        n = len(features)
        if n == 0:
            return np.zeros((0, self.horizon + 1))
        hazard = self.booster.predict(_expand(features, range(self.horizon)))
        hazard = np.clip(np.asarray(hazard, dtype=np.float64).reshape(n, self.horizon), 0, 1)
        survive = np.cumprod(1.0 - hazard, axis=1)
        before = np.hstack([np.ones((n, 1)), survive[:, :-1]])
        return np.hstack([hazard * before, survive[:, -1:]])

    def save(self, directory: Path) -> None:
        """LightGBM text model + JSON metadata (no pickle)."""
        directory.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(directory / "timing.lgb.txt"))
        (directory / "timing.json").write_text(json.dumps(
            {"horizon": self.horizon, "features": list(FEATURES + DAY_FEATURES),
             "trained_on": self.trained_on}, indent=1, default=str))

    @classmethod
    def load(cls, directory: Path) -> TimingModel:
        meta = json.loads((directory / "timing.json").read_text())
        booster = lgb.Booster(model_file=str(directory / "timing.lgb.txt"))
        return cls(booster, int(meta["horizon"]), dict(meta.get("trained_on", {})))

    @staticmethod
    def exists(directory: Path) -> bool:
        return (directory / "timing.lgb.txt").exists() and (directory / "timing.json").exists()


def expected_days(distribution: np.ndarray) -> np.ndarray:
    """Median day of the predicted distribution (the horizon when it is mostly past it)."""
    cdf = np.cumsum(distribution, axis=1)
    return np.argmax(cdf >= 0.5, axis=1).astype(np.float64)


def best_send_offsets(distribution: np.ndarray, *, window_days: int,
                      valid_days: int) -> tuple[np.ndarray, np.ndarray]:
    """Per household the send offset d in [0, window_days - valid_days] whose validity
    [d, d + valid_days) holds the most predicted probability, and that probability.

    Ties go to the earliest day (a coupon that arrives early still covers an early visit).
    """
    horizon = distribution.shape[1] - 1
    last = max(0, min(window_days - valid_days, horizon - 1))
    cdf = np.hstack([np.zeros((len(distribution), 1)), np.cumsum(distribution[:, :horizon], 1)])
    offsets = np.arange(last + 1)
    ends = np.minimum(offsets + valid_days, horizon)
    coverage = cdf[:, ends] - cdf[:, offsets]
    best = np.argmax(coverage + 1e-12 * (last - offsets), axis=1)
    return best.astype(np.int64), coverage[np.arange(len(best)), best]


def contact_allowance(cadence_days: np.ndarray, *, cap: int, per_days: int) -> np.ndarray:
    """Coupons a household may receive per `per_days`: its purchase occasions in that span,
    at least one and never above the policy's cap (a weekly shopper is not a monthly one)."""
    occasions = np.floor(per_days / np.maximum(np.asarray(cadence_days, dtype=np.float64), 1.0))
    return np.clip(occasions, 1, cap).astype(np.int64)


def category_scopes(history: History, cutoff: float, *, min_buyers: int,
                    limit: int | None = None, seed: int = 0) -> list[int]:
    """Category codes with at least `min_buyers` buyers before `cutoff` (training scopes)."""
    lines = history.lines_before(cutoff)
    buyers = lines.groupby("cat")["household_id"].nunique()
    codes = [int(c) for c in buyers[buyers >= min_buyers].index if int(c) != 0]
    if limit is not None and len(codes) > limit:
        rng = np.random.default_rng(seed)
        codes = sorted(rng.choice(codes, size=limit, replace=False).tolist())
    return codes


def training_rows(history: History, cutoffs: Iterable[float], scopes: Iterable[int], *,
                  horizon: int = HORIZON, max_households: int | None = None, seed: int = 0
                  ) -> tuple[pd.DataFrame, np.ndarray]:
    """Hazard rows over cutoffs x category scopes (households with a purchase in the scope
    before the cutoff), sampled to `max_households` per (cutoff, scope) to bound memory."""
    rng = np.random.default_rng(seed)
    parts: list[pd.DataFrame] = []
    labels: list[np.ndarray] = []
    cat = history.lines["cat"].to_numpy()
    t = history.lines["t"].to_numpy()
    scope_list = list(scopes)
    for cutoff in cutoffs:
        end = int(np.searchsorted(t, cutoff, side="left"))
        hi = int(np.searchsorted(t, cutoff + horizon, side="left"))
        store = store_stats(history, cutoff)
        for code in scope_list:
            mask_before = cat[:end] == code
            buyers = np.unique(history.lines["household_id"].to_numpy()[:end][mask_before])
            if len(buyers) == 0:
                continue
            if max_households is not None and len(buyers) > max_households:
                buyers = np.sort(rng.choice(buyers, size=max_households, replace=False))
            feats = timing_features(history, cutoff, buyers, mask_before, store)
            event = next_purchase_day(history, cutoff, buyers, cat[end:hi] == code, horizon)
            rows, y = hazard_rows(feats, event, horizon)
            parts.append(rows)
            labels.append(y)
    if not parts:
        return pd.DataFrame(columns=list(FEATURES + DAY_FEATURES)), np.zeros(0, dtype=np.int8)
    return pd.concat(parts, ignore_index=True), np.concatenate(labels)


@dataclass(frozen=True)
class SendPolicyFigures:
    """Coverage of the next in-scope purchase by three send policies, and next-purchase MAE."""

    households: int
    coverage: dict[str, float]
    """Share of (household, scope) pairs whose next purchase fell inside the validity;
    "foresight" is the upper bound (the next purchase fell anywhere a send could cover)."""
    mae_days: dict[str, float]
    """Mean absolute error of the predicted days to next purchase (capped at the horizon)."""
    regular: dict[str, float]
    """Coverage among regular buyers (REGULAR_PURCHASE_DAYS+ purchase days in the scope)."""
    regular_households: int

    def ratio(self, baseline: str) -> float:
        """The model's coverage over a baseline's (the issue's goal: >= 1.2 against day0)."""
        base = self.coverage[baseline]
        return self.coverage["model"] / base if base > 0 else float("nan")

    def to_json(self) -> dict[str, object]:
        return {
            "households_x_scopes": self.households,
            "coverage": {k: round(v, 4) for k, v in self.coverage.items()},
            "coverage_ratio_vs_day0": round(self.ratio("day0"), 3),
            "coverage_ratio_vs_median_gap": round(self.ratio("median_gap"), 3),
            "next_purchase_mae_days": {k: round(v, 2) for k, v in self.mae_days.items()},
            "regular_buyers": {
                "households_x_scopes": self.regular_households,
                "min_purchase_days": REGULAR_PURCHASE_DAYS,
                "coverage": {k: round(v, 4) for k, v in self.regular.items()},
                "coverage_ratio_vs_day0": round(
                    self.regular["model"] / self.regular["day0"], 3)
                if self.regular.get("day0") else None,
            },
        }


def evaluate_send_policies(model: TimingModel, history: History, cutoffs: Iterable[float],
                           scopes: Iterable[int], *, window_days: int, valid_days: int
                           ) -> SendPolicyFigures:
    """Held-out check of the chosen send dates against "send on the cutoff day" and "send when
    the household's median gap since its last purchase runs out", on the same households.

    Each (cutoff, category) pair takes every household that bought in the category before the
    cutoff; covered = its actual next purchase there falls in [send, send + valid_days).
    """
    cat = history.lines["cat"].to_numpy()
    t = history.lines["t"].to_numpy()
    hid = history.lines["household_id"].to_numpy()
    names = ("model", "day0", "median_gap")
    covered = dict.fromkeys((*names, "foresight"), 0)
    regular = dict.fromkeys((*names, "foresight"), 0)
    abs_err = dict.fromkeys(names, 0.0)
    n = 0
    n_regular = 0
    scope_list = list(scopes)
    last_send = max(0, window_days - valid_days)
    for cutoff in cutoffs:
        end = int(np.searchsorted(t, cutoff, side="left"))
        hi = int(np.searchsorted(t, cutoff + model.horizon, side="left"))
        store = store_stats(history, cutoff)
        for code in scope_list:
            before = cat[:end] == code
            buyers = np.unique(hid[:end][before])
            if len(buyers) == 0:
                continue
            feats = timing_features(history, cutoff, buyers, before, store)
            actual = next_purchase_day(history, cutoff, buyers, cat[end:hi] == code,
                                       model.horizon)
            dist = model.distribution(feats)
            chosen, _ = best_send_offsets(dist, window_days=window_days, valid_days=valid_days)
            due = np.nan_to_num(
                (feats["scope_gap_median"] - feats["scope_since_last"]).to_numpy(), nan=0.0)
            gap_send = np.clip(np.round(due), 0, last_send).astype(np.int64)
            sends = {"model": chosen, "day0": np.zeros_like(chosen), "median_gap": gap_send,
                     # the best a send could do knowing the future: as late as still covers
                     "foresight": np.clip(actual - valid_days + 1, 0, last_send).astype(int)}
            is_regular = feats["scope_purchase_days_all"].to_numpy() >= REGULAR_PURCHASE_DAYS
            for name, send in sends.items():
                hit = (actual >= send) & (actual < send + valid_days)
                covered[name] += int(hit.sum())
                regular[name] += int((hit & is_regular).sum())
            n_regular += int(is_regular.sum())
            capped = np.minimum(actual, model.horizon)
            guesses = {"model": expected_days(dist), "day0": np.zeros(len(buyers)),
                       "median_gap": np.clip(due, 0, model.horizon)}
            for name in names:
                abs_err[name] += float(np.abs(guesses[name] - capped).sum())
            n += len(buyers)
    if n == 0:
        raise ValueError("no household bought in any evaluation scope before the cutoffs")
    return SendPolicyFigures(n, {k: v / n for k, v in covered.items()},
                             {k: v / n for k, v in abs_err.items()},
                             {k: v / max(n_regular, 1) for k, v in regular.items()}, n_regular)


@dataclass(frozen=True)
class TimingRun:
    """A trained timing model with its held-out figures (for the model card)."""

    model: TimingModel
    figures: SendPolicyFigures
    card: dict[str, object]


def train_and_evaluate(history: History, *, train_cutoffs: list[float],
                       test_cutoffs: list[float], window_days: int = 14, valid_days: int = 7,
                       scopes: int = 40, test_scopes: int = 20, min_buyers: int = 150,
                       max_households: int = 400, seed: int = 0,
                       config: TimingConfig | None = None) -> TimingRun:
    """Fit on training cutoffs x sampled categories; report on other categories at the test
    cutoffs (categories split by a seeded shuffle, so no scope is in both)."""
    train_cutoffs = [c for c in train_cutoffs if c + HORIZON <= min(test_cutoffs)]
    if not train_cutoffs:
        raise ValueError("no training cutoff whose labels end before the first test cutoff")
    eligible = category_scopes(history, train_cutoffs[-1], min_buyers=min_buyers)
    if len(eligible) < 2:
        raise ValueError(f"fewer than two categories with {min_buyers}+ buyers to train on")
    rng = np.random.default_rng(seed)
    shuffled = [int(c) for c in rng.permutation(eligible)]
    held = max(1, min(test_scopes, len(shuffled) // 3))
    test_codes, train_codes = sorted(shuffled[:held]), sorted(shuffled[held:][:scopes])
    rows, labels = training_rows(history, train_cutoffs, train_codes,
                                 max_households=max_households, seed=seed)
    model = TimingModel.fit(rows, labels, config=config, trained_on={
        "train_cutoffs": len(train_cutoffs), "train_categories": len(train_codes),
        "rows": int(len(rows)), "max_households_per_scope": max_households})
    figures = evaluate_send_policies(model, history, test_cutoffs, test_codes,
                                     window_days=window_days, valid_days=valid_days)
    card: dict[str, object] = {
        "task": "days to next purchase in an offer's scope (discrete-time hazard, LightGBM)",
        "train_cutoffs": len(train_cutoffs), "test_cutoffs": len(test_cutoffs),
        "train_categories": len(train_codes), "test_categories": len(test_codes),
        "training_rows": int(len(rows)), "window_days": window_days, "valid_days": valid_days,
        **figures.to_json(),
    }
    model.trained_on.update(card)
    return TimingRun(model, figures, card)
