"""What every uplift learner predicts: per household and arm, buying and spend with and without.

The shape is causalml's (one effect column per treatment arm, the control a named arm) with the
levels kept beside the differences, because the allocator prices each arm from the levels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from coupondesk.models.uplift.arms import Arm


@dataclass(frozen=True)
class ArmEffects:
    """Predictions for n households over k treatment arms (control excluded from `arms`)."""

    arms: tuple[Arm, ...]
    p_buy: np.ndarray
    """(n, k) P(buy in scope | coupon of arm j)."""
    p_buy_control: np.ndarray
    """(n,) P(buy in scope | no coupon)."""
    spend: np.ndarray
    """(n, k) expected in-scope spend with the coupon of arm j (zero for non-buyers included)."""
    spend_control: np.ndarray
    """(n,) expected in-scope spend without a coupon."""
    learned: bool
    """False when the depth response is a stated prior, not fitted on outcomes."""
    source: str
    """What produced these numbers (the learner, its training rows, or the prior's source)."""
    p_redeem: np.ndarray | None = None
    """(n, k) P(redeem | coupon of arm j): persuaded buyers plus habitual buyers who use it.
    None = not modelled, and every buyer with the coupon is taken to redeem (the upper bound)."""

    @property
    def redeem_probability(self) -> np.ndarray:
        """(n, k) P(redeem), falling back to P(buy) (every buyer redeems) when not modelled."""
        return self.p_buy if self.p_redeem is None else self.p_redeem

    @property
    def uplift(self) -> np.ndarray:
        """(n, k) incremental probability of buying in scope, per arm (causalml's predict)."""
        return self.p_buy - self.p_buy_control[:, None]

    @property
    def incremental_spend(self) -> np.ndarray:
        """(n, k) expected in-scope spend the coupon of each arm adds."""
        return self.spend - self.spend_control[:, None]

    def basket_given_buy(self) -> np.ndarray:
        """(n, k) expected in-scope basket of a buyer under each arm (what a percent applies to)."""
        return np.divide(self.spend, self.p_buy, out=np.zeros_like(self.spend),
                         where=self.p_buy > 0)
