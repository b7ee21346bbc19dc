"""Per household and arm: incremental margin, expected discount cost, and its variance.

    value_ik      = m x (spend_ik - spend_i0)            incremental in-scope margin
    discount_ik   = q_ik x d_ik                          paid by every redeemer, persuaded or not
                                                         (q = P(redeem), or P(buy) if not modelled)
    objective_ik  = value_ik - discount_ik - c_send      what the allocator maximises
    cost_ik       = discount_ik + c_send                 what the budget pays (expected)
    variance_ik   = q_ik (1 - q_ik) d_ik^2               of the discount, for the hard budget

d_ik is the discount of one redemption: the amount off, or the percent of the buyer's expected
in-scope basket under that arm, capped by the per-coupon cap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from coupondesk.models.uplift.effects import ArmEffects


@dataclass(frozen=True)
class Economics:
    """Assumptions of the money figures; shown in the proposal's assumptions."""

    margin_rate: float = 0.30
    send_cost: float = 0.05
    max_discount: float | None = None
    """Per-redemption cap of a percent offer ("up to $5"); None = uncapped."""


@dataclass(frozen=True)
class ArmEconomics:
    """(n, k) matrices over households and treatment arms."""

    value: np.ndarray
    discount: np.ndarray
    discount_per_redemption: np.ndarray
    redeem: np.ndarray
    variance: np.ndarray
    objective: np.ndarray
    cost: np.ndarray
    send_cost: float


def arm_economics(effects: ArmEffects, economics: Economics) -> ArmEconomics:
    """Price every arm for every household from the model's levels."""
    basket = effects.basket_given_buy()
    per_redemption = np.column_stack([
        arm.discount(basket[:, j], economics.max_discount) for j, arm in enumerate(effects.arms)
    ])
    q = effects.redeem_probability
    discount = q * per_redemption
    value = economics.margin_rate * effects.incremental_spend
    return ArmEconomics(
        value=value,
        discount=discount,
        discount_per_redemption=per_redemption,
        redeem=q,
        variance=q * (1 - q) * per_redemption**2,
        objective=value - discount - economics.send_cost,
        cost=discount + economics.send_cost,
        send_cost=economics.send_cost,
    )
