"""check_plan against a small SQLite database: money, audience, frequency caps, stacking."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.campaigns.plan import Audience, BudgetMode, CampaignPlan
from coupondesk.tools.db.schema import Base, Campaign, Household, IssuedCoupon, Product
from coupondesk.tools.policy.guardrails import (
    check_plan,
    frequency_capped,
    max_discount_per_coupon,
    offer_liability,
    requires_two_operators,
    stacking_conflicts,
)
from coupondesk.tools.policy.rules import load_policy
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

POLICY = load_policy()
TODAY = date(2017, 12, 1)
AUDIENCE = list(range(1, 101))
SOUP = Offer(kind="amount_off", value=3, min_spend=25, valid_days=10, categories=["SOUP"])


@pytest.fixture
def session(tmp_path: object) -> Iterator[Session]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as db:
        db.add_all(Household(household_id=h) for h in range(1, 201))
        db.add_all([
            Product(product_id=1, department="GROCERY", product_category="SOUP"),
            Product(product_id=2, department="GROCERY", product_category="TEAS"),
            Product(product_id=3, department="DELI", product_category="DELI MEATS"),
        ])
        db.add(Campaign(id=1, request="earlier", status="dispatched", created_by="ops"))
        db.add(Campaign(id=2, request="earlier", status="dispatched", created_by="ops"))
        db.commit()
        yield db
    engine.dispose()


def _coupon(campaign: int, household: int, *, days_ago: int, valid: int = 7,
            departments: list[str] | None = None, categories: list[str] | None = None,
            status: str = "issued") -> IssuedCoupon:
    start = TODAY - timedelta(days=days_ago)
    return IssuedCoupon(
        code=f"C{campaign}-{household}-{days_ago}", campaign_id=campaign, household_id=household,
        kind="percent_off", value=10, min_spend=None, departments=departments or [],
        categories=categories or [], valid_from=start, valid_to=start + timedelta(days=valid - 1),
        status=status,
    )


def _plan(
    offer: Offer = SOUP, budget: float | None = 500, max_size: int | None = None,
    budget_mode: BudgetMode | None = "export_only",
) -> CampaignPlan:
    return CampaignPlan(offer=offer, budget=budget, audience=Audience(max_size=max_size),
                        budget_mode=budget_mode)


def _rules(
    session: Session, plan: CampaignPlan, audience: list[int] = AUDIENCE, **kwargs: object
) -> set[str]:
    arguments: dict[str, object] = {"expected_cost": 100.0, "worst_case_liability": None}
    arguments.update(kwargs)
    verdict = check_plan(plan, POLICY, session, audience_household_ids=audience, today=TODAY,
                         **arguments)  # type: ignore[arg-type]
    return {v.rule for v in verdict.violations}


def test_a_sound_plan_passes(session: Session) -> None:
    verdict = check_plan(_plan(), POLICY, session, audience_household_ids=AUDIENCE, today=TODAY,
                         expected_cost=120.0, worst_case_liability=300.0)
    assert verdict.ok, verdict.violations
    assert verdict.notes == []


def test_money_rules(session: Session) -> None:
    assert _rules(session, _plan(budget=None)) == {"plan.budget_missing"}
    assert _rules(session, _plan(budget=20_000), worst_case_liability=100.0) == {"plan.budget_max"}
    assert _rules(session, _plan(budget=50), expected_cost=60.0, worst_case_liability=100.0) == {
        "plan.budget_exceeded"}
    assert _rules(session, _plan(budget=50), expected_cost=40.0, worst_case_liability=151.0) == {
        "plan.liability"}


def test_the_worst_case_rule_applies_to_export_only_campaigns(session: Session) -> None:
    over = {"expected_cost": 40.0, "worst_case_liability": 151.0}
    assert _rules(session, _plan(budget=50, budget_mode="export_only"), **over) == {
        "plan.liability"}
    # Redeemed through the service (the policy default), the budget is enforced at redemption.
    assert _rules(session, _plan(budget=50, budget_mode="service"), **over) == set()
    assert _rules(session, _plan(budget=50, budget_mode=None), **over) == set()


def test_default_liability_is_recipients_times_max_discount(session: Session) -> None:
    assert offer_liability(SOUP, 100, POLICY) == 300
    percent = Offer(kind="percent_off", value=10, valid_days=7)
    assert max_discount_per_coupon(percent, POLICY) == 10  # 10% of the assumed $100 basket
    capped = percent.model_copy(update={"max_discount": 4.0})
    assert max_discount_per_coupon(capped, POLICY) == 4  # the cap bounds the worst case
    assert offer_liability(capped, 100, POLICY) == 400
    assert _rules(session, _plan(budget=99), expected_cost=50.0) == {"plan.liability"}
    assert _rules(session, _plan(budget=100), expected_cost=50.0) == set()  # 300 <= 3 x 100


def test_the_offer_is_checked_too(session: Session) -> None:
    bad = Offer(kind="percent_off", value=45, valid_days=5, categories=["CIGARETTES"])
    assert {"offer.max_percent", "offer.excluded_category"} <= _rules(session, _plan(offer=bad))


def test_audience_size(session: Session) -> None:
    assert _rules(session, _plan(), audience=list(range(1, 11))) == {"plan.audience_min"}
    assert _rules(session, _plan(max_size=60)) == {"plan.audience_max"}
    big = list(range(1, POLICY.audience.max_size + 2))  # one past the policy's maximum
    assert "plan.audience_max" in _rules(session, _plan(budget=5000), audience=big,
                                         worst_case_liability=0.0)


def test_frequency_cap_counts_recent_coupons_across_campaigns(session: Session) -> None:
    session.add_all([_coupon(1, 7, days_ago=3), _coupon(2, 7, days_ago=20),
                     _coupon(1, 8, days_ago=3), _coupon(2, 8, days_ago=29),
                     _coupon(1, 9, days_ago=40), _coupon(2, 9, days_ago=30)])
    session.commit()
    # households 7 and 8 hold 2 coupons of the last 30 days, 9 holds none in the window
    assert "plan.frequency_cap" not in _rules(session, _plan())
    session.add(Campaign(id=3, request="x", status="dispatched", created_by="ops"))
    session.add(_coupon(3, 7, days_ago=0, categories=["TEAS"]))
    session.commit()
    verdict = check_plan(_plan(), POLICY, session, audience_household_ids=AUDIENCE, today=TODAY,
                         expected_cost=10.0)
    caps = [v for v in verdict.violations if v.rule == "plan.frequency_cap"]
    assert caps and caps[0].value == {"households": 1, "sample": [7]}
    # the campaign's own coupons do not count against it (re-check before a retried dispatch)
    assert "plan.frequency_cap" not in _rules(session, _plan(), campaign_id=3)


def test_void_coupons_do_not_count(session: Session) -> None:
    session.add_all([_coupon(1, 7, days_ago=1, status="void"), _coupon(2, 7, days_ago=2,
                                                                      status="void")])
    session.add(Campaign(id=3, request="x", status="dispatched", created_by="ops"))
    session.add(_coupon(3, 7, days_ago=3, status="void"))
    session.commit()
    assert "plan.frequency_cap" not in _rules(session, _plan())


@pytest.mark.parametrize(
    ("existing", "clash"),
    [
        ({"categories": ["SOUP"]}, True),
        ({"categories": ["TEAS"]}, False),
        ({"departments": ["GROCERY"]}, True),  # SOUP is sold in GROCERY
        ({"departments": ["DELI"]}, False),
        ({}, True),  # a storewide coupon overlaps everything
        ({"departments": ["MEAT"], "categories": ["UNKNOWN CATEGORY"]}, False),
    ],
)
def test_stacking_overlapping_scopes(
    session: Session, existing: dict[str, list[str]], clash: bool
) -> None:
    session.add(_coupon(1, 5, days_ago=2, valid=7, **existing))  # type: ignore[arg-type]
    session.commit()
    assert ("plan.stacking" in _rules(session, _plan())) is clash


def test_stacking_ignores_expired_and_redeemed_coupons(session: Session) -> None:
    session.add_all([_coupon(1, 5, days_ago=20, valid=7, categories=["SOUP"]),
                     _coupon(2, 6, days_ago=2, categories=["SOUP"], status="redeemed")])
    session.commit()
    assert "plan.stacking" not in _rules(session, _plan())


def test_unknown_category_against_a_department_is_assumed_to_overlap(session: Session) -> None:
    offer = Offer(kind="percent_off", value=10, valid_days=7, departments=["PRODUCE"])
    session.add(_coupon(1, 5, days_ago=1, categories=["NOT IN CATALOG"]))
    session.commit()
    assert "plan.stacking" in _rules(session, _plan(offer=offer))


def test_two_operator_threshold_is_a_note(session: Session) -> None:
    verdict = check_plan(_plan(budget=6000), POLICY, session, audience_household_ids=AUDIENCE,
                         today=TODAY, expected_cost=100.0, worst_case_liability=100.0)
    assert verdict.ok
    assert [n.rule for n in verdict.notes] == ["plan.two_operator"]
    assert verdict.to_json_dict()["notes"][0]["value"] == 6000


def test_audience_helpers_return_the_households_to_leave_out(session: Session) -> None:
    session.add(Campaign(id=3, request="x", status="dispatched", created_by="ops"))
    session.add_all([_coupon(1, 7, days_ago=1), _coupon(2, 7, days_ago=2),
                     _coupon(3, 7, days_ago=3), _coupon(1, 8, days_ago=1, categories=["SOUP"]),
                     _coupon(2, 9, days_ago=1, categories=["TEAS"])])
    session.commit()
    assert frequency_capped(session, AUDIENCE, POLICY, TODAY) == {7}
    assert frequency_capped(session, AUDIENCE, POLICY, TODAY, campaign_id=3) == set()
    assert stacking_conflicts(session, AUDIENCE, SOUP, TODAY) == {7, 8}  # 7 holds storewide ones
    assert stacking_conflicts(session, [9, 10], SOUP, TODAY) == set()
    assert stacking_conflicts(session, [], SOUP, TODAY) == set()


def test_requires_two_operators() -> None:
    assert requires_two_operators(_plan(budget=5001), POLICY)
    assert not requires_two_operators(_plan(budget=5000), POLICY)
    assert requires_two_operators(_plan(budget=None), POLICY, expected_cost=7000)
