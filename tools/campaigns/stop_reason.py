"""What ended a cut, in words an operator can act on (the proposal panel and `propose`).

An operator who reads "budget $300" and gets a campaign a twentieth of that size has to be
told which limit ended it and what would lift it; only the budget itself needs no remedy.
"""

from __future__ import annotations

from coupondesk.tools.policy.quantities import format_number


def _money(value: float) -> str:
    return f"${value:,.2f}" if not float(value).is_integer() else f"${value:,.0f}"


def describe_stop(
    *,
    stopped_by: str,
    recipients: int,
    eligible: int,
    holdout: int,
    expected_cost: float,
    budget: float | None,
    binding: str = "",
    refusal_risk: float | None = None,
    risk_limit: float = 0.05,
    lift: dict[str, float] | None = None,
    per_coupon: float = 0.0,
    liability_multiple: float | None = None,
    requested_size: int | None = None,
    policy_size: int | None = None,
) -> str:
    """One or two sentences: the limit that ended the cut and, unless it is the budget, the lift."""
    lift = lift or {}
    spent = (
        f"{_money(round(expected_cost, 2))} of the {_money(budget)} budget "
        f"({expected_cost / budget:.0%})" if budget else _money(round(expected_cost, 2))
    )
    n = f"{recipients:,} households"
    if stopped_by == "budget":
        if binding == "refusal_risk" and refusal_risk is not None:
            return (f"the budget ends the cut at {n}: one more would raise the chance that "
                    f"redemptions pass the budget above {risk_limit:.0%} (now "
                    f"{refusal_risk:.1%}); expected cost {spent}")
        return f"the budget ends the cut at {n}: expected cost {spent}"
    if stopped_by == "liability":
        multiple = format_number(liability_multiple) if liability_multiple else "k"
        text = (f"the worst-case rule ends the cut at {n} ({n} x {_money(round(per_coupon, 2))} "
                f"if every one redeems must stay within {multiple} x the budget); expected cost "
                f"{spent}")
        if "cap" in lift:
            text += (f"; a {_money(lift['cap'])} cap would allow {int(lift['size']):,}, or "
                     "redeem the codes through the coupondesk service (budget enforced at "
                     "redemption)")
        elif "size" in lift:
            text += (f"; redeemed through the coupondesk service the budget would allow "
                     f"{int(lift['size']):,}")
        return text
    if stopped_by == "max_size":
        if requested_size is not None and (policy_size is None or requested_size <= policy_size):
            which = f"the request's limit of {requested_size:,} households"
        else:
            which = f"the policy's audience maximum ({policy_size or recipients:,})"
        text = f"{which} ends the cut at {n}; expected cost {spent}"
        if lift.get("everyone"):
            text += (f"; without it every eligible household would be in the cut "
                     f"({int(lift['size']):,} + the control group) at an expected "
                     f"{_money(lift.get('cost', 0.0))}: the audience, not the budget, is the "
                     "real limit")
        elif "size" in lift and int(lift["size"]) > recipients:
            text += f"; without it the budget would allow {int(lift['size']):,}"
        return text
    if stopped_by == "audience":
        held = f" ({holdout:,} held out as the control group)" if holdout else ""
        return (f"every eligible household is in the cut: {n} of {eligible:,} eligible{held}; "
                f"expected cost {spent}; a wider audience would spend more of the budget")
    if stopped_by == "value":
        return f"the next household is not worth its coupon: the cut ends at {n}; {spent}"
    return f"the cut has {n}; expected cost {spent}"
