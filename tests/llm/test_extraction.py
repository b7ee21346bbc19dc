"""LLM extraction for the planner: validated, and None whenever the answer is doubtful."""

from __future__ import annotations

import json
from typing import Any

import pytest
from coupondesk.tools.errors import LLMError
from coupondesk.tools.llm.extraction import choose_option, extract_plan
from coupondesk.tools.llm.fake import FakeChatModel

REQUEST = "Give 10% off soup to households that haven't shopped in 40 days, budget $800, 7 days."
PLAN: dict[str, Any] = {
    "offer": {"kind": "percent_off", "value": 10, "valid_days": 7, "categories": ["SOUP"]},
    "audience": {"lapsed_days": 40},
    "budget": 800,
    "language": "en",
}


def test_a_valid_plan_is_returned_with_the_request() -> None:
    llm = FakeChatModel([json.dumps(PLAN)], capable=True)
    plan = extract_plan(llm, REQUEST, today="2017-10-01", categories=["SOUP", "BEEF"])
    assert plan is not None
    assert (plan.offer.value, plan.audience.lapsed_days, plan.budget) == (10, 40, 800)
    assert plan.request == REQUEST
    call = llm.calls[0]
    assert call.json_schema is not None and call.json_schema["title"] == "CampaignPlan"
    assert call.temperature == 0.0
    assert '"SOUP", "BEEF"' in call.prompt


@pytest.mark.parametrize(
    "reply",
    [
        "I think it is ten percent off soup",
        json.dumps({**PLAN, "offer": {**PLAN["offer"], "kind": "bogo"}}),
        json.dumps({**PLAN, "offer": {**PLAN["offer"], "categories": ["SOUPS & STEWS"]}}),
        LLMError("endpoint down"),
    ],
)
def test_doubtful_plans_are_none(reply: object) -> None:
    llm = FakeChatModel([reply], capable=True)  # type: ignore[list-item]
    assert extract_plan(llm, REQUEST, today="2017-10-01", categories=["SOUP"]) is None


OPTIONS = ["COOKIES/CONES", "CRACKERS/MISC BKD FD", "none of these"]


@pytest.mark.parametrize(
    ("reply", "chosen"),
    [
        ("A", "COOKIES/CONES"),
        ("(B)", "CRACKERS/MISC BKD FD"),
        ("B) CRACKERS/MISC BKD FD", "CRACKERS/MISC BKD FD"),
        ("cookies/cones", "COOKIES/CONES"),
        ("D", None),
        ("A) CRACKERS/MISC BKD FD", None),
        ("I think A", None),
        ("Apple", None),
        ("", None),
    ],
)
def test_choose_option_accepts_only_a_clean_answer(reply: str, chosen: str | None) -> None:
    llm = FakeChatModel([reply])
    assert choose_option(llm, "25% off cookies", "Which category?", OPTIONS) == chosen
    assert 'A) "COOKIES/CONES"' in llm.calls[0].prompt
