"""Proposal.from_allocation / Proposal.blocked: what the operator reviews, built in one place."""

from __future__ import annotations

from datetime import date

from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.campaigns.plan import CampaignPlan, PlanIssue
from coupondesk.tools.campaigns.proposal import (
    AllocationSummary,
    CopyVariant,
    Proposal,
    RecipientRow,
)
from coupondesk.tools.policy.verdict import Violation

OFFER = Offer(kind="amount_off", value=5, min_spend=25, valid_days=7)
ALLOCATION = AllocationSummary(
    recipients=[RecipientRow(household_id=h, p_redeem=0.2, expected_cost=1.0, reason="r")
                for h in (8, 16, 24)],
    holdout=[32], expected_cost=3.0, expected_redemptions=0.6, worst_case_liability=15.0,
    eligible=4, gain_curve=[{"households": 3.0, "cost": 3.0}],
)


def test_from_allocation_selects_the_first_passing_copy_and_dates_the_codes() -> None:
    plan = CampaignPlan(request="r", offer=OFFER, budget=100.0, assumptions=["a"])
    copies = [CopyVariant(text="bad", source="llm", ok=False),
              CopyVariant(text="Spend $25, save $5.", source="template", ok=True)]
    proposal = Proposal.from_allocation(
        campaign_id=7, plan=plan, allocation=ALLOCATION, copies=copies, violations=[],
        valid_from=date(2018, 1, 2), pricing="pricing: p", approvals_required=2,
    )
    assert proposal.selected_copy == 1 and not proposal.blocking
    assert (proposal.valid_from, proposal.valid_to) == ("2018-01-02", "2018-01-08")
    assert (proposal.audience_size, proposal.holdout_size, proposal.eligible_size) == (3, 1, 4)
    assert proposal.assumptions == ["a", "pricing: p"] and proposal.budget == 100.0
    assert proposal.approvals_required == 2 and proposal.gain_curve == ALLOCATION.gain_curve


def test_from_allocation_with_a_violation_is_blocking() -> None:
    plan = CampaignPlan(request="r", offer=OFFER)
    proposal = Proposal.from_allocation(
        campaign_id=7, plan=plan, allocation=ALLOCATION,
        copies=[CopyVariant(text="ok", source="template", ok=True)],
        violations=[Violation(rule="plan.budget", message="over")], valid_from=date(2018, 1, 2),
    )
    assert proposal.blocking and [v.rule for v in proposal.violations] == ["plan.budget"]


def test_blocked_has_nothing_to_send_and_says_why() -> None:
    plan = CampaignPlan(request="r", offer=OFFER,
                        errors=[PlanIssue(rule="offer", message="no discount given")])
    proposal = Proposal.blocked(
        campaign_id=9, plan=plan, valid_from=date(2018, 1, 2), allocation=ALLOCATION,
        violations=[Violation(rule="offer.max_percent", message="too deep")],
    )
    assert proposal.blocking
    assert [v.rule for v in proposal.violations] == ["offer.max_percent", "plan.offer"]
    assert proposal.recipients == [] and proposal.holdout == [] and proposal.copy_variants == []
    assert proposal.selected_copy is None and proposal.audience_size == 0
    assert proposal.valid_to == "2018-01-08"
