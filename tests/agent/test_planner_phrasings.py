"""Classes of phrasing the planner must read, several ways each, in English and Chinese.

Each table is one class (a budget stated as a ceiling on spend, a deal written "$X-off-$Y", a
lapse window given after the audience, a lapse in a product vs. from the store, merchandise
the catalog can only guess at): the test is that every member of the class reads the same,
not that one sentence does. Rules only (no LLM), on the slice database's full catalog.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from coupondesk.agent.planning.parsing import read_request
from coupondesk.agent.planning.planner import plan_request
from coupondesk.tools.campaigns.plan import CampaignPlan
from coupondesk.tools.policy.rules import load_policy
from sqlalchemy.orm import Session

PlanOf = Callable[[str], CampaignPlan]


@pytest.fixture(scope="module")
def session(sqlite_url: str) -> Iterator[Session]:
    from coupondesk.tools.db.session import get_engine

    with Session(get_engine(sqlite_url)) as opened:
        yield opened


@pytest.fixture(scope="module")
def plan_of(session: Session) -> PlanOf:
    from coupondesk.tools.queries.segments import data_today

    policy, today = load_policy(), data_today(session)

    def plan(request: str) -> CampaignPlan:
        return plan_request(request, session=session, policy=policy, today=today)

    return plan


def _facts(text: str) -> dict[str, Any]:
    facts = read_request(text)
    return {name: getattr(facts, name) for name in (
        "budget", "min_spend", "offer_kind", "offer_value", "valid_days", "lapsed_days")}


# --------------------------------------------------------------------------- budgets

SPEND_CEILINGS = [
    "20% off hair care, cap the spend at $400, valid 5 days",
    "20% off hair care, cap spending to $400, valid 5 days",
    "20% off hair care; spend no more than $400; valid 5 days",
    "20% off hair care, spend at most $400, valid 5 days",
    "20% off hair care, don't spend more than $400, valid 5 days",
    "20% off hair care, up to $400 total, valid 5 days",
    "20% off hair care, $400 in total, valid 5 days",
    "20% off hair care, limit the cost to $400, valid 5 days",
    "20% off hair care, total spend up to $400, valid 5 days",
    "护发用品8折，最多花400元，有效期5天",
    "护发用品8折，费用上限400元，有效期5天",
    "护发用品8折，总共花费不超过400元，有效期5天",
]


@pytest.mark.parametrize("text", SPEND_CEILINGS)
def test_a_ceiling_on_spend_is_the_budget(text: str) -> None:
    facts = _facts(text)
    assert (facts["budget"], facts["min_spend"], facts["valid_days"]) == (400, None, 5), facts
    assert facts["offer_value"] == 20


def test_a_spend_condition_is_still_a_minimum() -> None:
    """The ceiling readers must not swallow the basket condition next to them."""
    for text in ("spend $25 get $5 off coffee, budget $500", "$5 off orders over $25, budget $500",
                 "咖啡满25减5，预算500元"):
        facts = _facts(text)
        assert (facts["min_spend"], facts["offer_value"], facts["budget"]) == (25, 5, 500), text


# --------------------------------------------------------------------------- deals

DEALS = [
    "$5-off-$30 on cheese, budget $600",
    "$5 - off - $30 on cheese, budget $600",
    "$5-off $30 on cheese, budget $600",
    "$5 off $30+ on cheese, budget $600",
    "$5 off $30 or more on cheese, budget $600",
    "$5 off any $30 purchase of cheese, budget $600",
    "奶酪满30减5，预算600元",
    "奶酪满30元立减5元，预算600元",
]


@pytest.mark.parametrize("text", DEALS)
def test_an_amount_off_a_threshold(text: str) -> None:
    facts = _facts(text)
    assert (facts["offer_kind"], facts["offer_value"], facts["min_spend"], facts["budget"]) == (
        "amount_off", 5, 30, 600), facts


# --------------------------------------------------------------------------- lapse windows

BARE_LAPSE_WINDOWS = [
    ("lapsed bakery customers, 45 days, 10% off bread, budget $500", 45),
    ("Lapsed coffee buyers - 60 days - 15% off coffee, budget $800", 60),
    ("inactive households, 90 days: 10% off everything, budget $1,000", 90),
    ("win back dormant deli shoppers; 45 days; $3 off deli, budget $400", 45),
    ("churned customers, 2 months, 10% off, budget $400", 60),
    ("流失的烘焙顾客，45天，面包9折，预算500元", 45),
    ("沉睡用户，60天，全场95折，预算1000元", 60),
]


@pytest.mark.parametrize(("text", "days"), BARE_LAPSE_WINDOWS)
def test_a_bare_duration_after_a_lapsed_audience_is_its_window(text: str, days: int) -> None:
    facts = read_request(text)
    assert facts.lapsed_days == days and facts.valid_days is None
    assert any("lapse window" in note for note in facts.notes)


def test_a_bare_duration_elsewhere_is_still_the_validity() -> None:
    for text, days in (("Lapsed 100+ days: $8 off $40, store-wide, $2,000 budget, 3 weeks", 21),
                       ("coffee buyers, 14 days, 10% off coffee, budget $500", 14),
                       ("lapsed coffee buyers with 15% off, 10 days", 10)):
        assert read_request(text).valid_days == days, text


# --------------------------------------------------------------------------- lapsed where

LAPSED_IN_SCOPE = [
    ("customers who haven't bought coffee in three months get 10% off, budget $1000", 90),
    ("10% off coffee for households that haven't purchased coffee in 90 days, budget $1000", 90),
    ("shoppers who stopped buying coffee 60 days ago: 10% off coffee, budget $800", 60),
    ("10% off coffee for anyone who hasn't bought any coffee for 2 months, budget $800", 60),
    ("households with no coffee purchase in the last 90 days get 10% off coffee, budget $800", 90),
    ("给三个月没买咖啡的顾客发 10% 折扣券，预算 1000 美元", 90),
    ("给三个月没有买咖啡的顾客发 10% 折扣券，预算 1000 美元", 90),
    ("给60天不再买咖啡的家庭发9折券，预算800元", 60),
    ("两个月没再买咖啡的家庭，咖啡85折，预算600元", 60),
    ("最近三个月没有购买咖啡的顾客，咖啡9折，预算1000元", 90),
    ("超过90天没买过咖啡的用户发咖啡9折券，预算1000元", 90),
]


@pytest.mark.parametrize(("text", "days"), LAPSED_IN_SCOPE)
def test_not_buying_a_product_is_a_lapse_in_that_product(
    plan_of: PlanOf, text: str, days: int
) -> None:
    plan = plan_of(text)
    audience = plan.audience
    assert (audience.lapsed_days, audience.lapsed_in_scope, audience.categories) == (
        days, True, ["COFFEE"]), plan.audience
    assert plan.offer.categories == ["COFFEE"] and not plan.questions, plan.questions


LAPSED_FROM_STORE = [
    ("10% off for customers who haven't shopped in 90 days, budget $1000", 90),
    ("10% off for households that haven't visited in three months, budget $1000", 90),
    ("10% off for customers who haven't been in for 60 days, budget $1000", 60),
    ("给三个月没来的顾客发 10% 折扣券，预算 1000 美元", 90),
    ("45天没购物的用户发全场9折券，预算2000元", 45),
    ("给90天没消费的会员发满50减10优惠券，预算1500元", 90),
    ("给两个月没光顾的顾客发 8 折券，预算 900 元", 60),
    ("给三个月没买东西的顾客发9折券，预算1000元", 90),
]


@pytest.mark.parametrize(("text", "days"), LAPSED_FROM_STORE)
def test_not_shopping_is_a_lapse_from_the_store(plan_of: PlanOf, text: str, days: int) -> None:
    plan = plan_of(text)
    audience = plan.audience
    assert (audience.lapsed_days, audience.lapsed_in_scope) == (days, False), audience
    assert not audience.categories and not audience.departments
    assert plan.offer.storewide and not plan.questions, plan.questions


@pytest.mark.parametrize("text", [
    "coffee buyers who haven't shopped in 60 days get 10% off coffee, budget $800",
    "lapsed customers who bought coffee get 15% off coffee, budget $500",
    "给买过咖啡但三个月没来的顾客发咖啡9折券，预算1000元",
])
def test_product_buyers_who_left_the_store_are_a_store_lapse(plan_of: PlanOf, text: str) -> None:
    audience = plan_of(text).audience
    assert audience.categories == ["COFFEE"] and not audience.lapsed_in_scope


@pytest.mark.parametrize("text", [
    "win back lapsed coffee buyers with 15% off, budget $2,000, valid one week",
    "former coffee buyers get 15% off coffee, budget $2,000",
    "流失的咖啡顾客，咖啡85折，预算1000元",
])
def test_lapsed_product_buyers_lapsed_in_the_product(plan_of: PlanOf, text: str) -> None:
    audience = plan_of(text).audience
    assert audience.categories == ["COFFEE"] and audience.lapsed_in_scope


# --------------------------------------------------------------------------- ask, don't guess

ABSENT_GOODS = [
    "15% off car tyres, budget $500, valid 7 days",
    "15% off garden furniture, budget $500, valid 7 days",
    "15% off smartphones for lapsed customers, budget $500, valid 7 days",
    "15% off bicycle helmets, budget $500, valid 7 days",
    "10% off plants, budget $300, valid 7 days",
]
"""Goods this grocery catalog does not carry: the nearest names by meaning are wrong."""


@pytest.mark.parametrize("text", ABSENT_GOODS)
def test_goods_the_catalog_lacks_are_asked_about(plan_of: PlanOf, text: str) -> None:
    plan = plan_of(text)
    assert plan.offer.storewide and any(q.startswith("Offer scope:") for q in plan.questions)
    assert not any("store-wide" in a for a in plan.assumptions)
    assert not any("closest catalog meaning" in a for a in plan.assumptions)


WEAK_MEANING = [
    ("10% off bouquets, budget $300, valid 7 days", "FLORAL"),
    ("10% off lipstick, budget $300, valid 7 days", "COSMETICS"),
    ("10% off perfume for lapsed customers, budget $300, valid 7 days", "FRAGRANCES"),
    ("10% off sunscreen, budget $300, valid 7 days", "SUNTAN"),
]
"""Phrases whose right reading is only a weak semantic match: a question that lists it."""


@pytest.mark.parametrize(("text", "listed"), WEAK_MEANING)
def test_a_weak_semantic_match_is_a_question_listing_candidates(
    plan_of: PlanOf, text: str, listed: str
) -> None:
    plan = plan_of(text)
    scope_questions = [q for q in plan.questions if q.startswith("Offer scope:")]
    assert plan.offer.storewide and len(scope_questions) == 1, plan.questions
    assert "closest:" in scope_questions[0] and listed in scope_questions[0]


UNPLACED = [
    ("haircare 15% off, budget $400, valid 7 days", "HAIR CARE PRODUCTS"),
    ("Lipstick week: 10% off, budget $300, valid 7 days", "COSMETICS"),
    ("sunscreen 20% off, budget $300, valid 7 days", "SUNTAN"),
    ("Back to school: 10% off, budget $300, valid 7 days", "STATIONERY & SCHOOL SUPPLIES"),
]
"""A product phrase with no role cue ("off X", "X buyers") that nothing confident placed."""


@pytest.mark.parametrize(("text", "listed"), UNPLACED)
def test_an_unplaced_product_phrase_is_asked_not_store_wide(
    plan_of: PlanOf, text: str, listed: str
) -> None:
    plan = plan_of(text)
    assert any(q.startswith("Offer scope:") and listed in q for q in plan.questions), plan
    assert not any("the coupon is store-wide" in a for a in plan.assumptions)


@pytest.mark.parametrize("text", [
    "Thank our loyal customers: 10% off everything, budget $300, valid 7 days",
    "10% off for customers who haven't shopped in 90 days, budget $1000, valid 7 days",
])
def test_a_request_naming_no_product_still_needs_no_question(plan_of: PlanOf, text: str) -> None:
    plan = plan_of(text)
    assert plan.offer.storewide and not plan.questions, plan.questions


def test_answering_the_scope_question_by_name_settles_it(session: Session, plan_of: PlanOf) -> None:
    from coupondesk.agent.planning.revision import revise_plan

    plan = plan_of("10% off bouquets, budget $300, valid 7 days")
    revised = revise_plan(plan, "use FLORAL", session=session, policy=load_policy())
    assert revised.offer.departments == ["FLORAL"] and not revised.questions, revised.questions

