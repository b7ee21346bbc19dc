"""Free questions ("how many households bought coffee last month?", "what did campaign 3 cost?").

Answered from the same typed query tools as everything else (tools/questions.py). Offline, a
deterministic router recognises the common questions and reads the period and the product
phrase out of them; a capable endpoint gets the query tools as function calls for the rest.
The local 135M model is never asked: it would invent numbers. What neither can answer gets a
plain message listing what can be asked.
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from coupondesk.tools.errors import BadInputError, CoupondeskError, LLMError
from coupondesk.tools.llm import ChatModel, ToolSpec, system, user
from sqlalchemy.orm import Session

QUESTION_START = re.compile(
    r"^\s*(how|what|which|who|whom|when|where|why|is|are|was|were|do|does|did|can|could|"
    r"should|list|show|count|tell)\b",
    re.IGNORECASE,
)
ZH_QUESTION = re.compile(r"(多少|几个|几位|哪些|哪个|什么|是否|吗|呢|如何|怎么|为什么)")

HELP = (
    "I can answer: how many households bought <product> <period>; sales of <product> "
    "<period>; top categories <period>; how campaign <id> is doing (coupondesk or retail); "
    "what period the data covers. Periods: last month, this month, last 30 days, last week, "
    "in December, in 2017."
)

MAX_PERIOD_DAYS = 36_500
"""Longest "last N days" a question may name (a century; the data covers one year)."""

MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})


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


@dataclass(frozen=True)
class Period:
    """Whole days, both ends included, plus the words used for it."""

    start: date
    end: date
    words: str


def _month_period(year: int, month: int, words: str) -> Period:
    last = calendar.monthrange(year, month)[1]
    return Period(date(year, month, 1), date(year, month, last), words)


def read_period(text: str, today: date) -> Period | None:
    """The period a question names, relative to the planning date (`today` is not yet data)."""
    lowered = text.lower()
    yesterday = today - timedelta(days=1)
    match = re.search(r"(?:last|past|previous)\s+(\d+)\s+(day|week|month)s?", lowered)
    zh = re.search(r"(?:最近|过去)\s*(\d+)\s*(天|周|个月)", text)
    if match or zh:
        amount = int((match or zh).group(1))  # type: ignore[union-attr]
        unit = (match or zh).group(2)  # type: ignore[union-attr]
        days = amount * {"day": 1, "天": 1, "week": 7, "周": 7, "month": 30, "个月": 30}[unit]
        if days > MAX_PERIOD_DAYS:  # else date arithmetic overflows
            raise BadInputError(f"a period of {amount:,} {unit}s is too long; ask about at "
                                f"most {MAX_PERIOD_DAYS // 365} years")
        return Period(today - timedelta(days=days), yesterday, f"in the last {amount} {unit}s"
                      if match else f"最近{amount}{unit}")
    if re.search(r"\blast\s+month\b|上个?月", text, re.IGNORECASE):
        first_this = today.replace(day=1)
        prev = first_this - timedelta(days=1)
        return _month_period(prev.year, prev.month, "last month")
    if re.search(r"\bthis\s+month\b|本月|这个月", text, re.IGNORECASE):
        return Period(today.replace(day=1), yesterday, "this month")
    if re.search(r"\blast\s+week\b|上周|上个星期", text, re.IGNORECASE):
        return Period(today - timedelta(days=7), yesterday, "in the last week")
    if re.search(r"\byesterday\b|昨天", text, re.IGNORECASE):
        return Period(yesterday, yesterday, "yesterday")
    if re.search(r"\blast\s+year\b|去年", text, re.IGNORECASE):
        return Period(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31), "last year")
    year = re.search(r"\b(?:in\s+)?(20\d\d)\b", lowered)
    month = re.search(r"\b(?:in|during)\s+([a-z]+)\b", lowered)
    if month and month.group(1) in MONTHS:
        number = MONTHS[month.group(1)]
        guess_year = int(year.group(1)) if year else (
            today.year if number < today.month else today.year - 1
        )
        return _month_period(guess_year, number, f"in {calendar.month_name[number]} {guess_year}")
    if year:
        value = int(year.group(1))
        return Period(date(value, 1, 1), min(date(value, 12, 31), yesterday), f"in {value}")
    return None


PRODUCT_AFTER = re.compile(
    r"(?:bought|buy|buying|purchased|purchase|shopped\s+for|sales\s+of|sell|sold|revenue\s+(?:of|from)"
    r"|spend\s+on|spent\s+on)\s+(?:any\s+|some\s+)?(.+?)"
    r"(?=\s+(?:in|during|over|within|last|this|the\s+past|past|since|yesterday|previous)\b|[?？.!]|$)",
    re.IGNORECASE,
)
ZH_PRODUCT = re.compile(r"(?:买过?|购买了?|卖了?|销售)(.+?)(?=的|吗|[?？]|$)")


def read_product_phrase(text: str) -> str | None:
    """The product words of a question ("coffee" in "how many bought coffee last month?")."""
    match = PRODUCT_AFTER.search(text) or ZH_PRODUCT.search(text)
    if not match:
        return None
    phrase = match.group(1).strip(" ,")
    phrase = re.sub(r"\b(the|a|an|any|our)\b\s*", "", phrase, flags=re.IGNORECASE).strip()
    if not phrase or phrase.lower() in ("anything", "something", "things", "items", "stuff"):
        return None
    return phrase


def _scope(session: Session, phrase: str | None) -> tuple[list[str], list[str], str]:
    """Catalog departments/categories for the phrase (best match), and words for the answer."""
    from coupondesk.tools.catalog.lookup import catalog_lookup

    if phrase is None:
        return [], [], "anything"
    matches = catalog_lookup(session, phrase, limit=3)
    if not matches:
        raise CoupondeskError(f"I could not find {phrase!r} in the catalog")
    best = matches[0]
    if best.level == "department":
        return [best.name], [], best.name
    return [], [best.name], best.name


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


def answer_by_rules(question: str, *, session: Session, today: date) -> dict[str, Any] | None:
    """The deterministic router: the common questions, or None when it does not recognise one."""
    from coupondesk.tools.queries.questions import (
        count_households_bought,
        data_period,
        sales_summary,
        top_categories,
    )

    text = question.strip()
    lowered = text.lower()
    campaign = re.search(r"(?:campaign|活动)\s*#?\s*(\d+)", text, re.IGNORECASE)
    if campaign:
        return _campaign_answer(session, int(campaign.group(1)),
                                retail=bool(re.search(r"retail|historical|历史", lowered)))
    period = read_period(text, today)
    default_period = Period(today - timedelta(days=30), today - timedelta(days=1),
                            "in the last 30 days")
    if re.search(r"how many (households|customers|shoppers|people)|多少(户|家|个?用户|人)", text,
                 re.IGNORECASE):
        if re.search(r"\b(bought|buy|purchased|shopped)\b|买|购买", text):
            chosen = period or default_period
            departments, categories, words = _scope(session, read_product_phrase(text))
            result = count_households_bought(session, departments, categories,
                                             start=chosen.start, end=chosen.end)
            answer = (
                f"{result.households:,} households bought {words} {chosen.words} "
                f"({chosen.start} to {chosen.end}): {result.share:.1%} of "
                f"{result.total_households:,}."
            )
            return {"answer": answer, "tool": "count_households_bought",
                    "data": result.model_dump(mode="json")}
        coverage = data_period(session)
        return {"answer": f"The database holds {coverage.households:,} households.",
                "tool": "data_period", "data": coverage.model_dump(mode="json")}
    if re.search(r"\b(sales|sell|sold|revenue|spend)\b|销售|卖", text, re.IGNORECASE):
        chosen = period or default_period
        departments, categories, words = _scope(session, read_product_phrase(text))
        sales = sales_summary(session, departments, categories, start=chosen.start, end=chosen.end)
        answer = (
            f"Sales of {words} {chosen.words}: ${sales.sales:,.2f} from {sales.households:,} "
            f"households in {sales.baskets:,} baskets."
        )
        return {"answer": answer, "tool": "sales_summary", "data": sales.model_dump(mode="json")}
    if re.search(r"top|best[- ]?sell|most popular|畅销|卖得最好", text, re.IGNORECASE):
        chosen = period or default_period
        rows = top_categories(session, start=chosen.start, end=chosen.end, n=5)
        listed = ", ".join(f"{r.name} (${r.sales:,.0f})" for r in rows)
        return {"answer": f"Top categories {chosen.words}: {listed}.", "tool": "top_categories",
                "data": [r.model_dump(mode="json") for r in rows]}
    if re.search(r"data|period|cover|date range|数据", text, re.IGNORECASE):
        coverage = data_period(session)
        answer = (
            f"Transactions from {coverage.first_transaction:%Y-%m-%d} to "
            f"{coverage.last_transaction:%Y-%m-%d}: {coverage.transaction_lines:,} lines from "
            f"{coverage.households:,} households."
            if coverage.first_transaction and coverage.last_transaction
            else "The database holds no transactions yet."
        )
        return {"answer": answer, "tool": "data_period", "data": coverage.model_dump(mode="json")}
    return None


# --------------------------------------------------------------------------- tool calling


def _tools(session: Session) -> dict[str, tuple[ToolSpec, Callable[..., Any]]]:
    from coupondesk.tools.queries import questions

    functions: list[Callable[..., Any]] = [
        questions.count_households_bought, questions.sales_summary, questions.top_categories,
        questions.campaign_summary, questions.retail_campaign_summary, questions.data_period,
    ]
    return {f.__name__: (ToolSpec.from_function(f), f) for f in functions}


def answer_with_tools(
    question: str, *, session: Session, llm: ChatModel, today: date, max_rounds: int = 3
) -> dict[str, Any] | None:
    """Let a capable endpoint call the query tools; its final text is the answer.

    The text is used only when it is grounded (see `grounded`); otherwise the operator is
    told the endpoint's answer was withheld, never shown a number the tools did not return.
    """
    from coupondesk.tools.llm.chat import assistant_tool_calls, tool_result

    tools = _tools(session)
    messages = [
        system(
            "You answer a retail marketing operator's question using only the tools. Today is "
            f"{today.isoformat()} (the data ends the day before). Dates are YYYY-MM-DD. "
            "Answer in one or two sentences with the numbers the tools returned; never invent "
            "a number. Catalog names are upper case, e.g. COFFEE, PRODUCE."
        ),
        user(question),
    ]
    calls_made: list[str] = []
    outputs: list[str] = []
    for _ in range(max_rounds):
        result = llm.complete_with_tools(messages, [spec for spec, _f in tools.values()])
        if not result.tool_calls:
            text = result.text.strip()
            if not text:
                return None
            if not grounded(text, question=question, tool_outputs=outputs):
                return {"answer": f"The endpoint's answer was not backed by the query results, "
                                  f"so it is not shown. {HELP}",
                        "tool": ",".join(calls_made) or None, "source": "none"}
            return {"answer": text, "tool": ",".join(calls_made) or None,
                    "source": llm.source_label}
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
                except (CoupondeskError, TypeError, ValueError) as exc:
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


def answer_question(
    question: str, *, session: Session, llm: ChatModel | None, today: date
) -> dict[str, Any]:
    """{"answer", "tool", "source", "data"?}: rules first, then tools on a capable endpoint."""
    try:
        ruled = answer_by_rules(question, session=session, today=today)
    except CoupondeskError as error:
        return {"answer": error.message, "tool": None, "source": "rules"}
    if ruled is not None:
        return {**ruled, "source": "rules"}
    if llm is not None and getattr(llm, "supports_tools", False):
        try:
            answered = answer_with_tools(question, session=session, llm=llm, today=today)
        except LLMError as error:
            return {"answer": f"The LLM endpoint failed: {error.message}. {HELP}", "tool": None,
                    "source": "none"}
        if answered is not None:
            return answered
    return {"answer": f"I cannot answer that offline. {HELP}", "tool": None, "source": "none"}
