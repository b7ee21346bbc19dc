"""Evaluation metrics: ROC-AUC, PR-AUC, lift@10%, ECE, regression errors, paired bootstrap.

Plain numpy/scikit-learn so the figures are the textbook definitions and easy to audit.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score


def roc_auc(y: np.ndarray, p: np.ndarray) -> float:
    """Area under the ROC curve."""
    return float(roc_auc_score(y, p))


def pr_auc(y: np.ndarray, p: np.ndarray) -> float:
    """Area under the precision-recall curve (average precision)."""
    return float(average_precision_score(y, p))


def lift_at(y: np.ndarray, p: np.ndarray, share: float = 0.10) -> float:
    """Positive rate among the top `share` scored rows over the overall positive rate."""
    y = np.asarray(y, dtype=float)
    k = max(int(np.ceil(share * len(y))), 1)
    top = np.argsort(-np.asarray(p), kind="stable")[:k]
    base = y.mean()
    return float(y[top].mean() / base) if base > 0 else float("nan")


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """ECE with equal-width probability bins: sum over bins of share * |mean(p) - mean(y)|."""
    y = np.asarray(y, dtype=float)
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    which = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        in_bin = which == b
        if in_bin.any():
            total += in_bin.mean() * abs(p[in_bin].mean() - y[in_bin].mean())
    return float(total)


def classification_report(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """The acceptance figures of the eval JSON."""
    return {
        "roc_auc": roc_auc(y, p),
        "pr_auc": pr_auc(y, p),
        "lift_at_10": lift_at(y, p, 0.10),
        "ece": expected_calibration_error(y, p),
    }


def rmse(y: np.ndarray, pred: np.ndarray) -> float:
    """Root mean squared error."""
    return float(np.sqrt(np.mean((np.asarray(y) - np.asarray(pred)) ** 2)))


def r2(y: np.ndarray, pred: np.ndarray) -> float:
    """Coefficient of determination against the mean of y."""
    y = np.asarray(y, dtype=float)
    return float(1.0 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2))


def paired_bootstrap(
    y: np.ndarray,
    p_model: np.ndarray,
    p_reference: np.ndarray,
    metric: str = "roc_auc",
    rounds: int = 1000,
    seed: int = 0,
) -> dict[str, float]:
    """Bootstrap rows (same resample for both models) and report the metric gain's 95% CI.

    `p_better` is the share of resamples where the model beats the reference; a gain is called
    real when the CI's lower bound is above 0.
    """
    fn = {"roc_auc": roc_auc, "pr_auc": pr_auc, "lift_at_10": lift_at}[metric]
    rng = np.random.default_rng(seed)
    y = np.asarray(y)
    n = len(y)
    gains = []
    for _ in range(rounds):
        idx = rng.integers(0, n, n)
        if y[idx].min() == y[idx].max():
            continue
        gains.append(fn(y[idx], p_model[idx]) - fn(y[idx], p_reference[idx]))
    diffs = np.asarray(gains)
    observed = fn(y, p_model) - fn(y, p_reference)
    return {
        "metric": metric,  # type: ignore[dict-item]
        "gain": float(observed),
        "ci_low": float(np.quantile(diffs, 0.025)),
        "ci_high": float(np.quantile(diffs, 0.975)),
        "p_better": float((diffs > 0).mean()),
        "rounds": int(len(diffs)),
    }


def bootstrap_ci(
    y: np.ndarray, p: np.ndarray, metric: str = "roc_auc", rounds: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """95% bootstrap interval of one model's metric on these rows."""
    fn = {"roc_auc": roc_auc, "pr_auc": pr_auc, "lift_at_10": lift_at}[metric]
    rng = np.random.default_rng(seed)
    y = np.asarray(y)
    values = []
    for _ in range(rounds):
        idx = rng.integers(0, len(y), len(y))
        if y[idx].min() != y[idx].max():
            values.append(fn(y[idx], p[idx]))
    return float(np.quantile(values, 0.025)), float(np.quantile(values, 0.975))
