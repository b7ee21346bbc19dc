"""Which depths the allocator may give: the policy's menu, within caps and the operator's ask.

The operator fixes a depth ("15% off"), gives a range ("10-20% off", "$2 to $5 off") or asks
for the best depth; the menu is then the policy's depths in that range, the range's own ends,
and nothing above the global or scope caps or against the minimum-spend rules.
"""

from __future__ import annotations

from coupondesk.models.uplift.arms import Arm
from coupondesk.tools.campaigns.offer import OfferKind
from coupondesk.tools.errors import BadInputError
from coupondesk.tools.policy.rules import Policy


def depth_cap(policy: Policy, kind: OfferKind, departments: list[str],
              categories: list[str]) -> float:
    """The largest depth of this kind the policy allows on this scope."""
    caps = [policy.offer.max_percent if kind == "percent_off" else policy.offer.max_amount]
    for _where, limit in policy.scope_limits(departments, categories):
        cap = limit.max_percent if kind == "percent_off" else limit.max_amount
        if cap is not None:
            caps.append(cap)
    return min(caps)


def depth_menu(
    policy: Policy,
    kind: OfferKind,
    *,
    departments: list[str] | None = None,
    categories: list[str] | None = None,
    lo: float | None = None,
    hi: float | None = None,
    min_spend: float | None = None,
    valid_days: int = 7,
) -> list[Arm]:
    """The arms to choose from; lo == hi fixes the depth. A range that admits none is an error."""
    if lo is not None and hi is not None and lo > hi:
        raise BadInputError(f"depth range: {lo:g} is above {hi:g}")
    cap = depth_cap(policy, kind, departments or [], categories or [])
    menu = policy.uplift.percent_menu if kind == "percent_off" else policy.uplift.amount_menu
    values = set(menu) | {v for v in (lo, hi) if v is not None}
    low = lo if lo is not None else 0.0
    high = hi if hi is not None else cap
    allowed: list[float] = []
    for value in sorted(values):
        if not low <= value <= min(high, cap):
            continue
        if kind == "amount_off":
            if min_spend is None and value > policy.offer.min_spend_required_above:
                continue
            share = policy.offer.max_amount_share_of_min_spend
            if min_spend is not None and value > share * min_spend:
                continue
        allowed.append(value)
    if not allowed:
        what = "%" if kind == "percent_off" else " off"
        raise BadInputError(
            f"depth: no depth between {low:g}{what} and {high:g}{what} is allowed "
            f"(policy cap {cap:g} on this scope)"
        )
    return [Arm(kind, v, min_spend or 0.0, valid_days) for v in allowed]
