"""The campaign rules dispatch re-checks inside its locked transaction, against the database then.

A proposal was checked when it was built, but other campaigns may have been dispatched since,
the desk's day may have moved on, and the caller may ask for fewer approvals than the proposal
needs. Dispatch therefore asks this module again, in the transaction that writes the codes and
while it holds the dispatch lock, and refuses (writing nothing) when any rule fails. The rules
are the policy's own checks (coupondesk.tools.policy.guardrails), not a second copy of them.
"""

from __future__ import annotations

from datetime import date

from coupondesk.tools.campaigns.proposal import Proposal
from coupondesk.tools.policy.guardrails import (
    frequency_capped,
    max_discount_per_coupon,
    requires_two_operators,
    stacking_conflicts,
)
from coupondesk.tools.policy.rules import Policy
from coupondesk.tools.policy.verdict import Violation
from sqlalchemy.orm import Session


def approvals_needed(proposal: Proposal, policy: Policy, *, asked: int = 1) -> int:
    """Distinct approvers dispatch demands: the most of the caller's, the stored proposal's and
    the policy's figure, so no caller can lower what the proposal requires."""
    by_policy = 2 if requires_two_operators(
        proposal.plan, policy, expected_cost=proposal.expected_cost
    ) else 1
    return max(asked, proposal.approvals_required, by_policy)


def approval_shortfall(
    proposal: Proposal, policy: Policy, approvers: list[str], *, asked: int = 1
) -> str | None:
    """Why the approvals recorded for this exact proposal are not enough (None when they are)."""
    needed = approvals_needed(proposal, policy, asked=asked)
    if len(approvers) >= needed:
        return None
    return (
        f"campaign {proposal.campaign_id} needs {needed} approvals of this exact proposal by "
        f"different operators, has {len(approvers)}"
    )


def _sample(ids: set[int], n: int = 10) -> list[int]:
    return sorted(ids)[:n]


def recheck(
    session: Session,
    proposal: Proposal,
    *,
    policy: Policy,
    today: date,
) -> list[Violation]:
    """Every rule that protects money or customers, as the database stands now (empty = go).

    Stacking and the frequency cap are measured for the coupons' own validity window (from
    `valid_from`), excluding the campaign's own codes so a retried dispatch is stable.
    """
    found: list[Violation] = []
    campaign_id = proposal.campaign_id
    valid_from = date.fromisoformat(proposal.valid_from)
    valid_to = date.fromisoformat(proposal.valid_to)
    if valid_from < today:
        found.append(Violation(
            rule="plan.valid_from_past",
            message=f"the codes would be valid from {valid_from}, before today ({today}); "
                    "revise the campaign for new dates",
            value=proposal.valid_from))
    if valid_to < valid_from:
        found.append(Violation(
            rule="plan.valid_from_past",
            message=f"the validity ends ({valid_to}) before it starts ({valid_from})",
            value=proposal.valid_to))

    budget = proposal.budget
    money = policy.budget
    if budget is None:
        if money.require_budget:
            found.append(Violation(rule="plan.budget_missing",
                                   message="the campaign has no budget", value=None))
    else:
        if budget > money.max_budget:
            found.append(Violation(
                rule="plan.budget_max",
                message=f"budget ${budget:,.2f} is above the ${money.max_budget:,.2f} cap",
                value=budget))
        if proposal.expected_cost > budget + 1e-6:
            found.append(Violation(
                rule="plan.budget_exceeded",
                message=f"expected cost ${proposal.expected_cost:,.2f} is above the budget "
                        f"${budget:,.2f}",
                value=round(proposal.expected_cost, 2)))
        # The worst-case rule is export_only's: in service mode the budget is enforced at
        # redemption (tools/outcomes/redemptions.py), as the proposal's own check counts it.
        liability = len(proposal.recipients) * max_discount_per_coupon(proposal.offer, policy)
        if proposal.budget_mode == "export_only" \
                and liability > money.liability_multiple * budget + 1e-6:
            found.append(Violation(
                rule="plan.liability",
                message=f"worst-case liability ${liability:,.2f} is above "
                        f"{money.liability_multiple:g} x the budget",
                value=round(liability, 2)))

    households = [r.household_id for r in proposal.recipients]
    if households:
        capped = frequency_capped(session, households, policy, valid_from, campaign_id)
        if capped:
            found.append(Violation(
                rule="plan.frequency_cap",
                message=f"{len(capped)} recipients already received "
                        f"{policy.frequency.max_coupons} coupons in the "
                        f"{policy.frequency.window_days} days before {valid_from}",
                value={"households": len(capped), "sample": _sample(capped)}))
        if not policy.stacking.allow_overlapping:
            stacked = stacking_conflicts(
                session, households, proposal.offer, valid_from, campaign_id
            )
            if stacked:
                found.append(Violation(
                    rule="plan.stacking",
                    message=f"{len(stacked)} recipients already hold a live coupon whose "
                            "scope overlaps this offer",
                    value={"households": len(stacked), "sample": _sample(stacked)}))
    return found
