"""Free questions: routing, periods, the deterministic router, and tool calling on endpoints."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from coupondesk.agent.questions import (
    answer_question,
    grounded,
    is_question,
    read_period,
    read_product_phrase,
)
from coupondesk.models.frames import RetailFrames
from coupondesk.tools.db.session import get_engine
from coupondesk.tools.llm import ToolCall
from coupondesk.tools.llm.fake import FakeChatModel
from sqlalchemy.orm import Session

from tests.conftest import SLICE_HOUSEHOLDS

TODAY = date(2018, 1, 2)


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("how many households bought coffee last month?", True),
        ("sales of produce in December", True),
        ("最近30天有多少户买了咖啡？", True),
        ("What did campaign 3 cost?", True),
        ("win back lapsed coffee buyers with 15% off, budget $2,000", False),
        ("How about 15% off coffee for lapsed buyers?", False),
        ("给45天未购物的用户发放全场满100减15优惠券", False),
        ("", False),
    ],
)
def test_is_question(text: str, question: bool) -> None:
    assert is_question(text) is question


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("last month", date(2017, 12, 1), date(2017, 12, 31)),
        ("in the last 30 days", date(2017, 12, 3), date(2018, 1, 1)),
        ("past 2 weeks", date(2017, 12, 19), date(2018, 1, 1)),
        ("in March", date(2017, 3, 1), date(2017, 3, 31)),
        ("in 2017", date(2017, 1, 1), date(2017, 12, 31)),
        ("上个月", date(2017, 12, 1), date(2017, 12, 31)),
        ("yesterday", date(2018, 1, 1), date(2018, 1, 1)),
    ],
)
def test_read_period(text: str, start: date, end: date) -> None:
    period = read_period(text, TODAY)
    assert period is not None and (period.start, period.end) == (start, end)


def test_read_product_phrase() -> None:
    assert read_product_phrase("how many households bought coffee last month?") == "coffee"
    assert read_product_phrase("sales of frozen pizza in December") == "frozen pizza"
    assert read_product_phrase("how many households bought anything last week?") is None


def test_buyer_count_matches_pandas(db_url: str) -> None:
    frames = RetailFrames.from_completejourney(sorted(SLICE_HOUSEHOLDS))
    lines = frames.transactions.merge(frames.products, on="product_id")
    december = lines[
        (lines["transaction_timestamp"] >= pd.Timestamp("2017-12-01"))
        & (lines["transaction_timestamp"] < pd.Timestamp("2018-01-01"))
        & (lines["product_category"] == "COFFEE")
    ]
    with Session(get_engine(db_url)) as session:
        answer = answer_question(
            "how many households bought coffee last month?", session=session, llm=None, today=TODAY
        )
    assert answer["tool"] == "count_households_bought"
    assert answer["data"]["households"] == december["household_id"].nunique()
    assert f"{december['household_id'].nunique():,} households bought COFFEE" in answer["answer"]


def test_unknown_question_offline_says_what_can_be_asked(sqlite_url: str) -> None:
    with Session(get_engine(sqlite_url)) as session:
        answer = answer_question("why is the sky blue?", session=session, llm=None, today=TODAY)
    assert answer["source"] == "none" and "I can answer" in answer["answer"]


def test_capable_endpoint_answers_through_tools(sqlite_url: str) -> None:
    llm = FakeChatModel(capable=True, supports_tools=True)
    llm.enqueue(
        [ToolCall(id="1", name="data_period", arguments={})],
        "The data covers 2017.",
    )
    with Session(get_engine(sqlite_url)) as session:
        answer = answer_question(
            "which weekday do people shop most on?", session=session, llm=llm, today=TODAY
        )
    assert answer == {"answer": "The data covers 2017.", "tool": "data_period", "source": "fake"}
    tool_turn = llm.calls[1].messages[-1]
    assert tool_turn["role"] == "tool" and "transaction_lines" in (tool_turn["content"] or "")
    assert {spec.name for spec in llm.calls[0].tools} >= {
        "count_households_bought",
        "sales_summary",
    }


@pytest.mark.parametrize(
    ("reply", "shown"),
    [
        ("The data covers 2017.", True),
        ("The data covers 1999 and 42,000 households.", False),  # numbers no tool returned
    ],
)
def test_endpoint_answers_are_shown_only_when_the_tools_back_them(
    sqlite_url: str, reply: str, shown: bool
) -> None:
    llm = FakeChatModel(capable=True, supports_tools=True)
    llm.enqueue([ToolCall(id="1", name="data_period", arguments={})], reply)
    with Session(get_engine(sqlite_url)) as session:
        answer = answer_question(
            "which weekday do people shop most on?", session=session, llm=llm, today=TODAY
        )
    assert (answer["answer"] == reply) is shown
    assert answer["source"] == ("fake" if shown else "none")


def test_an_endpoint_answer_without_any_tool_result_is_not_shown(sqlite_url: str) -> None:
    llm = FakeChatModel(capable=True, supports_tools=True)
    llm.enqueue("Most people shop on Saturdays.")
    with Session(get_engine(sqlite_url)) as session:
        answer = answer_question(
            "which weekday do people shop most on?", session=session, llm=llm, today=TODAY
        )
    assert answer["source"] == "none" and "Saturdays" not in answer["answer"]


@pytest.mark.parametrize(
    "question",
    [
        "how many households bought coffee in the last 99999999999 days?",
        "最近99999999999天有多少户买了咖啡？",
        "how is campaign 99999999999999999999999 doing?",
        "how did retail campaign 99999999999999999999999 do?",
    ],
)
def test_absurd_numbers_get_an_answer_not_a_crash(sqlite_url: str, question: str) -> None:
    with Session(get_engine(sqlite_url)) as session:
        answer = answer_question(question, session=session, llm=None, today=TODAY)
    assert answer["source"] == "rules"
    assert "too long" in answer["answer"] or "does not exist" in answer["answer"]


TOOL_RESULT = (
    '{"period": {"start": "2017-12-01", "end": "2017-12-31"}, "households": 1204, '
    '"total_households": 2469, "share": 0.48764, "sales": 1234.567}'
)


@pytest.mark.parametrize(
    ("answer", "ok"),
    [
        ("1,204 households bought coffee in December 2017 (48.8% of 2,469).", True),
        ("Sales were $1,235 over the 31 days.", True),
        ("The top 5 categories follow.", True),  # n=5 is an argument of the call
        ("1,300 households bought coffee.", False),
        ("About 60% of households bought coffee.", False),
    ],
)
def test_grounded_numbers(answer: str, ok: bool) -> None:
    assert (
        grounded(
            answer,
            question="how many bought coffee last month?",
            tool_outputs=[TOOL_RESULT, '{"n": 5}'],
        )
        is ok
    )
    assert not grounded("No numbers at all.", question="q", tool_outputs=[])
