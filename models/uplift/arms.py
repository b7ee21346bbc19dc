"""Offer arms: the treatments an uplift learner compares, with "no coupon" as the control arm.

An arm is what a household is sent (kind, depth, minimum spend, validity), encoded as numbers
so that every learner sees the same columns and the depth column can be held monotone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

ArmKind = Literal["none", "percent_off", "amount_off"]

DEPTH_SCALE: dict[str, float] = {"percent_off": 10.0, "amount_off": 1.0, "none": 1.0}
"""Units of one step of depth per kind (10 percentage points, one dollar): keeps the learned
depth scale of each kind near 1 so one prior can be stated for both."""


@dataclass(frozen=True, order=True)
class Arm:
    """One treatment: `value` is 15 for 15% off or 2 for $2 off; the control arm has kind none."""

    kind: ArmKind
    value: float = 0.0
    min_spend: float = 0.0
    valid_days: int = 7

    @property
    def is_control(self) -> bool:
        """True for the no-coupon arm."""
        return self.kind == "none"

    @property
    def depth(self) -> float:
        """Depth in kind units (see DEPTH_SCALE); 0 for the control arm."""
        return 0.0 if self.is_control else self.value / DEPTH_SCALE[self.kind]

    @property
    def name(self) -> str:
        """A stable label: "none", "percent_off:15", "amount_off:2"."""
        if self.is_control:
            return "none"
        return f"{self.kind}:{self.value:g}"

    def discount(self, basket_in_scope: np.ndarray, cap: float | None = None) -> np.ndarray:
        """Dollars one redemption costs for each basket (percent of in-scope spend, capped)."""
        basket = np.asarray(basket_in_scope, dtype=float)
        if self.is_control:
            return np.zeros_like(basket)
        if self.kind == "amount_off":
            return np.full_like(basket, self.value)
        out = self.value / 100.0 * np.maximum(basket, self.min_spend)
        return np.minimum(out, cap) if cap is not None else out


CONTROL = Arm("none")


def arm_index(arms: Sequence[Arm], assigned: Sequence[Arm]) -> np.ndarray:
    """Position of each assigned arm in `arms` (a clear error for an arm not in the list)."""
    where = {arm: i for i, arm in enumerate(arms)}
    missing = {a.name for a in assigned if a not in where}
    if missing:
        raise ValueError(f"arms not in the arm list: {sorted(missing)}")
    return np.fromiter((where[a] for a in assigned), dtype=np.int64, count=len(assigned))


def encode_arms(assigned: Sequence[Arm]) -> np.ndarray:
    """Columns treated, is_percent, is_amount, depth, min_spend/10, log(valid_days / 7) per row."""
    rows = np.zeros((len(assigned), 6), dtype=float)
    for i, arm in enumerate(assigned):
        rows[i] = (
            0.0 if arm.is_control else 1.0,
            float(arm.kind == "percent_off"),
            float(arm.kind == "amount_off"),
            arm.depth,
            arm.min_spend / 10.0,
            np.log(max(arm.valid_days, 1) / 7.0),
        )
    return rows
