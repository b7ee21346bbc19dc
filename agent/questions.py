"""Free questions ("how many households bought coffee in March?", "how is campaign 3 doing?").

Routing: a campaign number goes to the campaign summaries; everything else is read into a
typed QuestionQuery (agent/question_reading.py: rules, EN and ZH) and answered by
tools/queries/question_query.py, and the answer restates the reading before the figure. A
question the query cannot express is declined with what can be asked — never answered with a
nearby figure. When the rules cannot read a question and a capable endpoint is configured, the
endpoint may call the same typed query as a tool; its text is shown only when every number in
it is backed by a tool result. The local 135M model is never asked: it would invent numbers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

from coupondesk.agent.question_reading import (
    CAN_ASK_EN,
    CAN_ASK_ZH,
    OUT_OF_SCOPE,
    Decline,
    read_question,
)
from coupondesk.agent.question_wording import answer_text, figure_text, reading_text
from coupondesk.tools.errors import CoupondeskError, LLMError
from coupondesk.tools.llm import ChatModel, ToolSpec, system, user
from coupondesk.tools.queries.question_query import (
    GroupBy,
    Measure,
    QueryFilters,
    QueryScope,
    QuestionQuery,
    Window,
    run_question_query,
)
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

QUESTION_START = re.compile(
    r"^\s*(how|what|which|who|whom|when|where|why|is|are|was|were|do|does|did|can|could|"
    r"should|list|show|count|tell)\b",
    re.IGNORECASE,
)
ZH_QUESTION = re.compile(r"(多少|几个|几位|哪些|哪个|什么|是否|吗|呢|如何|怎么|为什么)")

HELP = CAN_ASK_EN
COVERAGE = re.compile(
    r"(?<![a-z])(?:what|which)\s+(?:period|dates?|date\s+range|time\s+span|days)\s+(?:does|do|is)"
    r"|(?<![a-z])(?:data|database)\s+(?:cover|span|range|start|end)"
    r"|数据(?:覆盖|范围|的时间|从什么时候)",
    re.IGNORECASE,
)


def _mentions_an_offer(text: str) -> bool:
    from coupondesk.tools.policy.quantities import find_claims

    return any(c.kind in ("percent_off", "amount_off") for c in find_claims(text))


def is_question(text: str) -> bool:
    """True for free questions rather than campaign requests (a request names a discount)."""
    stripped = text.strip()
    if not stripped or _mentions_an_offer(stripped):
        return False
    if stripped.endswith(("?", "？")):
        return True
    return bool(
        QUESTION_START.match(stripped)
        or ZH_QUESTION.search(stripped)
        or re.search(r"\b(sales|revenue|top categories|best[- ]sellers?)\b", stripped, re.I)
    )


# --------------------------------------------------------------------------- rule answers


def _campaign_answer(session: Session, campaign_id: int, retail: bool) -> dict[str, Any]:
    from coupondesk.tools.errors import NotFoundError
    from coupondesk.tools.queries.questions import campaign_summary, retail_campaign_summary

    if not retail:
        try:
            own = campaign_summary(session, campaign_id)
        except NotFoundError:
            own = None
        if own is not None:
            cost = own.expected_cost if own.expected_cost is not None else 0.0
            answer = (
                f"Campaign {campaign_id} ({own.status}): {own.issued_codes:,} codes issued, "
                f"expected cost ${cost:,.2f}"
                + (f" of a ${own.budget:,.2f} budget" if own.budget is not None else "")
                + f", ${own.budget_committed:,.2f} committed."
            )
            return {"answer": answer, "tool": "campaign_summary",
                    "data": own.model_dump(mode="json")}
    summary = retail_campaign_summary(session, campaign_id)
    answer = (
        f"Retail campaign {campaign_id} ({summary.campaign_type}, {summary.start_date} to "
        f"{summary.end_date}): {summary.households_received:,} households received it, "
        f"{summary.households_redeemed:,} redeemed ({summary.redemption_rate:.1%}), "
        f"{summary.redemptions:,} redemptions."
    )
    return {"answer": answer, "tool": "retail_campaign_summary",
            "data": summary.model_dump(mode="json")}


# --------------------------------------------------------------------------- tool calling


def query_data(
    session: Session,
    measure: Measure,
    departments: Sequence[str] = (),
    categories: Sequence[str] = (),
    start: date | None = None,
    end: date | None = None,
    lapsed_days: int | None = None,
    active_days: int | None = None,
    min_spend: float | None = None,
    redeemed_coupon: bool = False,
    received_campaign: bool = False,
    group_by: GroupBy | None = None,
    top_n: int | None = None,
    *,
    today: date,
) -> dict[str, Any]:
    """Count households/baskets/spend/units/redemptions/coupons_issued/campaigns in a scope.

    departments/categories: catalog names (upper case). start/end: YYYY-MM-DD, both included
    (omit both for all the data). lapsed_days: no purchase in the last N days; active_days:
    a purchase in the last N days; min_spend: storewide spend at least this much (all data);
    redeemed_coupon / received_campaign: ever. group_by category/department with top_n ranks.
    """
    window = None
    if start is not None or end is not None:
        window = Window(start=start or end or today, end=end or today - timedelta(days=1),
                        words="as asked")
    query = QuestionQuery(
        measure=measure,
        scope=QueryScope(departments=list(departments), categories=list(categories)),
        window=window,
        filters=QueryFilters(lapsed_days=lapsed_days, active_days=active_days,
                             min_spend=min_spend, redeemed_coupon=redeemed_coupon,
                             received_campaign=received_campaign),
        group_by=group_by, top_n=top_n or (5 if group_by else None),
    )
    result = run_question_query(session, query, today=today)
    return {"reading": reading_text(result), **result.model_dump(mode="json")}


def _tools(session: Session, today: date) -> dict[str, tuple[ToolSpec, Callable[..., Any]]]:
    from coupondesk.tools.queries import questions

    functions: list[Callable[..., Any]] = [
        questions.campaign_summary, questions.retail_campaign_summary, questions.data_period,
    ]
    tools = {f.__name__: (ToolSpec.from_function(f), f) for f in functions}

    def typed_query(session: Session, **arguments: Any) -> dict[str, Any]:
        return query_data(session, **arguments, today=today)

    tools["query_data"] = (ToolSpec.from_function(query_data, skip=("session", "today")),
                           typed_query)
    return tools


def answer_with_tools(
    question: str, *, session: Session, llm: ChatModel, today: date, max_rounds: int = 3
) -> dict[str, Any] | None:
    """Let a capable endpoint call the query tools; its final text is the answer.

    The text is used only when it is grounded (see `grounded`); otherwise the operator is
    told the endpoint's answer was withheld, never shown a number the tools did not return.
    """
    from coupondesk.tools.llm.chat import assistant_tool_calls, tool_result

    tools = _tools(session, today)
    messages = [
        system(
            "You answer a retail marketing operator's question using only the tools. Today is "
            f"{today.isoformat()} (the data ends the day before). Dates are YYYY-MM-DD. "
            "Answer in one or two sentences with the numbers the tools returned; never invent "
            "a number. Catalog names are upper case, e.g. COFFEE, PRODUCE. Restate what was "
            "counted (scope, dates, households) before the figure."
        ),
        user(question),
    ]
    calls_made: list[str] = []
    outputs: list[str] = []
    last_query: dict[str, Any] | None = None
    for _ in range(max_rounds):
        result = llm.complete_with_tools(messages, [spec for spec, _f in tools.values()])
        if not result.tool_calls:
            text = result.text.strip()
            if not text:
                return None
            if not grounded(text, question=question, tool_outputs=outputs):
                return {"answer": f"The endpoint's answer was not backed by the query results, "
                                  f"so it is not shown. {HELP}",
                        "tool": ",".join(calls_made) or None, "source": "none",
                        "answered": False, "query": last_query}
            return {"answer": text, "tool": ",".join(calls_made) or None,
                    "source": llm.source_label,
                    "answered": True, "query": last_query}
        messages.append(assistant_tool_calls(result))
        for call in result.tool_calls:
            spec_function = tools.get(call.name)
            if spec_function is None:
                content = json.dumps({"error": f"unknown tool {call.name}"})
            else:
                try:
                    value = spec_function[1](session, **call.arguments)
                    content = json.dumps(_jsonable(value), default=str)
                    calls_made.append(call.name)
                    outputs += [content, json.dumps(call.arguments, default=str)]
                    if call.name == "query_data" and isinstance(value, dict):
                        last_query = value.get("query")
                except (CoupondeskError, TypeError, ValueError, ValidationError) as exc:
                    content = json.dumps({"error": str(exc)})
            messages.append(tool_result(call, content))
    return None


_ANSWER_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_DATA_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def grounded(text: str, *, question: str, tool_outputs: list[str]) -> bool:
    """True when the answer rests on tool results and states no number they do not hold.

    An answer without a tool result is a guess. A number counts as backed when a tool
    result, the arguments it was called with, or the question holds it, rounded (within
    0.5%) or as a percent of a share: "12.3%" for 0.1234, "$1,235" for 1234.57, "2017" from
    "2017-12-31", "top 5" for n=5.
    """
    if not tool_outputs:
        return False
    known = [float(n) for source in [*tool_outputs, question]
             for n in _DATA_NUMBER.findall(source)]
    for raw in _ANSWER_NUMBER.findall(text):
        value = float(raw.replace(",", ""))
        if not any(abs(value - candidate) <= max(0.01, abs(candidate) * 0.005)
                   for number in known for candidate in (number, number * 100)):
            return False
    return True


def _jsonable(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _declined(decline: Decline) -> dict[str, Any]:
    zh = decline.language == "zh"
    text = (f"无法回答：{decline.reason}。{CAN_ASK_ZH}" if zh
            else f"I can't answer that: {decline.reason}. {CAN_ASK_EN}")
    return {"answer": text, "tool": None, "source": "none", "answered": False, "query": None}


def _first_day(session: Session) -> date | None:
    from coupondesk.tools.db.schema import Transaction

    first = session.execute(select(func.min(Transaction.transaction_timestamp))).scalar_one()
    return first.date() if first is not None else None


def answer_question(
    question: str, *, session: Session, llm: ChatModel | None, today: date,
    default_lapsed_days: int = 30,
) -> dict[str, Any]:
    """{"answer", "answered", "query", "reading", "tool", "source", "data"?} for a free question.

    `answered` is False for a decline; `query` is the typed reading (None when there is none).
    """
    from coupondesk.tools.queries.questions import data_period

    text = question.strip()
    campaign = re.search(r"(?:campaign|活动)\s*#?\s*(\d+)", text, re.IGNORECASE)
    if campaign and not OUT_OF_SCOPE.search(text):
        try:
            ruled = _campaign_answer(session, int(campaign.group(1)),
                                     retail=bool(re.search(r"retail|historical|历史", text, re.I)))
        except CoupondeskError as error:
            return {"answer": error.message, "tool": None, "source": "rules", "answered": False,
                    "query": None}
        return {**ruled, "source": "rules", "answered": True, "query": None}
    if COVERAGE.search(text) and not OUT_OF_SCOPE.search(text):
        coverage = data_period(session)
        answer = (
            f"Transactions from {coverage.first_transaction:%Y-%m-%d} to "
            f"{coverage.last_transaction:%Y-%m-%d}: {coverage.transaction_lines:,} lines from "
            f"{coverage.households:,} households."
            if coverage.first_transaction and coverage.last_transaction
            else "The database holds no transactions yet."
        )
        return {"answer": answer, "tool": "data_period", "source": "rules", "answered": True,
                "query": None, "data": coverage.model_dump(mode="json")}
    first_day = _first_day(session)
    if first_day is None:
        return {"answer": "The database holds no transactions yet.", "tool": None,
                "source": "rules", "answered": False, "query": None}
    reading = read_question(text, session=session, today=today, first_day=first_day,
                            default_lapsed_days=default_lapsed_days)
    if isinstance(reading, QuestionQuery):
        try:
            result = run_question_query(session, reading, today=today)
        except CoupondeskError as error:
            return {"answer": error.message, "tool": None, "source": "rules", "answered": False,
                    "query": reading.model_dump(mode="json")}
        return {"answer": answer_text(result), "answered": True,
                "query": reading.model_dump(mode="json"), "reading": reading_text(result),
                "figure": figure_text(result),
                "tool": "run_question_query", "source": "rules",
                "data": result.model_dump(mode="json", exclude={"query"})}
    if reading.kind == "not_understood" and llm is not None and getattr(
            llm, "supports_tools", False):
        try:
            answered = answer_with_tools(text, session=session, llm=llm, today=today)
        except LLMError as error:
            return {"answer": f"The LLM endpoint failed: {error.message}. {HELP}", "tool": None,
                    "source": "none", "answered": False, "query": None}
        if answered is not None:
            return answered
    return _declined(reading)
