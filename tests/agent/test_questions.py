"""Free questions: routing, the typed reading (EN and ZH), figures against pandas, declines,
and tool calling on a capable endpoint.

Every reading in the table is checked twice: the typed query must be the expected one, and
the figure must equal an independent pandas computation of that expected reading on the real
slice (tests/queries/conftest.py), so a wrong reading and a wrong query both fail.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from coupondesk.agent.questions import answer_question, grounded, is_question
from coupondesk.tools.catalog.text import is_merchandise
from coupondesk.tools.db.session import get_engine
from coupondesk.tools.llm import ToolCall
from coupondesk.tools.llm.fake import FakeChatModel
from sqlalchemy.orm import Session

from tests.queries.conftest import Slice, cj  # noqa: F401  (the pandas slice fixture)

TODAY = date(2018, 1, 1)
"""The day after the slice's last transaction (data_today of the slice)."""


def _ask(url: str, question: str, llm: Any = None) -> dict[str, Any]:
    with Session(get_engine(url)) as session:
        return answer_question(question, session=session, llm=llm, today=TODAY)


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


# --------------------------------------------------------------------------- the reading table

DEC = ("2017-12-01", "2017-12-31")
MAR = ("2017-03-01", "2017-03-31")
Y2017 = ("2017-01-01", "2017-12-31")


def days(n: int) -> tuple[str, str]:
    """The last n days before TODAY, both ends included."""
    return str(TODAY - timedelta(days=n)), str(TODAY - timedelta(days=1))


# (question, expected reading). Keys: measure, departments, categories, window (start, end) or
# None, filters (only the non-default ones), group_by, top_n. Several phrasings per class.
READINGS: list[tuple[str, dict[str, Any]]] = [
    # households that bought a scope in a named month (the data's calendar)
    ("How many customers purchased coffee during March?",
     {"measure": "households", "categories": ["COFFEE"], "window": MAR}),
    ("number of shoppers buying frozen pizza in July 2017",
     {"measure": "households", "categories": ["FROZEN PIZZA"],
      "window": ("2017-07-01", "2017-07-31")}),
    ("7月份有多少家庭购买了牛奶？",
     {"measure": "households", "categories": ["FLUID MILK PRODUCTS"],
      "window": ("2017-07-01", "2017-07-31")}),
    ("三月有几户买过咖啡", {"measure": "households", "categories": ["COFFEE"], "window": MAR}),
    # "last month" is the previous calendar month
    ("how many shoppers bought beer last month?",
     {"measure": "households", "categories": ["BEERS/ALES"], "window": DEC}),
    ("上个月有多少户买过啤酒？",
     {"measure": "households", "categories": ["BEERS/ALES"], "window": DEC}),
    # rolling windows
    ("how many households bought soup in the past 45 days?",
     {"measure": "households", "categories": ["SOUP"], "window": days(45)}),
    ("最近3周有多少顾客买了咖啡？",
     {"measure": "households", "categories": ["COFFEE"], "window": days(21)}),
    ("How many households made a purchase in November?",
     {"measure": "households", "window": ("2017-11-01", "2017-11-30")}),
    ("最近7天有多少户购物？", {"measure": "households", "window": days(7)}),
    ("how many households bought coffee or tea in the last 30 days?",
     {"measure": "households", "categories": ["COFFEE", "TEAS"], "window": days(30)}),
    # lapsed from the store
    ("How many households have not shopped for 45 days?",
     {"measure": "households", "window": None, "filters": {"lapsed_days": 45}}),
    ("count the customers who haven't been back in 90 days",
     {"measure": "households", "window": None, "filters": {"lapsed_days": 90}}),
    ("有多少家庭超过45天没有购物？",
     {"measure": "households", "window": None, "filters": {"lapsed_days": 45}}),
    # lapsed from a scope
    ("how many households haven't bought soup in 90 days?",
     {"measure": "households", "categories": ["SOUP"], "window": None,
      "filters": {"lapsed_days": 90, "lapsed_from_scope": True}}),
    # spend above X within a window
    ("how many households spent over $300 in the past 60 days?",
     {"measure": "households", "window": None,
      "filters": {"min_spend": 300.0, "min_spend_inclusive": False, "spend_window": days(60)}}),
    ("最近60天消费超过300元的家庭有多少？",
     {"measure": "households", "window": None,
      "filters": {"min_spend": 300.0, "min_spend_inclusive": False, "spend_window": days(60)}}),
    ("最近90天消费满500元以上的用户有多少？",
     {"measure": "households", "window": None,
      "filters": {"min_spend": 500.0, "min_spend_inclusive": True, "spend_window": days(90)}}),
    ("what was total spend on produce by households that spent at least $1000?",
     {"measure": "spend", "departments": ["PRODUCE"], "window": None,
      "filters": {"min_spend": 1000.0, "min_spend_inclusive": True}}),
    # redeemed a coupon (the window is the redemption's)
    ("how many customers redeemed coupons in November?",
     {"measure": "households", "window": None,
      "filters": {"redeemed_coupon": True, "redeemed_window": ("2017-11-01", "2017-11-30")}}),
    ("2017年有多少顾客用过优惠券？",
     {"measure": "households", "window": None,
      "filters": {"redeemed_coupon": True, "redeemed_window": Y2017}}),
    # received a campaign
    ("how many households received a campaign in 2017?",
     {"measure": "households", "window": None,
      "filters": {"received_campaign": True, "received_window": Y2017}}),
    # grouping + top-N
    ("what are the top 3 categories by sales among households lapsed 60 days?",
     {"measure": "spend", "window": None, "filters": {"lapsed_days": 60},
      "group_by": "category", "top_n": 3}),
    ("which departments sold the most in December?",
     {"measure": "spend", "window": DEC, "group_by": "department", "top_n": 5}),
    ("流失家庭里卖得最好的3个品类是哪些？",
     {"measure": "spend", "window": None, "filters": {"lapsed_days": 30},
      "group_by": "category", "top_n": 3}),
    ("which category has the most buyers among lapsed households?",
     {"measure": "households", "window": None, "filters": {"lapsed_days": 30},
      "group_by": "category", "top_n": 1}),
    ("销售额最高的三个部门是哪些？",
     {"measure": "spend", "window": None, "group_by": "department", "top_n": 3}),
    ("去年十二月有多少户买过猫粮？",
     {"measure": "households", "categories": ["CAT FOOD"], "window": DEC}),
    ("上个月卖得最好的5个品类是哪些？",
     {"measure": "spend", "window": DEC, "group_by": "category", "top_n": 5}),
    # sales, units, baskets
    ("what was revenue from meat in Q4?",
     {"measure": "spend", "departments": ["MEAT", "MEAT-PCKGD"],
      "window": ("2017-10-01", "2017-12-31")}),
    ("what is the revenue of the deli department in 2017?",
     {"measure": "spend", "departments": ["DELI"], "window": Y2017}),
    ("How many households bought coffee at least once in 2017?",
     {"measure": "households", "categories": ["COFFEE"], "window": Y2017}),
    ("12月份牛奶的销售额是多少？",
     {"measure": "spend", "categories": ["FLUID MILK PRODUCTS"], "window": DEC}),
    ("how many units of soup were sold in October?",
     {"measure": "units", "categories": ["SOUP"], "window": ("2017-10-01", "2017-10-31")}),
    ("how many transactions included cheese last week?",
     {"measure": "baskets", "categories": ["CHEESE", "CHEESES"],
      "window": ("2017-12-25", "2017-12-31")}),
    # redemptions and campaigns
    ("how many coupons were redeemed in 2017?", {"measure": "redemptions", "window": Y2017}),
    ("上个月核销了多少张优惠券？", {"measure": "redemptions", "window": DEC}),
    ("how many campaigns were running in June?",
     {"measure": "campaigns", "window": ("2017-06-01", "2017-06-30")}),
]


def _window(value: tuple[str, str] | None) -> tuple[datetime, datetime] | None:
    if value is None:
        return None
    return pd.Timestamp(value[0]).to_pydatetime(), (
        pd.Timestamp(value[1]) + pd.Timedelta(days=1)).to_pydatetime()


def _lines(frames: Slice, window: tuple[str, str] | None) -> pd.DataFrame:
    lines = frames.lines[frames.lines.ts < pd.Timestamp(TODAY)]
    bounds = _window(window)
    if bounds is not None:
        lines = lines[(lines.ts >= bounds[0]) & (lines.ts < bounds[1])]
    return lines


def _scoped(lines: pd.DataFrame, expected: dict[str, Any]) -> pd.DataFrame:
    departments, categories = expected.get("departments", []), expected.get("categories", [])
    if not departments and not categories:
        return lines
    return lines[lines.department.isin(departments) | lines.product_category.isin(categories)]


def _population(frames: Slice, expected: dict[str, Any]) -> set[int]:
    """Households passing the expected filters, computed in pandas."""
    filters = expected.get("filters", {})
    people = set(frames.households)
    history = _lines(frames, None)
    if "lapsed_days" in filters:
        cutoff = pd.Timestamp(TODAY) - pd.Timedelta(days=filters["lapsed_days"])
        base = _scoped(history, expected) if filters.get("lapsed_from_scope") else history
        before = set(base[base.ts < cutoff].household_id)
        recent = set(base[base.ts >= cutoff].household_id)
        people &= before - recent
    if "min_spend" in filters:
        window = _lines(frames, filters.get("spend_window"))
        spend = window.groupby("household_id").sales_value.sum()
        amount = filters["min_spend"]
        big = spend >= amount if filters.get("min_spend_inclusive", True) else spend > amount
        people &= set(spend[big].index)
    if filters.get("redeemed_coupon"):
        redeemed = frames.redemptions[frames.redemptions.redemption_date < pd.Timestamp(TODAY)]
        if "redeemed_window" in filters:
            low, high = _window(filters["redeemed_window"])  # type: ignore[misc]
            redeemed = redeemed[(redeemed.redemption_date >= low)
                                & (redeemed.redemption_date < high)]
        people &= set(redeemed.household_id)
    if filters.get("received_campaign"):
        receipts = frames.receipts.merge(frames.campaigns, on="campaign_id")
        if "received_window" in filters:
            start, end = (pd.Timestamp(d) for d in filters["received_window"])
            receipts = receipts[(receipts.start_date <= end) & (receipts.end_date >= start)]
        people &= set(receipts.household_id)
    return people


def expected_figure(frames: Slice, expected: dict[str, Any]) -> Any:
    """The figure (or ranked (name, value) rows) of the expected reading, in pandas."""
    measure, window = expected["measure"], expected.get("window")
    people = _population(frames, expected)
    if measure == "redemptions":
        redemptions = frames.redemptions[frames.redemptions.household_id.isin(people)]
        low, high = _window(window) or (datetime.min, datetime(TODAY.year, TODAY.month, TODAY.day))
        return int(((redemptions.redemption_date >= low)
                    & (redemptions.redemption_date < high)).sum())
    if measure == "campaigns":
        assert window is not None  # every campaigns row of the table names a window
        start, end = (pd.Timestamp(d) for d in window)
        campaigns = frames.campaigns
        return int(((campaigns.start_date <= end) & (campaigns.end_date >= start)).sum())
    lines = _scoped(_lines(frames, window), expected)
    lines = lines[lines.household_id.isin(people)]
    aggregate = {"households": lambda f: f.household_id.nunique(),
                 "baskets": lambda f: f.basket_id.nunique(),
                 "spend": lambda f: f.sales_value.sum(), "units": lambda f: f.quantity.sum()}
    if "group_by" in expected:
        column = "product_category" if expected["group_by"] == "category" else "department"
        grouped = lines.groupby(column).apply(aggregate[measure], include_groups=False)
        grouped = grouped[[is_merchandise(str(n)) for n in grouped.index]]
        ranked = sorted(grouped.items(), key=lambda kv: (-kv[1], kv[0]))
        return [(name, round(float(value), 2)) for name, value in ranked[: expected["top_n"]]]
    if measure == "households" and window is None and not (
            expected.get("departments") or expected.get("categories")):
        return len(people)
    return round(float(aggregate[measure](lines)), 2)


def _check_reading(query: dict[str, Any], expected: dict[str, Any]) -> None:
    assert query["measure"] == expected["measure"]
    assert sorted(query["scope"]["departments"]) == sorted(expected.get("departments", []))
    assert sorted(query["scope"]["categories"]) == sorted(expected.get("categories", []))
    window = query["window"]
    got = None if window is None else (window["start"], window["end"])
    assert got == expected.get("window")
    defaults = {"lapsed_days": None, "lapsed_from_scope": False, "active_days": None,
                "min_spend": None, "min_spend_inclusive": True, "spend_window": None,
                "redeemed_coupon": False, "redeemed_window": None, "received_campaign": False,
                "received_window": None}
    for key, default in defaults.items():
        value = query["filters"][key]
        if isinstance(value, dict):
            value = (value["start"], value["end"])
        assert value == expected.get("filters", {}).get(key, default), key
    assert query["group_by"] == expected.get("group_by")
    assert query["top_n"] == expected.get("top_n")


@pytest.mark.parametrize(("question", "expected"), READINGS, ids=[q for q, _ in READINGS])
def test_reading_and_figure(
    sqlite_url: str, cj: Slice, question: str, expected: dict[str, Any]  # noqa: F811
) -> None:
    answer = _ask(sqlite_url, question)
    assert answer["answered"] is True and answer["source"] == "rules", answer["answer"]
    _check_reading(answer["query"], expected)
    figure = expected_figure(cj, expected)
    data = answer["data"]
    if isinstance(figure, list):
        got = [(row["name"], row["value"]) for row in data["rows"]]
        assert [n for n, _ in got] == [n for n, _ in figure]
        assert [v for _, v in got] == pytest.approx([v for _, v in figure], abs=0.05)
    else:
        assert data["value"] == pytest.approx(figure, abs=0.05)
    # The answer restates the reading: the scope names and the window dates are in the text.
    for name in [*expected.get("departments", []), *expected.get("categories", [])]:
        assert name in answer["answer"]
    for day in expected.get("window") or ():
        assert day in answer["answer"]
    assert "database holds" not in answer["answer"]


@pytest.mark.postgres
def test_a_reading_on_postgres(pg_url: str, cj: Slice) -> None:  # noqa: F811
    question, expected = READINGS[0]
    answer = _ask(pg_url, question)
    assert answer["data"]["value"] == expected_figure(cj, expected)


# --------------------------------------------------------------------------- declines

DECLINES = [
    "what's the weather like tomorrow?",
    "why did coffee sales fall in March?",
    "predict next year's revenue",
    "what will sales be next month?",
    "what is the average spend per household?",
    "compare coffee sales in March versus April",
    "which brand sells best?",
    "what share of households bought coffee?",
    "how many households bought coffee twice last month?",
    "list the lapsed households",
    "sales by week in December",
    "how many households with kids bought coffee?",
    "how many households bought coffee in 2016?",  # outside the data
    "what did households that bought coffee in March spend in April?",  # two periods
    "how many households spent less than $50 last month?",
    "how many households bought unicorn dust last month?",
    "tell me a joke",
    "hello",
    "明年的销售额会是多少？",
    "为什么上个月销量下降了？",
    "明天天气怎么样？",
    "每个月的销售额趋势是怎样的？",
    "有孩子的家庭买了多少咖啡？",
    # meaning-bearing words no field takes: declined rather than dropped
    "what's the most popular category among active customers?",  # "active" without days
    "how many households bought coffee with a coupon?",
    "how many of our top customers bought coffee?",
    "how many households still buy coffee?",
    "how many households bought only coffee last month?",
    "how many households with no coffee purchase in March?",
    "how many households bought coffee and tea last month?",  # both, or either?
    "how many households bought coffee in the last 30 days and spent over $100?",
    "how many items did households buy in december?",  # storewide units mix gallons and items
    "how many people bought ice cream in summer?",
    "how many households bought milk this year?",  # nothing of 2018 is in the data
    "How many households bought more coffee last month?",  # more than what?
    "how many households redeemed coupons for coffee?",  # coupons are not per product here
    "sales of candy among households that redeemed a coupon in 2017",  # whose 2017?
]


@pytest.mark.parametrize("question", DECLINES)
def test_out_of_scope_questions_are_declined(sqlite_url: str, question: str) -> None:
    answer = _ask(sqlite_url, question)
    assert answer["answered"] is False and answer["query"] is None
    assert answer["source"] == "none"
    assert "I can count" in answer["answer"] or "我可以统计" in answer["answer"]
    assert "database holds" not in answer["answer"]


def test_a_chinese_decline_is_in_chinese(sqlite_url: str) -> None:
    answer = _ask(sqlite_url, "为什么上个月销量下降了？")
    assert answer["answer"].startswith("无法回答")


# --------------------------------------------------------------------------- campaigns, coverage


@pytest.mark.parametrize(
    "question",
    ["how is campaign 99999999999999999999999 doing?",
     "how did retail campaign 99999999999999999999999 do?"],
)
def test_absurd_campaign_numbers_get_an_answer_not_a_crash(sqlite_url: str, question: str) -> None:
    answer = _ask(sqlite_url, question)
    assert answer["source"] == "rules" and answer["answered"] is False
    assert "does not exist" in answer["answer"]


def test_retail_campaign_question(sqlite_url: str, cj: Slice) -> None:  # noqa: F811
    campaign_id = int(cj.redemptions.campaign_id.value_counts().index[0])
    answer = _ask(sqlite_url, f"how did retail campaign {campaign_id} perform?")
    received = int((cj.receipts.campaign_id == campaign_id).sum())
    assert answer["answered"] is True and answer["tool"] == "retail_campaign_summary"
    assert f"{received:,} households received it" in answer["answer"]


def test_data_coverage_question(sqlite_url: str, cj: Slice) -> None:  # noqa: F811
    answer = _ask(sqlite_url, "what period does the data cover?")
    assert answer["answered"] is True and answer["tool"] == "data_period"
    assert f"{cj.lines.ts.min():%Y-%m-%d}" in answer["answer"]


# --------------------------------------------------------------------------- tool calling


def test_capable_endpoint_answers_through_the_typed_query(sqlite_url: str, cj: Slice  # noqa: F811
                                                          ) -> None:
    expected = {"measure": "households", "categories": ["COFFEE"], "window": DEC}
    count = expected_figure(cj, expected)
    llm = FakeChatModel(capable=True, supports_tools=True)
    llm.enqueue(
        [ToolCall(id="1", name="query_data", arguments={
            "measure": "households", "categories": ["COFFEE"],
            "start": "2017-12-01", "end": "2017-12-31"})],
        f"{count} households bought COFFEE from 2017-12-01 to 2017-12-31.",
    )
    answer = _ask(sqlite_url, "which shoppers are coffee people, by the december numbers?", llm)
    assert answer["source"] == "fake" and answer["answered"] is True
    assert answer["query"]["scope"]["categories"] == ["COFFEE"]
    tool_turn = llm.calls[1].messages[-1]
    assert tool_turn["role"] == "tool" and f'"value": {count}' in (tool_turn["content"] or "")
    assert "query_data" in {spec.name for spec in llm.calls[0].tools}


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
    answer = _ask(sqlite_url, "which weekday sees the quietest trade?", llm)
    assert (answer["answer"] == reply) is shown
    assert answer["source"] == ("fake" if shown else "none")
    assert answer["answered"] is shown


def test_the_endpoint_is_not_asked_out_of_scope_questions(sqlite_url: str) -> None:
    llm = FakeChatModel(capable=True, supports_tools=True)
    llm.enqueue("Sales will grow 5% next year.")
    answer = _ask(sqlite_url, "predict next year's revenue", llm)
    assert answer["answered"] is False and not llm.calls


def test_an_endpoint_answer_without_any_tool_result_is_not_shown(sqlite_url: str) -> None:
    llm = FakeChatModel(capable=True, supports_tools=True)
    llm.enqueue("Most people shop on Saturdays.")
    answer = _ask(sqlite_url, "which weekday sees the quietest trade?", llm)
    assert answer["source"] == "none" and "Saturdays" not in answer["answer"]


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
