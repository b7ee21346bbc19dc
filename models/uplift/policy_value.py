"""Off-policy value: what a targeting policy would have earned, from randomised outcome data.

With each row's stored assignment probability (issued_coupons.assignment_probability) the
inverse-propensity (IPS) estimate is unbiased; the doubly-robust (DR) estimate adds a reward
model's prediction and stays unbiased if either the propensities or the model are right, with
less variance (Dudik, Langford & Li 2011). Both report a standard error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PolicyValue:
    """An estimated mean reward per household under a policy, with its standard error."""

    value: float
    stderr: float
    method: str

    @property
    def ci95(self) -> tuple[float, float]:
        """Normal 95% interval."""
        return (self.value - 1.96 * self.stderr, self.value + 1.96 * self.stderr)


def _validate(reward: np.ndarray, taken: np.ndarray, propensity: np.ndarray,
              policy: np.ndarray) -> tuple[np.ndarray, ...]:
    r, a, e, pi = (np.asarray(v) for v in (reward, taken, propensity, policy))
    if not (len(r) == len(a) == len(e) == len(pi)) or len(r) == 0:
        raise ValueError("reward, taken, propensity and policy need the same, non-zero length")
    if np.any(~np.isfinite(e)) or np.any(e <= 0) or np.any(e > 1):
        raise ValueError("propensity must be in (0, 1] for every row")
    return r.astype(float), a.astype(int), e.astype(float), pi.astype(int)


def ips_value(reward: np.ndarray, taken: np.ndarray, propensity: np.ndarray,
              policy: np.ndarray) -> PolicyValue:
    """Mean of reward x 1[policy chose the arm taken] / P(arm taken)."""
    r, a, e, pi = _validate(reward, taken, propensity, policy)
    terms = r * (a == pi) / e
    return PolicyValue(float(terms.mean()), float(terms.std(ddof=1) / np.sqrt(len(r))), "ips")


def dr_value(reward: np.ndarray, taken: np.ndarray, propensity: np.ndarray,
             policy: np.ndarray, predicted: np.ndarray) -> PolicyValue:
    """Model's reward for the policy's arm plus the IPS-weighted residual where they agree.

    `predicted` is (n, arms): the reward model's expected reward of every arm per row."""
    r, a, e, pi = _validate(reward, taken, propensity, policy)
    q = np.asarray(predicted, dtype=float)
    if q.shape[0] != len(r) or q.ndim != 2 or max(a.max(), pi.max()) >= q.shape[1]:
        raise ValueError("predicted must be (rows, arms) and cover every arm index used")
    rows = np.arange(len(r))
    terms = q[rows, pi] + (a == pi) / e * (r - q[rows, a])
    return PolicyValue(float(terms.mean()), float(terms.std(ddof=1) / np.sqrt(len(r))), "dr")
