"""The readout's statistics, written out so each figure can be checked against its source.

Wilson score interval and Newcombe's hybrid score interval for a difference of proportions
(Newcombe 1998, Statistics in Medicine 17:873, method 10), the pooled two-proportion z-test, a
normal approximation to the Poisson-binomial count of redemptions, a seeded percentile bootstrap
for a difference of means, and the minimum detectable difference at a given power.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import norm

Z95 = float(norm.ppf(0.975))
"""Two-sided 95% normal quantile (1.95996...)."""


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for one proportion; (0, 1) when there are no trials."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    z2 = z * z
    centre = p + z2 / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    denominator = 1 + z2 / trials
    return max(0.0, (centre - spread) / denominator), min(1.0, (centre + spread) / denominator)


def newcombe_interval(
    successes_1: int, trials_1: int, successes_0: int, trials_0: int, z: float = Z95
) -> tuple[float, float]:
    """Newcombe's hybrid score interval for p1 - p0 (method 10), from the two Wilson intervals."""
    p1 = successes_1 / trials_1 if trials_1 else 0.0
    p0 = successes_0 / trials_0 if trials_0 else 0.0
    l1, u1 = wilson_interval(successes_1, trials_1, z)
    l0, u0 = wilson_interval(successes_0, trials_0, z)
    difference = p1 - p0
    lower = difference - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    upper = difference + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    return lower, upper


def two_proportion_z(
    successes_1: int, trials_1: int, successes_0: int, trials_0: int
) -> tuple[float, float]:
    """Pooled two-proportion z statistic and its two-sided p-value ((0, 1) when undefined)."""
    if trials_1 <= 0 or trials_0 <= 0:
        return 0.0, 1.0
    pooled = (successes_1 + successes_0) / (trials_1 + trials_0)
    variance = pooled * (1 - pooled) * (1 / trials_1 + 1 / trials_0)
    if variance <= 0:
        return 0.0, 1.0
    z = (successes_1 / trials_1 - successes_0 / trials_0) / math.sqrt(variance)
    return z, float(2 * norm.sf(abs(z)))


def poisson_binomial_interval(
    probabilities: list[float] | np.ndarray, z: float = Z95
) -> tuple[float, float, float]:
    """Mean and normal-approximation interval of a sum of independent Bernoulli(p_i)."""
    p = np.clip(np.asarray(probabilities, dtype=float), 0.0, 1.0)
    mean = float(p.sum())
    sd = math.sqrt(float((p * (1 - p)).sum()))
    return mean, max(0.0, mean - z * sd), mean + z * sd


def bootstrap_mean_difference(
    treated: np.ndarray, control: np.ndarray, *, seed: int = 0, resamples: int = 2000
) -> tuple[float, float]:
    """Percentile 95% interval of mean(treated) - mean(control), resampling households."""
    if len(treated) == 0 or len(control) == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    t = rng.choice(treated, size=(resamples, len(treated)), replace=True).mean(axis=1)
    c = rng.choice(control, size=(resamples, len(control)), replace=True).mean(axis=1)
    lower, upper = np.percentile(t - c, [2.5, 97.5])
    return float(lower), float(upper)


def minimum_detectable_lift(
    control_rate: float, trials_1: int, trials_0: int, *, alpha: float = 0.05, power: float = 0.8
) -> float:
    """Smallest p1 - p0 > 0 the pooled two-sided z-test detects with `power` at these sizes.

    Solves d = z_{1-a/2} sqrt(pbar(1-pbar)(1/n1+1/n0)) + z_power sqrt(p1(1-p1)/n1 + p0(1-p0)/n0)
    with p1 = p0 + d by fixed-point iteration (the textbook sample-size formula, inverted).
    """
    if trials_1 <= 0 or trials_0 <= 0:
        return float("nan")
    z_alpha, z_power = float(norm.ppf(1 - alpha / 2)), float(norm.ppf(power))
    p0 = min(max(control_rate, 1e-6), 1 - 1e-6)
    share_1 = trials_1 / (trials_1 + trials_0)
    d = 0.0
    for _ in range(100):
        p1 = min(p0 + d, 1 - 1e-9)
        pbar = share_1 * p1 + (1 - share_1) * p0
        new = z_alpha * math.sqrt(pbar * (1 - pbar) * (1 / trials_1 + 1 / trials_0)) + z_power * (
            math.sqrt(p1 * (1 - p1) / trials_1 + p0 * (1 - p0) / trials_0)
        )
        if abs(new - d) < 1e-10:
            break
        d = new
    return min(d, 1 - p0)


def power_of_z_test(
    p1: float, p0: float, trials_1: int, trials_0: int, *, alpha: float = 0.05
) -> float:
    """Approximate power of the pooled two-sided z-test for true rates p1 > p0 (one tail)."""
    z_alpha = float(norm.ppf(1 - alpha / 2))
    share_1 = trials_1 / (trials_1 + trials_0)
    pbar = share_1 * p1 + (1 - share_1) * p0
    null_sd = math.sqrt(pbar * (1 - pbar) * (1 / trials_1 + 1 / trials_0))
    alt_sd = math.sqrt(p1 * (1 - p1) / trials_1 + p0 * (1 - p0) / trials_0)
    return float(norm.cdf(((p1 - p0) - z_alpha * null_sd) / alt_sd))
