"""Who gets the offer: rank scored households and fill the budget, holding out a control group.

Formulas (also in the README, "How a campaign is priced"):

    d_i   expected discount if household i redeems
          amount_off: the offer's value
          percent_off: value% x max(min_spend, s_i), capped by the policy's max amount off,
                       where s_i is i's expected spend in the offer's scope on a redeeming visit
    cost_i  = p_i x d_i + c_send           expected cost of sending one coupon
    value_i = p_i x m x (s_i + r_i)        expected margin the coupon brings in
          p_i  P(redeem) from the acceptance model
          m    gross margin rate (AllocationConfig.margin_rate)
          r_i  expected spend in the offer's scope over the validity window (behaviour model)
          c_send  cost of delivering one coupon (mail/SMS/app push), AllocationConfig.send_cost

Households are ranked by value_i / cost_i (expected value per unit cost; c_send keeps the
acceptance probability in the ratio, so a household unlikely to redeem is never "cheap
enough" to rank first). The cut is filled in rank order while the expected cost stays within
the budget, the count within max size, and the worst-case liability (recipients x largest
possible discount) within the policy multiple of the budget. Each household in the cut is held
out with probability `holdout_share` by a hash of (campaign, household): the control group is
drawn from exactly the population that was targeted, so redemptions and spend of the two groups
can be compared afterwards, and it is reproducible.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from coupondesk.tools.campaigns.offer import Offer


@dataclass(frozen=True)
class Candidate:
    """One eligible, scored household."""

    household_id: int
    p_redeem: float
    scope_spend: float
    """Expected spend in the offer's scope on a redeeming visit (s_i)."""
    window_spend: float
    """Expected spend in the offer's scope during the validity window (r_i)."""
    reason: str = ""
    past_spend: float = 0.0
    """Spend in the look-back window, used when the operator asked for top spenders."""


@dataclass(frozen=True)
class AllocationConfig:
    """Economic assumptions of the ranking; shown in the proposal's assumptions."""

    margin_rate: float = 0.30
    send_cost: float = 0.05
    max_amount_off: float | None = None
    """Policy cap on the discount of one redemption (percent offers)."""
    liability_multiple: float | None = None
    """Worst-case liability may be at most this multiple of the budget."""
    worst_case_per_coupon: float | None = None
    """The most one redemption can cost, as the policy check counts it
    (coupondesk.tools.policy.guardrails.max_discount_per_coupon); None = derived from the
    candidates' spend.
    The cut must use the same figure as the check, or a filled cut fails plan.liability."""
    holdout_share: float = 0.10
    rank_by: str = "value_per_cost"
    """"value_per_cost" (default) or "past_spend" (the operator asked for the biggest spenders)."""


@dataclass(frozen=True)
class Recipient:
    """A household in the cut, with its economics and the reason shown to the operator."""

    household_id: int
    p_redeem: float
    expected_discount: float
    expected_cost: float
    expected_value: float
    reason: str
    holdout: bool


@dataclass
class Allocation:
    """The cut: recipients (treated), holdout (control), totals and the gain curve."""

    recipients: list[Recipient] = field(default_factory=list)
    holdout: list[Recipient] = field(default_factory=list)
    expected_cost: float = 0.0
    expected_redemptions: float = 0.0
    expected_value: float = 0.0
    worst_case_liability: float = 0.0
    worst_case_per_coupon: float = 0.0
    eligible: int = 0
    stopped_by: str = ""
    """Which limit ended the fill: budget, max_size, liability, or audience (everyone fit)."""
    gain_curve: list[dict[str, float]] = field(default_factory=list)
    """Cumulative expected redemptions and cost against audience size over the whole ranking."""


def expected_discount(offer: Offer, scope_spend: float, max_amount_off: float | None) -> float:
    """d_i: dollars one redemption is expected to cost."""
    if offer.kind == "amount_off":
        return float(offer.value)
    basis = max(scope_spend, offer.min_spend or 0.0)
    discount = offer.value / 100.0 * basis
    return min(discount, max_amount_off) if max_amount_off is not None else discount


def worst_case_discount(offer: Offer, max_amount_off: float | None, fallback_basis: float) -> float:
    """The largest discount one coupon can cost (liability if every recipient redeems)."""
    if offer.kind == "amount_off":
        return float(offer.value)
    if max_amount_off is not None:
        return float(max_amount_off)
    return offer.value / 100.0 * fallback_basis


def in_holdout(campaign_id: int, household_id: int, share: float) -> bool:
    """Deterministic coin flip per (campaign, household): reproducible and unpredictable."""
    if share <= 0:
        return False
    digest = hashlib.sha256(f"{campaign_id}:{household_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def _economics(c: Candidate, offer: Offer, config: AllocationConfig) -> tuple[float, float, float]:
    d = expected_discount(offer, c.scope_spend, config.max_amount_off)
    cost = c.p_redeem * d + config.send_cost
    value = c.p_redeem * config.margin_rate * (c.scope_spend + c.window_spend)
    return d, cost, value


def rank(
    candidates: list[Candidate], offer: Offer, config: AllocationConfig
) -> list[tuple[Candidate, float, float, float]]:
    """Candidates with (discount, cost, value), best first; ties broken by household id."""
    scored = [(c, *_economics(c, offer, config)) for c in candidates]
    if config.rank_by == "past_spend":
        scored.sort(key=lambda row: (-row[0].past_spend, row[0].household_id))
    else:
        scored.sort(
            key=lambda row: (-(row[3] / row[2]) if row[2] > 0 else 0.0, row[0].household_id)
        )
    return scored


def allocate(
    candidates: list[Candidate],
    offer: Offer,
    *,
    campaign_id: int,
    budget: float | None,
    max_size: int | None,
    config: AllocationConfig,
    curve_points: int = 40,
) -> Allocation:
    """Fill the cut in rank order within budget, size and liability limits."""
    ranked = rank(candidates, offer, config)
    per_coupon = config.worst_case_per_coupon
    if per_coupon is None:
        scope_typical = max((c.scope_spend for c in candidates), default=0.0)
        per_coupon = worst_case_discount(offer, config.max_amount_off, max(scope_typical, 1.0))
    liability_cap = (
        config.liability_multiple * budget
        if config.liability_multiple is not None and budget is not None
        else None
    )
    result = Allocation(eligible=len(candidates), worst_case_per_coupon=per_coupon)
    stopped = "audience"
    for candidate, d, cost, value in ranked:
        held_out = in_holdout(campaign_id, candidate.household_id, config.holdout_share)
        recipient = Recipient(
            household_id=candidate.household_id,
            p_redeem=candidate.p_redeem,
            expected_discount=d,
            expected_cost=cost,
            expected_value=value,
            reason=candidate.reason,
            holdout=held_out,
        )
        if held_out:
            result.holdout.append(recipient)
            continue
        if max_size is not None and len(result.recipients) + 1 > max_size:
            stopped = "max_size"
            break
        if budget is not None and result.expected_cost + cost > budget:
            stopped = "budget"
            break
        if liability_cap is not None and (len(result.recipients) + 1) * per_coupon > liability_cap:
            stopped = "liability"
            break
        result.recipients.append(recipient)
        result.expected_cost += cost
        result.expected_redemptions += candidate.p_redeem
        result.expected_value += value
    # Holdouts ranked after the last recipient were never part of the cut.
    if result.recipients:
        last_rank = {c.household_id: i for i, (c, *_rest) in enumerate(ranked)}
        cut_end = last_rank[result.recipients[-1].household_id]
        result.holdout = [h for h in result.holdout if last_rank[h.household_id] < cut_end]
    else:
        result.holdout = []
    result.stopped_by = stopped
    result.worst_case_liability = len(result.recipients) * per_coupon
    result.gain_curve = gain_curve(ranked, len(result.recipients), curve_points)
    return result


def gain_curve(
    ranked: list[tuple[Candidate, float, float, float]], chosen: int, points: int
) -> list[dict[str, float]]:
    """Cumulative expected redemptions and cost by audience size (for the proposal chart)."""
    if not ranked:
        return []
    step = max(1, len(ranked) // points)
    curve: list[dict[str, float]] = []
    redemptions = cost = 0.0
    for index, (candidate, _d, c, _v) in enumerate(ranked, start=1):
        redemptions += candidate.p_redeem
        cost += c
        if index % step == 0 or index == len(ranked) or index == chosen:
            curve.append(
                {
                    "size": index,
                    "redemptions": round(redemptions, 3),
                    "cost": round(cost, 2),
                    "chosen": float(index == chosen),
                }
            )
    return curve
