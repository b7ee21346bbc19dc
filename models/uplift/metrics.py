"""Uplift metrics with scikit-uplift's signatures: Qini and uplift curves, AUC, uplift@k, AUCC.

Written here (numpy only) so the figures the product reports are auditable; a test holds each
beside scikit-uplift's on the same arrays. `aucc_score` is the cost-aware curve (Du et al. 2019,
"Improve User Retention with Causal Learning"): incremental outcome against incremental cost.
"""

from __future__ import annotations

import numpy as np


def _arrays(*arrays: object) -> list[np.ndarray]:
    out = [np.asarray(a) for a in arrays]
    if len({len(a) for a in out}) != 1:
        raise ValueError("all arrays must have the same length")
    return out


def _check_binary(name: str, values: np.ndarray) -> None:
    if not set(np.unique(values).tolist()) <= {0, 1}:
        raise ValueError(f"{name} must be binary (0/1)")


def _cumulative_by_threshold(
    y_true: np.ndarray, uplift: np.ndarray, treatment: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cumulative treated/control counts and outcomes at each distinct score, best first."""
    order = np.argsort(uplift, kind="mergesort")[::-1]
    y, t, u = y_true[order].astype(float), treatment[order].astype(float), uplift[order]
    thresholds = np.r_[np.where(np.diff(u))[0], u.size - 1]
    n_treated = np.cumsum(t)[thresholds]
    y_treated = np.cumsum(y * t)[thresholds]
    y_control = np.cumsum(y * (1 - t))[thresholds]
    n_all = (thresholds + 1).astype(float)
    return n_all, n_treated, n_all - n_treated, y_treated, y_control


def _from_origin(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if x.size == 0 or x[0] != 0 or y[0] != 0:
        return np.r_[0.0, x], np.r_[0.0, y]
    return x, y


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros_like(num, dtype=float), where=den != 0)


def uplift_curve(
    y_true: np.ndarray, uplift: np.ndarray, treatment: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(households targeted, (treated rate - control rate) x households) at each threshold."""
    y_true, uplift, treatment = _arrays(y_true, uplift, treatment)
    _check_binary("y_true", y_true)
    _check_binary("treatment", treatment)
    n_all, n_t, n_c, y_t, y_c = _cumulative_by_threshold(y_true, uplift, treatment)
    return _from_origin(n_all, (_ratio(y_t, n_t) - _ratio(y_c, n_c)) * n_all)


def qini_curve(
    y_true: np.ndarray, uplift: np.ndarray, treatment: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(households targeted, treated responders - control responders x n_t / n_c)."""
    y_true, uplift, treatment = _arrays(y_true, uplift, treatment)
    _check_binary("y_true", y_true)
    _check_binary("treatment", treatment)
    n_all, n_t, n_c, y_t, y_c = _cumulative_by_threshold(y_true, uplift, treatment)
    return _from_origin(n_all, y_t - y_c * _ratio(n_t, n_c))


def _normalised_area(
    actual: tuple[np.ndarray, np.ndarray], perfect: tuple[np.ndarray, np.ndarray]
) -> float:
    baseline = np.trapezoid([0.0, perfect[1][-1]], [0.0, perfect[0][-1]])
    best = np.trapezoid(perfect[1], perfect[0]) - baseline
    return float((np.trapezoid(actual[1], actual[0]) - baseline) / best)


def qini_auc_score(
    y_true: np.ndarray, uplift: np.ndarray, treatment: np.ndarray, negative_effect: bool = True
) -> float:
    """Area between the Qini curve and random targeting, over that of the perfect ranking."""
    y_true, uplift, treatment = _arrays(y_true, uplift, treatment)
    if negative_effect:
        perfect = qini_curve(y_true, y_true * treatment - y_true * (1 - treatment), treatment)
    else:
        t = treatment == 1
        gain = y_true[t].sum() - t.sum() * y_true[~t].sum() / (~t).sum()
        perfect = (np.array([0.0, gain, len(y_true)]), np.array([0.0, gain, gain]))
    return _normalised_area(qini_curve(y_true, uplift, treatment), perfect)


def uplift_auc_score(y_true: np.ndarray, uplift: np.ndarray, treatment: np.ndarray) -> float:
    """Area between the uplift curve and random targeting, over that of the perfect ranking."""
    y_true, uplift, treatment = _arrays(y_true, uplift, treatment)
    control_responders = np.sum((y_true == 1) & (treatment == 0))
    treated_non_responders = np.sum((y_true == 0) & (treatment == 1))
    summand = y_true if control_responders > treated_non_responders else treatment
    perfect = uplift_curve(y_true, 2 * (y_true == treatment) + summand, treatment)
    return _normalised_area(uplift_curve(y_true, uplift, treatment), perfect)


def uplift_at_k(
    y_true: np.ndarray,
    uplift: np.ndarray,
    treatment: np.ndarray,
    strategy: str,
    k: float | int = 0.3,
) -> float:
    """Treated minus control response rate among the top k ("overall" or "by_group")."""
    y_true, uplift, treatment = _arrays(y_true, uplift, treatment)
    n = len(y_true)
    is_fraction = isinstance(k, float)
    if (is_fraction and not 0 < k < 1) or (not is_fraction and not 0 < k < n):
        raise ValueError(f"k={k} must be in (0, 1) or a count below {n}")
    order = np.argsort(uplift, kind="mergesort")[::-1]
    y, t = y_true[order].astype(float), treatment[order]
    if strategy == "overall":
        size = int(n * k) if is_fraction else int(k)
        top_y, top_t = y[:size], t[:size]
        return float(top_y[top_t == 1].mean() - top_y[top_t == 0].mean())
    if strategy == "by_group":
        n_c = int((t == 0).sum() * k) if is_fraction else int(k)
        n_t = int((t == 1).sum() * k) if is_fraction else int(k)
        return float(y[t == 1][:n_t].mean() - y[t == 0][:n_c].mean())
    raise ValueError(f"strategy must be 'overall' or 'by_group', got {strategy!r}")


def cost_curve(
    y_true: np.ndarray, cost_true: np.ndarray, score: np.ndarray, treatment: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(incremental cost, incremental outcome) as households are added best score first.

    Both increments are treated totals minus control totals scaled to the treated count, as in
    the Qini curve; cost is what each household cost (e.g. the discount it redeemed)."""
    y_true, cost_true, score, treatment = _arrays(y_true, cost_true, score, treatment)
    order = np.argsort(score, kind="mergesort")[::-1]
    y, c, t, s = (y_true[order].astype(float), cost_true[order].astype(float),
                  treatment[order].astype(float), score[order])
    thresholds = np.r_[np.where(np.diff(s))[0], s.size - 1]
    n_t = np.cumsum(t)[thresholds]
    n_c = (thresholds + 1) - n_t
    scale = _ratio(n_t, n_c)
    d_y = np.cumsum(y * t)[thresholds] - np.cumsum(y * (1 - t))[thresholds] * scale
    d_c = np.cumsum(c * t)[thresholds] - np.cumsum(c * (1 - t))[thresholds] * scale
    return np.r_[0.0, d_c], np.r_[0.0, d_y]


def aucc_score(
    y_true: np.ndarray, cost_true: np.ndarray, score: np.ndarray, treatment: np.ndarray
) -> float:
    """Area under the cost curve, both axes over their totals: 0.5 is random, 1 the best shape.

    `score` ranks households by value per cost (e.g. uplift / expected cost)."""
    d_c, d_y = cost_curve(y_true, cost_true, score, treatment)
    if d_c[-1] == 0 or d_y[-1] == 0:
        raise ValueError("the incremental cost or outcome of the whole population is zero")
    x, y = d_c / d_c[-1], d_y / d_y[-1]
    return float(np.trapezoid(y, x))
