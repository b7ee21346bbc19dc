"""Which quantity of a request is which field (agent/planning/parsing.py): no database needed."""

from __future__ import annotations

from typing import Any

import pytest
from coupondesk.agent.planning.parsing import question_label, read_request
from coupondesk.agent.planning.scope_phrases import find_scope_phrases

ROLE_TABLE: list[tuple[str, dict[str, Any]]] = [
    # validity
    ("10% off soup, valid a fortnight", {"valid_days": 14}),
    ("10% off soup for two weeks", {"valid_days": 14}),
    ("10% off soup, 7-day validity", {"valid_days": 7}),
    ("$1 off potatoes, good for 4 days", {"valid_days": 4}),
    ("汤品9折，有效期一周", {"valid_days": 7, "language": "zh"}),
    ("汤品9折，两周有效", {"valid_days": 14}),
    ("10% off soup, valid 48 hours", {"valid_days": 2}),
    ("10% off soup, 7d", {"valid_days": 7}),
    # budgets
    ("10% off soup, budget 2k", {"budget": 2000}),
    ("汤品9折，预算两千元", {"budget": 2000}),
    ("10% off soup, budget $1,500", {"budget": 1500}),
    ("10% off soup, budget $2 thousand", {"budget": 2000}),
    ("10% off soup, 1500 budget", {"budget": 1500}),
    ("Offer 9% off crackers. $250. 5 days.", {"budget": 250, "valid_days": 5}),
    ("10% off soup, spend cap $900", {"budget": 900}),
    # size caps and top spenders
    ("$3 off deli, max 250 households", {"max_size": 250}),
    ("Reward the 300 biggest spenders with $5 off beef", {"max_size": 300, "top_spenders": True}),
    ("饮料75折，最多600人", {"max_size": 600, "offer_value": 25}),
    ("10% off soup, limit 400", {"max_size": 400}),
    ("Give 300 loyal dog owners 10% off dog food", {"max_size": 300}),
    (
        "10% off wine for the 250 highest-spending households",
        {"max_size": 250, "top_spenders": True},
    ),
    # lapsed / active windows
    ("households that haven't shopped in a month", {"lapsed_days": 30}),
    ("households inactive for three weeks", {"lapsed_days": 21}),
    ("Lapsed 100+ days: $8 off $40", {"lapsed_days": 100, "min_spend": 40, "offer_value": 8}),
    ("no purchase in the last 45 days get 5% off", {"lapsed_days": 45}),
    ("who last visited more than 6 weeks ago", {"lapsed_days": 42}),
    ("people who bought cookies in the last 30 days", {"active_days": 30}),
    ("households that shopped in the past week", {"active_days": 7}),
    ("bought soup in the last month", {"active_days": 30}),
    ("最近一个月活跃用户", {"active_days": 30}),
    ("给45天未购物的用户", {"lapsed_days": 45}),
    ("给超过90天没来购物的顾客", {"lapsed_days": 90}),
    (
        "anyone who hasn't bought crackers for 2 months, 5 days",
        {"lapsed_days": 60, "valid_days": 5},
    ),
    # the audience's past spend versus the coupon's minimum spend
    (
        "people who spent more than $300 in the last 60 days get 7% off",
        {"audience_min_spend": 300, "spend_window_days": 60, "min_spend": None},
    ),
    (
        "近60天消费满500元的用户，全场8折",
        {"audience_min_spend": 500, "spend_window_days": 60, "offer_value": 20},
    ),
    ("给过去半年消费超过1000元的会员", {"audience_min_spend": 1000, "spend_window_days": 180}),
    ("$3 off orders over $25", {"min_spend": 25, "offer_value": 3, "audience_min_spend": None}),
    ("Spend $20 on bakery items, save $4", {"min_spend": 20, "offer_value": 4}),
    # discounts
    ("八折", {"offer_kind": "percent_off", "offer_value": 20}),
    ("85折", {"offer_value": 15}),
    ("8.5折", {"offer_value": 15}),
    ("满100减20", {"offer_kind": "amount_off", "offer_value": 20, "min_spend": 100}),
    ("无门槛5元券", {"offer_kind": "amount_off", "offer_value": 5, "no_minimum": True}),
    ("half price on soup", {"offer_value": 50}),
    ("change 15% to 10%", {"offer_value": 10}),
    ("10% off soup instead of 15%", {"offer_value": 10}),
]


@pytest.mark.parametrize(("text", "expected"), ROLE_TABLE)
def test_quantity_roles(text: str, expected: dict[str, Any]) -> None:
    facts = read_request(text)
    got = {name: getattr(facts, name) for name in expected}
    assert got == expected


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("10 off soup", "offer.value"),
        ("10% or 15% off soup", "offer.value"),
        ("10% off soup, budget $500 or $800", "budget"),
        ("top 10% of spenders get 5% off", "audience.max_size"),
    ],
)
def test_ambiguous_quantities_become_questions(text: str, field: str) -> None:
    asks = read_request(text).asks
    assert [a.field for a in asks] == [field]
    assert question_label(asks[0].text)


def test_a_multibuy_is_unsupported_not_a_discount() -> None:
    facts = read_request("酸奶第二件半价")
    assert facts.offer_value is None
    assert facts.unsupported == ["第二件半价"]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("给买过尿布的家庭发婴儿食品9折券", "zh"),
        ("10% off 牛奶 for lapsed buyers, budget 500", "en"),
        ("Give 10% off soup", "en"),
    ],
)
def test_language(text: str, language: str) -> None:
    assert read_request(text).language == language


PHRASE_TABLE: list[tuple[str, list[tuple[str, str]]]] = [
    ("Give 10% off soup to households that haven't shopped in 40 days", [("soup", "offer")]),
    (
        "$3 off orders over $25 in the deli for deli shoppers",
        [("deli", "offer"), ("deli", "audience")],
    ),
    ("$1 off potatoes for produce regulars", [("potatoes", "offer"), ("produce", "audience")]),
    (
        "Spend $20 on bakery items, save $4 — for pastry fans",
        [("bakery", "offer"), ("pastry", "audience")],
    ),
    (
        "15% off shampoo and hair care for hair care buyers",
        [("shampoo and hair care", "offer"), ("hair care", "audience")],
    ),
    (
        "Pet owners: 10% off pet care supplies",
        [("Pet", "audience"), ("pet care supplies", "offer")],
    ),
    ("给买过尿布的家庭发婴儿食品9折券", [("尿布", "audience"), ("婴儿食品", "offer")]),
    ("最近一个月活跃用户，饮料75折", [("饮料", "offer")]),
    ("Target the 250 highest-spending households with 20% off wine", [("wine", "offer")]),
]


@pytest.mark.parametrize(("text", "expected"), PHRASE_TABLE)
def test_scope_phrase_roles(text: str, expected: list[tuple[str, str]]) -> None:
    facts = read_request(text)
    reading = find_scope_phrases(
        text,
        quantity_spans=facts.quantity_spans,
        offer_spans=facts.offer_spans,
        language=facts.language,
    )
    assert [(p.text, p.role) for p in reading.phrases] == expected


def test_what_the_audience_stopped_buying_is_marked() -> None:
    text = "Offer 9% off crackers to anyone who hasn't bought crackers for 2 months"
    facts = read_request(text)
    reading = find_scope_phrases(
        text, quantity_spans=facts.quantity_spans, offer_spans=facts.offer_spans
    )
    assert [(p.role, p.not_bought) for p in reading.phrases] == [
        ("offer", False),
        ("audience", True),
    ]


@pytest.mark.parametrize("text", ["$8 off $40, store-wide", "7% off everything", "全场满100减15"])
def test_storewide_is_said(text: str) -> None:
    facts = read_request(text)
    reading = find_scope_phrases(text, quantity_spans=facts.quantity_spans, language=facts.language)
    assert reading.storewide and reading.phrases == []


@pytest.mark.parametrize(("text", "days"), [("10% off soup for 0 days", 1),
                                            ("10% off soup, valid 36 hours", 2)])
def test_a_validity_changed_by_rounding_is_noted(text: str, days: int) -> None:
    facts = read_request(text)
    assert facts.valid_days == days
    assert any("rounded up" in note for note in facts.notes)
