"""A free question (EN or ZH) read by rules into a QuestionQuery, or a reasoned decline.

The reader is deliberately strict: every part of the question has to be accounted for — a
measure it knows, a window it can resolve against the data's calendar, filters it has rules
for, and product words the catalog resolves confidently. Anything left over (an unknown word,
an unplaced number, "why", "average", "per week", a brand, a comparison) declines, because
answering a nearby question is worse than saying what can be asked.

Quantities and their roles come from the planner's reader (agent/planning/parsing.py, which
uses tools/policy/quantities.py and agent/planning/markers.py), so "haven't shopped in 60 days",
"spent more than $500 in the last 90 days" and "最近30天" mean here what they mean in a
campaign request. Calendar windows ("in March", "三月份", "in 2017", "last month" as the
previous calendar month) are read here first and masked out before the planner's reader runs.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from coupondesk.agent.planning.parsing import read_request
from coupondesk.agent.planning.scope_resolution import ScopeResolver
from coupondesk.tools.language import detect_language
from coupondesk.tools.policy.quantities import find_claims
from coupondesk.tools.queries.question_query import (
    GroupBy,
    Measure,
    QueryFilters,
    QueryScope,
    QuestionQuery,
    Window,
)
from pydantic import ValidationError
from sqlalchemy.orm import Session

_I = re.IGNORECASE

CAN_ASK_EN = (
    "I can count households, baskets, sales ($), units, coupon redemptions, coupons issued or "
    "retail campaigns; for a product, category or department; in a window (last N days/weeks/"
    "months, last month, in March, in 2017); among households that are lapsed N days, active "
    "in the last N days, spent more than $X, redeemed a coupon or received a campaign; and "
    "rank categories or departments (\"top 5 categories by sales among lapsed households\"). "
    "Campaign N: \"how is campaign 3 doing?\"."
)
CAN_ASK_ZH = (
    "我可以统计：家庭数、购物篮数、销售额、销量、优惠券核销次数、已发券数、零售活动数；可限定商品/品类/部门、"
    "时间（最近N天/周/月、上个月、三月份、2017年），以及人群（超过N天未购物、最近N天活跃、消费超过X元、"
    "核销过优惠券、收到过活动）；也可以给出品类或部门排行（如“流失家庭中卖得最好的5个品类”）。"
)


LOOSE_MIN_SCORE = 0.85
"""A fuzzy or semantic catalog reading is taken only this sure ("pizza" -> FROZEN PIZZA, 0.87;
"made" -> FLORAL-FRESH CUT, 0.64, is not)."""


@dataclass(frozen=True)
class Decline:
    """A question the typed query cannot express, and why (shown with what can be asked)."""

    reason: str
    language: Literal["en", "zh"] = "en"
    kind: Literal["out_of_scope", "not_understood"] = "not_understood"
    """out_of_scope: never answered (why, predict, weather); not_understood: an endpoint may try."""


@dataclass
class _Calendar:
    window: Window
    span: tuple[int, int]


# --------------------------------------------------------------------------- declines

OUT_OF_SCOPE = re.compile(
    r"(?<![a-z])(?:why|predict\w*|forecast\w*|projected|will\s+(?:we|they|sales|revenue|it)|"
    r"going\s+to|next\s+(?:day|week|month|quarter|year)|tomorrow|future|weather|rain\w*|"
    r"temperature|recommend\w*|should|suggest\w*|advice|advise|opinion|think|best\s+time|"
    r"joke|poem|capital\s+of|who\s+(?:is|was|are)|explain|cause[sd]?)(?![a-z])"
    r"|为什么|为何|预测|预计|预估|将会|会不会|明年|下个?月|下周|下个?星期|明天|未来|天气|下雨|气温|建议|"
    r"应该|推荐|原因|怎么办|如何提高|笑话|解释",
    _I,
)
"""Questions no query answers: causes, predictions, advice, the world outside the data."""

UNSUPPORTED = re.compile(
    r"(?<![a-z])(?:average|avg|mean|median|per\s+(?:household|customer|basket|visit|day|week|"
    r"month|person|shopper)|percent(?:age)?|share|proportion|ratio|rates?|%|compare[ds]?|"
    r"comparison|versus|vs\.?|than\s+(?:last|in|the|before)|difference|grow(?:th|n)?|increase[ds]?|"
    r"decrease[ds]?|drop(?:ped)?|decline[ds]?|change[ds]?|trend\w*|each\s+(?:day|week|month)|"
    r"daily|weekly|monthly|by\s+(?:day|week|month|store|brand|age|income|weekday)|weekdays?|"
    r"weekends?|monday|tuesday|wednesday|thursday|friday|saturday|sunday|brands?|stores?|"
    r"manufacturers?|age[ds]?|income|kids?|children|married|single|homeowners?|renters?|"
    r"demographic\w*|profit\w*|margin\w*|roi|prices?|cost|new\s+customers?|first[\s-]time|"
    r"first|once|twice|times|both|except|excluding|other\s+than|but\s+not|between|since|until|"
    r"before|after|least\s+(?:popular|sold|selling)|fewest|lowest|worst|cheapest|smallest|"
    r"bottom|per\s+cent|each|every|list|names?|ids?|summer|winter|spring|autumn|fall|seasons?|"
    r"holidays?|christmas|thanksgiving|easter|halloween)(?![a-z])"
    r"|平均|人均|每户|每个|比例|占比|百分|比率|率|对比|比较|相比|增长|下降|减少|增加|趋势|变化|每天|每周|"
    r"每月|按月|按周|按天|周末|星期|品牌|门店|商店|年龄|收入|孩子|儿童|已婚|单身|利润|毛利|价格|成本|新客|"
    r"首次|第一次|两次|多次|次数最|同时|除了|但没|之间|以来|之前|之后|从|最少|最低|最差|最便宜|名单|是谁|"
    r"夏天|夏季|冬天|冬季|春天|春季|秋天|秋季|节日|节假日|春节|圣诞|只买|仅|还在|仍然|依然|再次",
    _I,
)
AT_LEAST_ONCE = re.compile(r"(?<![a-z])(?:at\s+least\s+once|one\s+or\s+more\s+times)(?![a-z])", _I)
"""Constructs the typed query has no field for: averages, shares, comparisons, time series,
demographics, brands, stores, frequency, ranges, lists of households."""


# --------------------------------------------------------------------------- measures

_HH_NOUN = (r"(?:households?|customers?|shoppers?|famil(?:y|ies)|people|buyers?|homes?|users?|"
            r"members?|clients?|redeemers?)")
GROUPING = re.compile(
    r"(?<![a-z])(?:which|top|best|biggest|largest|most|leading|rank\w*)(?![a-z]).*?"
    r"(?<![a-z])(?P<unit>categor(?:y|ies)|departments?)(?![a-z])"
    r"|(?<![a-z])(?P<unit2>categor(?:y|ies)|departments?)(?![a-z]).*?"
    r"(?<![a-z])(?:sell|sold|sales|revenue|most|best|top|biggest|popular|rank\w*)(?![a-z])",
    _I,
)
ZH_GROUPING = re.compile(
    r"(?:哪些|哪个|哪几个|哪类|哪一类|什么|排名|排行|前\s*\d+|前[一二三四五六七八九十]+)"
    r".*?(?P<unit>品类|类别|类目|类|部门)"
    r"|(?P<unit2>品类|类别|类目|部门).*?(?:最好|最多|最高|最畅销|排名|排行|前|哪些|哪个|哪几个)"
    r"|(?:卖得最好|卖得最多|最畅销|销售额最高|销量最高|最受欢迎).*?(?P<unit3>品类|类别|类目|部门)",
)
REDEMPTIONS = re.compile(
    r"how\s+many\s+(?:coupon\s+)?redemptions|number\s+of\s+(?:coupon\s+)?redemptions|"
    r"how\s+many\s+(?:coupons?|vouchers?)\s+(?:were\s+|have\s+been\s+|got\s+)?(?:redeemed|used)|"
    r"redemption\s+count|count\s+(?:the\s+)?redemptions"
    r"|核销了多少|核销(?:次数|数量|量)|兑换了多少|多少(?:张|次|个)?(?:优惠)?券(?:被)?(?:核销|兑换|使用)",
    _I,
)
COUPONS_ISSUED = re.compile(
    r"how\s+many\s+(?:coupons?|codes?|vouchers?)\s+(?:were\s+|have\s+been\s+|did\s+we\s+|have\s+we\s+)?"
    r"(?:issue[ds]?|sent|send|give|given|hand(?:ed)?\s+out|dispatch(?:ed)?|distributed)"
    r"|number\s+of\s+(?:coupons?|codes?)\s+issued"
    r"|发了多少(?:张)?(?:优惠)?券|发放了多少|发出了?多少|多少(?:张)?(?:优惠)?券(?:被)?(?:发放|发出)",
    _I,
)
CAMPAIGNS = re.compile(
    r"how\s+many\s+(?:retail\s+|historical\s+|marketing\s+|coupon\s+|past\s+)?campaigns"
    r"|number\s+of\s+(?:retail\s+)?campaigns|多少(?:个|场|次)?(?:营销|零售|历史)?活动",
    _I,
)
HOUSEHOLDS = re.compile(
    rf"how\s+many\s+(?:unique\s+|distinct\s+|different\s+|of\s+(?:the|our)\s+)?{_HH_NOUN}"
    rf"|number\s+of\s+{_HH_NOUN}|count\s+(?:the\s+)?{_HH_NOUN}|how\s+many\s+(?:have|had|did|were)"
    r"|多少\s*(?:户|个?家庭|位?顾客|个?用户|个?客户|位?会员|人|位|名)|几\s*(?:户|个家庭|位顾客|个用户)"
    r"|(?:家庭|顾客|用户|客户|会员|人)(?:数|数量|总数|一共有多少|共有多少|有多少|多少)",
    _I,
)
BASKETS = re.compile(
    r"how\s+many\s+(?:shopping\s+)?(?:baskets|trips|visits|transactions|orders)"
    r"|number\s+of\s+(?:shopping\s+)?(?:baskets|trips|visits|transactions|orders)"
    r"|多少\s*(?:个)?购物篮|多少\s*(?:笔|单)|订单(?:数|量)|购物篮(?:数|数量)|交易笔数",
    _I,
)
UNITS = re.compile(
    r"how\s+many\s+(?:units|items|packs|packages)|number\s+of\s+units|units\s+sold"
    r"|多少件|销量|卖了多少件|卖出多少件",
    _I,
)
SPEND = re.compile(
    r"(?<![a-z])(?:how\s+much|sales|sold|sell|revenue|turnover|takings|total\s+spend|"
    r"spend|spent|spending|dollars?)(?![a-z])"
    r"|销售额|营业额|销售|卖了多少|卖出|花了多少|消费了多少|消费额|消费总额|收入|多少钱",
    _I,
)
_GROUP_SPEND = re.compile(
    r"(?<![a-z])(?:sell\w*|sold|sales|revenue|turnover|spend\w*|spent|dollars?)(?![a-z])"
    r"|卖|畅销|销售|营业额|消费额|花", _I)
_GROUP_HOUSEHOLDS = re.compile(
    rf"(?<![a-z])(?:most|more|largest\s+number\s+of|number\s+of|by|count\s+of)\s+{_HH_NOUN}"
    r"(?![a-z])|(?<![a-z])"
    r"(?:popular|reach\w*)(?![a-z])|(?:家庭|顾客|用户|人)(?:数)?最多|人数|最受欢迎", _I)
_GROUP_BASKETS = re.compile(r"(?<![a-z])(?:baskets|trips|visits|orders)(?![a-z])|购物篮|订单", _I)
_GROUP_UNITS = re.compile(r"(?<![a-z])(?:units|items|quantity)(?![a-z])|销量|件数", _I)

# --------------------------------------------------------------------------- filters

PURCHASE = re.compile(
    r"(?<![a-z])(?:bought|buy|buys|buying|purchased?|purchases|purchasing|shopped|shop|shops|"
    r"shopping|ordered|order|visited|came\s+in|active)(?![a-z])"
    r"|买|购买|购物|下单|来过|光顾|活跃",
    _I,
)
NEGATED_PURCHASE = re.compile(
    r"(?<![a-z])(?:haven'?t|hasn'?t|have\s+not|has\s+not|didn'?t|did\s+not|don'?t|doesn'?t|not|"
    r"never|stopped)\s+(?:\w+\s+)?(?:bought|buy|buying|purchased?|purchasing)(?![a-z])"
    r"|(?:没|未|沒|不再|停止)(?:有)?(?:再)?(?:买|购买)",
    _I,
)
REDEEMED = re.compile(
    r"(?<![a-z])(?:redeemed|redeem|redeems|redeeming|redeemers?|used|use|using)(?![a-z])"
    r"(?:\s+(?:a|an|any|at\s+least\s+one|one|their|the))?(?:\s+\w+)?\s*(?:coupons?|vouchers?)?"
    r"|核销|兑换过?(?:优惠)?券|用过(?:优惠)?券|使用过?(?:优惠)?券|用了(?:优惠)?券",
    _I,
)
_REDEEM_WORD = re.compile(
    r"(?<![a-z])(?:redeem\w*|used|use|using)(?![a-z])|核销|兑换|用过|使用|用了", _I)
RECEIVED = re.compile(
    r"(?<![a-z])(?:received|receive|got|get|were\s+sent|targeted\s+(?:by|in|with))(?![a-z])"
    r"(?:\s+(?:a|an|any|one|the))?(?:\s+\w+)?\s+(?:campaigns?|mailers?|promotions?)"
    r"|收到过?(?:营销|零售)?活动|参与过?(?:营销|零售)?活动|参加过?(?:营销|零售)?活动",
    _I,
)
STRICT_MORE = re.compile(
    r"(?<![a-z])(?:more\s+than|over|above|exceed\w*|greater\s+than|beyond)(?![a-z])"
    r"|超过|超出|多于|大于|高于", _I)
INCLUSIVE_MORE = re.compile(
    r"(?<![a-z])(?:at\s+least|or\s+more|and\s+(?:up|above)|minimum|min)(?![a-z])"
    r"|以上|至少|不少于|不低于", _I)
LESS_THAN = re.compile(
    r"(?<![a-z])(?:less\s+than|under|below|fewer\s+than|at\s+most|up\s+to|no\s+more\s+than)"
    r"(?![a-z])|少于|低于|不到|不超过|以下|以内的消费", _I)

# --------------------------------------------------------------------------- calendar

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
_MONTHS.pop("may", None)  # "may" is also a verb; the full name is kept below
_MONTHS["may"] = 5
_MONTH_WORD = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ZH_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
           "九": 9, "十": 10, "十一": 11, "十二": 12}

EN_NAMED_MONTH = re.compile(
    rf"(?<![a-z])(?:(?:in|during|for|of)\s+)?(?:the\s+month\s+of\s+)?(?P<month>{_MONTH_WORD})"
    rf"\.?(?:\s*,?\s*(?P<year>(?:19|20)\d\d))?(?![a-z])", _I)
EN_YEAR = re.compile(r"(?<![\w$])(?:(?:in|during|for|of)\s+)?(?:the\s+year\s+)?"
                     r"(?P<year>(?:19|20)\d\d)(?![\w%])", _I)
EN_QUARTER = re.compile(
    r"(?<![a-z])(?:(?:in|during)\s+)?(?:the\s+)?(?:q(?P<q>[1-4])|(?P<qw>first|second|third|fourth)"
    r"\s+quarter)(?:\s+(?:of\s+)?(?P<year>(?:19|20)\d\d))?(?![a-z0-9])", _I)
EN_RELATIVE = re.compile(
    r"(?<![a-z])(?:(?:in|during|over|for)\s+)?(?P<which>last|this|previous)\s+"
    r"(?:calendar\s+)?(?P<unit>month|week|year|quarter)(?![a-z])"
    r"|(?<![a-z])(?P<yesterday>yesterday)(?![a-z])|(?<![a-z])(?P<today>today)(?![a-z])",
    _I)
ZH_MONTH = re.compile(
    r"(?:(?P<year>(?:19|20)\d\d)\s*年\s*|(?P<rel>去年|今年)\s*)?"
    r"(?P<month>1[0-2]|0?[1-9]|十[一二]?|[一二两三四五六七八九])"
    r"\s*月份?(?!\s*[0-9一二三四五六七八九十]+\s*[日号])")
ZH_YEAR = re.compile(r"(?P<year>(?:19|20)\d\d)\s*年(?:度)?(?!\s*\d)")
ZH_QUARTER = re.compile(r"(?:(?P<year>(?:19|20)\d\d)\s*年\s*)?第?(?P<q>[一二三四1-4])季度")
ZH_RELATIVE = re.compile(
    r"(?P<lm>上个?月|上月份)|(?P<tm>本月|这个月|当月)|(?P<ly>去年)|(?P<ty>今年|本年)|"
    r"(?P<lw>上周|上个?星期|上个?礼拜)|(?P<tw>本周|这周|这个星期)|(?P<yd>昨天)|(?P<td>今天)")


def _month_window(year: int, month: int, words: str) -> Window:
    return Window(start=date(year, month, 1),
                  end=date(year, month, calendar.monthrange(year, month)[1]), words=words)


def _recent_year(month: int, last_day: date) -> int:
    """The year of the most recent `month` that has started by the last day of the data."""
    return last_day.year if month <= last_day.month else last_day.year - 1


def _quarter_window(year: int, quarter: int, words: str) -> Window:
    first = 3 * (quarter - 1) + 1
    return Window(start=date(year, first, 1),
                  end=date(year, first + 2, calendar.monthrange(year, first + 2)[1]), words=words)


def _relative(which: str, unit: str, today: date) -> Window:
    window = _relative_span(which, unit, today)
    if window.start >= today:  # "this year" on 1 January: nothing of it is in the data yet
        return Window(start=today, end=today, words=window.words)
    return window


def _relative_span(which: str, unit: str, today: date) -> Window:
    last_day = max(today - timedelta(days=1), today.replace(day=1) if unit == "month" else (
        today - timedelta(days=today.weekday()) if unit == "week" else date(today.year, 1, 1)
        if unit == "year" else date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)))
    if unit == "month":
        if which == "this":
            return Window(start=today.replace(day=1), end=last_day, words="this month")
        first_this = today.replace(day=1)
        prev = first_this - timedelta(days=1)
        return _month_window(prev.year, prev.month, f"last month ({calendar.month_name[prev.month]}"
                                                    f" {prev.year})")
    if unit == "week":
        monday = today - timedelta(days=today.weekday())
        if which == "this":
            return Window(start=monday, end=last_day, words="this week")
        return Window(start=monday - timedelta(days=7), end=monday - timedelta(days=1),
                      words="last week (Monday to Sunday)")
    if unit == "quarter":
        quarter = (today.month - 1) // 3 + 1
        if which == "this":
            return Window(start=date(today.year, 3 * quarter - 2, 1), end=last_day,
                          words="this quarter")
        year, quarter = (today.year, quarter - 1) if quarter > 1 else (today.year - 1, 4)
        return _quarter_window(year, quarter, f"last quarter (Q{quarter} {year})")
    if which == "this":
        return Window(start=date(today.year, 1, 1), end=last_day, words="this year")
    return Window(start=date(today.year - 1, 1, 1), end=date(today.year - 1, 12, 31),
                  words=f"last year ({today.year - 1})")


def find_calendar_windows(text: str, today: date, last_day: date) -> list[_Calendar]:
    """Calendar windows the question names (named month/year/quarter, last/this month...)."""
    found: list[_Calendar] = []
    taken: list[tuple[int, int]] = []

    def add(window: Window, span: tuple[int, int]) -> None:
        if any(span[0] < end and start < span[1] for start, end in taken):
            return
        taken.append(span)
        found.append(_Calendar(window, span))

    for m in EN_RELATIVE.finditer(text):
        if m.group("yesterday"):
            add(Window(start=today - timedelta(days=1), end=today - timedelta(days=1),
                       words="yesterday"), m.span())
        elif m.group("today"):
            add(Window(start=today, end=today, words="today"), m.span())
        else:
            add(_relative(m.group("which").lower(), m.group("unit").lower(), today), m.span())
    for m in ZH_MONTH.finditer(text):
        raw = m.group("month")
        month = int(raw) if raw.isdigit() else _ZH_NUM[raw]
        year = int(m.group("year")) if m.group("year") else _recent_year(month, last_day)
        if m.group("rel"):
            year = today.year - 1 if m.group("rel") == "去年" else today.year
        add(_month_window(year, month, f"{calendar.month_name[month]} {year}"), m.span())
    for m in ZH_RELATIVE.finditer(text):
        kind = next(name for name, value in m.groupdict().items() if value)
        unit_which = {"lm": ("last", "month"), "tm": ("this", "month"), "ly": ("last", "year"),
                      "ty": ("this", "year"), "lw": ("last", "week"), "tw": ("this", "week")}
        if kind == "yd":
            add(Window(start=today - timedelta(days=1), end=today - timedelta(days=1),
                       words="yesterday"), m.span())
        elif kind == "td":
            add(Window(start=today, end=today, words="today"), m.span())
        else:
            which, unit = unit_which[kind]
            add(_relative(which, unit, today), m.span())
    for m in EN_QUARTER.finditer(text):
        quarter = int(m.group("q")) if m.group("q") else (
            ["first", "second", "third", "fourth"].index(m.group("qw").lower()) + 1)
        year = int(m.group("year")) if m.group("year") else (
            last_day.year if 3 * quarter - 2 <= last_day.month else last_day.year - 1)
        add(_quarter_window(year, quarter, f"Q{quarter} {year}"), m.span())
    for m in ZH_QUARTER.finditer(text):
        raw = m.group("q")
        quarter = int(raw) if raw.isdigit() else _ZH_NUM[raw]
        year = int(m.group("year")) if m.group("year") else (
            last_day.year if 3 * quarter - 2 <= last_day.month else last_day.year - 1)
        add(_quarter_window(year, quarter, f"Q{quarter} {year}"), m.span())
    for m in EN_NAMED_MONTH.finditer(text):
        word = m.group("month").lower()
        if word == "may" and not re.search(r"(?:in|during|for|of)\s+may", m.group(0), _I):
            continue  # "may" the verb
        if word in ("mar", "jun", "jan", "oct", "dec") and not m.group("year") and \
                not re.match(r"(?:in|during|for|of)\s", m.group(0), _I):
            continue  # an abbreviation standing alone is more likely a word than a month
        month = _MONTHS[word]
        year = int(m.group("year")) if m.group("year") else _recent_year(month, last_day)
        add(_month_window(year, month, f"{calendar.month_name[month]} {year}"), m.span())
    for m in [*EN_YEAR.finditer(text), *ZH_YEAR.finditer(text)]:
        year = int(m.group("year"))
        add(Window(start=date(year, 1, 1), end=date(year, 12, 31), words=str(year)), m.span())
    return found


# --------------------------------------------------------------------------- scope words

_EN_STOP_WORDS = """
a an the any some all our my your their his her its this that these those of in on at for to by
with from during over within into per and or nor plus as is are was were be been being do does did
done have has had having how many much what which who whom whose when where there here it they them
we us you i me total number count counted amount sum overall altogether unique distinct different
households household customers customer shoppers shopper families family people person buyers
buyer homes home users user members member clients client redeemers redeemer baskets basket trips
trip visits visit transactions transaction orders order units unit items item packs pack packages
package sales sale sold sell sells selling revenue turnover takings spend spent spending spends
dollars dollar money worth value bought buy buys buying purchased purchase purchases purchasing
shopped shop shops shopping ordered visited came come active lapsed inactive dormant churned
haven't hasn't haven hasn not no never didn't didn don't don doesn't doesn t s stopped
last past previous recent recently days day weeks week months month years year quarter quarters
ago more than over above exceed exceeding exceeded greater beyond least or at up
redeemed redeem redeems redeeming used use using coupon coupons voucher vouchers code codes
received receive got get sent targeted campaign campaigns mailer mailers promotion promotions
which categories category departments department top best biggest largest most leading ranked
rank ranking popular performing performed perform sellers seller selling-best best-selling
among between who that whose those them ones one there tell show give me please can could would
you let know find out see list so far ever anything something everything stuff products product
goods section aisle department's store-wide storewide whole entire everyone everybody in-store
grocery-wide also get's kinds kind type types
include included includes including contain contained contains containing ran run running held
launched took place happened altogether back made make makes making redemption redemptions
issue issues issuing issued given distributed handed dispatched highest greatest has database
data
"""
_EN_STOP = frozenset(_EN_STOP_WORDS.split())
_EN_WORD = re.compile(r"[A-Za-z][A-Za-z'&\-]*")

_ZH_STOP_WORDS = """
总销售额 总额 总 满 请问 一共 总共 总计 合计 共有 共 有多少户 有多少个 有多少位 有多少 多少户
多少个 多少位 多少名 多少人 多少 几户 几个 几位 几 家庭 户 顾客 用户 客户
会员 人数 人 位 名 家 购买了 购买过 购买 买过 买了 买 购物 消费 来过 来
光顾 下单 活跃 超过 以上 至少 不少于 多于 大于 高于 没有 没 未 不再 停止
流失 沉睡 不活跃 最近 过去 近 天 周 个月 月份 月 年 内 里 期间 的 了 过
在 中 是 呢 吗 啊 把 被 有 都 和 与 及 或 或者 等 这些 那些 其中 中间
当中 之中 里面 销售额 营业额 销售 卖得最好 卖得最多 卖得最 卖得 卖出 卖了 卖
最畅销 畅销 最受欢迎 受欢迎 花了 花 消费额 消费了 总额 收入 钱 元 块 美元
哪些 哪个 哪几个 哪类 哪一类 什么 品类 类别 类目 类 部门 前 排名 排行 最多
最高 最好 最大 多 高 好 大 top 核销过 核销了 核销 兑换过 兑换 优惠券 券
使用过 使用 用过 用了 用 活动 收到过 收到 参与过 参与 参加过 参加 营销 零售
次 笔 单 订单 购物篮 件 销量 数量 总数 数 份 商品 产品 东西 全店 全部 所有
各 个 张 分别 一下 统计 查询 看看 告诉我 我 我们
"""
_ZH_STOP = sorted(_ZH_STOP_WORDS.split(), key=len, reverse=True)
_ZH_SEPARATORS = re.compile(r"[\s,，、。？?！!：:；;（）()“”\"'和与及或]+")
_CJK = re.compile(r"[\u3400-\u9fff]")
_ZH_NUMERAL = re.compile(r"[一二两三四五六七八九十]+")


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            chars[i] = " "
    return "".join(chars)


def _english_phrases(masked: str) -> list[str]:
    """Runs of words that are not question, measure, filter or window words ("frozen pizza")."""
    phrases: list[str] = []
    run: list[str] = []
    position = 0
    for match in _EN_WORD.finditer(masked):
        gap = masked[position:match.start()]
        position = match.end()
        word = match.group(0)
        lowered = word.lower().strip("'-")
        if lowered.endswith("'s"):
            lowered = lowered[:-2]
        breaks = bool(re.search(r"[,;:?!.()/]", gap)) or (run and gap.count(" ") > 2)
        if breaks and run:
            phrases.append(" ".join(run))
            run = []
        if lowered in _EN_STOP or not lowered:
            if run:
                phrases.append(" ".join(run))
                run = []
            continue
        run.append(word)
    if run:
        phrases.append(" ".join(run))
    return phrases


def _chinese_phrases(masked: str) -> list[str]:
    """What is left of a Chinese question once its function words are taken out (咖啡, 冷冻披萨)."""
    text = masked
    for word in _ZH_STOP:
        text = text.replace(word, " ")
    leftovers = [part for part in _ZH_SEPARATORS.split(text) if part.strip()]
    phrases: list[str] = []
    for part in leftovers:
        if _CJK.search(part):
            phrases.append(part)
        else:
            phrases += _english_phrases(part)
    return phrases


# --------------------------------------------------------------------------- the reader


@dataclass
class _Reading:
    text: str
    language: Literal["en", "zh"]
    today: date
    first_day: date
    last_day: date
    default_lapsed_days: int
    notes: list[str] = field(default_factory=list)

    def decline(self, reason: str, zh: str, kind: Literal["out_of_scope", "not_understood"]
                = "not_understood") -> Decline:
        return Decline(reason=zh if self.language == "zh" else reason, language=self.language,
                       kind=kind)


def _measure(text: str) -> tuple[Measure, GroupBy | None] | None:
    grouping = GROUPING.search(text) or ZH_GROUPING.search(text)
    if grouping:
        unit = next((v for k, v in grouping.groupdict().items() if k.startswith("unit") and v),
                    "").lower()
        group: GroupBy = "department" if unit.startswith("department") or unit == "部门" else (
            "category")
        if _GROUP_BASKETS.search(text):
            return "baskets", group
        if _GROUP_UNITS.search(text):
            return "units", group
        if _GROUP_HOUSEHOLDS.search(text) and not _GROUP_SPEND.search(text):
            return "households", group
        return "spend", group
    for pattern, measure in ((REDEMPTIONS, "redemptions"), (COUPONS_ISSUED, "coupons_issued"),
                             (CAMPAIGNS, "campaigns"), (HOUSEHOLDS, "households"),
                             (BASKETS, "baskets"), (UNITS, "units"), (SPEND, "spend")):
        if pattern.search(text):
            return measure, None  # type: ignore[return-value]
    return None


def _top_n(text: str, facts_size: int | None, group: GroupBy | None) -> int | None:
    if group is None:
        return None
    if facts_size is not None:
        return facts_size
    zh = re.search(r"前\s*(\d+|[一二两三四五六七八九十]+)", text) or re.search(
        r"(\d+|[一二两三四五六七八九十]+)\s*个\s*(?:\S{0,6}的)?(?:品类|类别|类目|部门)", text)
    if zh:
        raw = zh.group(1)
        return int(raw) if raw.isdigit() else _ZH_NUM.get(raw)
    en = re.search(r"(?<![a-z])top\s+(\d+|one|two|three|four|five|six|seven|eight|nine|ten)"
                   r"(?![a-z])", text, _I) or re.search(
        r"(?<![a-z])(\d+|two|three|four|five|six|seven|eight|nine|ten)\s+(?:[\w-]+\s+){0,2}?"
        r"(?:categories|departments)(?![a-z])", text, _I)
    if en:
        words = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
        raw = en.group(1).lower()
        return int(raw) if raw.isdigit() else words.index(raw) + 1
    singular = re.search(r"(?<![a-z])(?:category|department)(?![a-z])", text, _I) and not \
        re.search(r"(?<![a-z])(?:categories|departments)(?![a-z])", text, _I)
    if singular or re.search(r"哪个|哪一类|最.{0,4}(?:的)?(?:品类|部门)$", text):
        return 1
    return 5


_AND = re.compile(r"(?<![a-z])and(?![a-z])|&|和|与|及|跟|还有", _I)
_ACTIVE_WORD = re.compile(r"(?<![a-z])active(?![a-z])|活跃", _I)
_NEGATION = re.compile(
    r"(?<![a-z])(?:no|not|never|without|none|nobody|nothing)(?![a-z])|n't|没|未|不|无", _I)
_COUPON_WORD = re.compile(r"(?<![a-z])(?:coupons?|vouchers?|codes?)(?![a-z])|券", _I)
_CAMPAIGN_WORD = re.compile(
    r"(?<![a-z])(?:campaigns?|mailers?|promotions?|promos?)(?![a-z])|活动", _I)
_BARE_COMPARATIVE = re.compile(
    r"(?<![a-z])(?<!or\s)(?:more|less|fewer)(?![a-z])(?!\s+than)", _I)
_RANK_WORD = re.compile(
    r"(?<![a-z])(?:top|best|biggest|largest|most|highest|leading|greatest)(?![a-z])"
    r"|最(?!近)|排名|排行", _I)


def _unconsumed(
    masked: str, measure: Measure, group_by: GroupBy | None, active_days: int | None,
    lapsed: int | None, redeemed: bool, received: bool,
) -> tuple[str, str] | None:
    """A meaning-bearing word no field took ("active" without days, "no", "coupon", "top"):
    dropping it would answer a nearby question, so the question is declined instead."""
    if _ACTIVE_WORD.search(masked) and active_days is None:
        return ("\"active\" needs a number of days (\"active in the last 30 days\")",
                "“活跃”需要给出天数（如“最近30天活跃”）")
    if _NEGATION.search(masked) and lapsed is None:
        return ("a negation can be asked only as \"no purchase in the last N days\"",
                "否定条件只支持“超过N天没有购物”")
    if _COUPON_WORD.search(masked) and not redeemed and measure not in (
            "redemptions", "coupons_issued"):
        return ("coupons can be asked as \"redeemed a coupon\", redemptions or coupons issued",
                "优惠券只支持“核销过优惠券”、核销次数或发券数")
    if _CAMPAIGN_WORD.search(masked) and not received and measure != "campaigns":
        return ("campaigns can be asked as \"received a campaign\" or a number of campaigns",
                "活动只支持“收到过活动”或活动数")
    if _BARE_COMPARATIVE.search(masked):
        return ("\"more\"/\"less\" needs \"than\" and an amount (\"spent more than $500\")",
                "“更多/更少”需要给出金额（如“消费超过500元”）")
    if _RANK_WORD.search(masked) and group_by is None:
        return ("a ranking needs categories or departments (\"top 5 categories by sales\")",
                "排名需要按品类或部门（如“销售额前5的品类”）")
    return None


def _days_window(days: int, today: date, words: str, first_day: date | None = None) -> Window:
    start = today - timedelta(days=days)
    if first_day is not None and start < first_day:
        start, words = first_day, f"{words}; the data starts {first_day}"
    return Window(start=start, end=today - timedelta(days=1), words=words)


def read_question(
    question: str, *, session: Session, today: date, first_day: date,
    default_lapsed_days: int = 30,
) -> QuestionQuery | Decline:
    """The typed reading of a question, or a Decline saying why it cannot be expressed."""
    text = AT_LEAST_ONCE.sub(lambda m: " " * len(m.group(0)), question.strip())
    language = detect_language(text)
    reading = _Reading(text, language, today, first_day, today - timedelta(days=1),
                       default_lapsed_days)
    if OUT_OF_SCOPE.search(text):
        return reading.decline("it asks for a cause, a prediction, advice or something outside "
                               "the data", "问的是原因、预测、建议或数据以外的事", "out_of_scope")
    unsupported = UNSUPPORTED.search(text)
    if unsupported:
        return reading.decline(f"\"{unsupported.group(0).strip()}\" is not something the query "
                               "can express", f"查询无法表达“{unsupported.group(0).strip()}”")
    if LESS_THAN.search(text):
        return reading.decline("only \"more than\" spend filters can be asked",
                               "消费条件只支持“超过/至少”")
    measured = _measure(text)
    if measured is None:
        return reading.decline("it does not say what to count", "没有说明要统计什么")
    measure, group_by = measured

    calendars = find_calendar_windows(text, today, reading.last_day)
    if len(calendars) > 1:
        return reading.decline("it names more than one period", "问题里有不止一个时间段")
    masked = _mask(text, [c.span for c in calendars])
    facts = read_request(masked)
    if facts.asks or facts.unsupported or facts.offer_value is not None or facts.budget:
        return reading.decline("some of its numbers have no role in a question",
                                   "问题中有数字无法对应到查询条件")
    claims = find_claims(masked)
    durations = sum(1 for c in claims if c.kind == "duration_days")
    placed = sum(v is not None for v in (facts.lapsed_days, facts.active_days,
                                        facts.spend_window_days))
    monies = sum(1 for c in claims if c.kind in ("min_spend", "money", "amount_off", "budget"))
    others = [c for c in claims if c.kind in ("other_number", "count", "deadline", "percent_off",
                                              "other_discount")]
    if durations != placed or monies != (facts.audience_min_spend is not None):
        return reading.decline("some of its numbers have no role in a question",
                                   "问题中有数字无法对应到查询条件")
    top_size = _top_n(text, facts.max_size, group_by)
    if any(c.value != top_size for c in others if c.kind in ("other_number", "count")) or any(
            c.kind not in ("other_number", "count") for c in others):
        return reading.decline("some of its numbers have no role in a question",
                                   "问题中有数字无法对应到查询条件")
    if facts.max_size is not None and group_by is None:
        return reading.decline("a top-N needs categories or departments to rank",
                               "前N名需要按品类或部门排名")

    purchase = bool(PURCHASE.search(masked))
    filters = QueryFilters()
    window: Window | None = calendars[0].window if calendars else None
    if window is not None and window.start >= today:
        return reading.decline(f"the data ends on {reading.last_day}; {window.words} has no data",
                               f"数据截至 {reading.last_day}，该时间段没有数据")
    if window is not None and (window.end < first_day):
        return reading.decline(f"the data covers {first_day} to {reading.last_day}; "
                               f"{window.words} is outside it",
                               f"数据覆盖 {first_day} 至 {reading.last_day}，该时间段不在其中")
    if window is not None and window.end > reading.last_day:
        window = window.model_copy(update={"end": reading.last_day,
                                           "words": f"{window.words}, to {reading.last_day}"})
    if window is not None and window.start < first_day:
        window = window.model_copy(update={"start": first_day,
                                           "words": f"{window.words}, from {first_day}"})

    lapsed = facts.lapsed_days
    if lapsed is None and facts.lapsed_mentioned:
        lapsed = default_lapsed_days
        reading.notes.append(f"流失 = 最近{lapsed}天没有购物（政策默认值）" if language == "zh" else
                             f"lapsed = no purchase in the last {lapsed} days (policy default)")
    if facts.active_days is not None:
        days = facts.active_days
        rolling = _days_window(days, today, f"the last {days} days", first_day)
        if window is None and measure != "campaigns":
            window = rolling
        else:
            filters.active_days = days
    redeemed = bool(REDEEMED.search(masked)) and bool(_REDEEM_WORD.search(masked)) and \
        measure != "redemptions"
    received = bool(RECEIVED.search(masked))

    # The one window belongs to the measure, unless the question counts households by a filter
    # alone ("how many redeemed a coupon in 2017?", "spent more than $500 in March?").
    window_to_filter = measure == "households" and not purchase and group_by is None
    if facts.audience_min_spend is not None and purchase and (
            calendars or facts.active_days is not None or facts.spend_window_days is not None):
        return reading.decline("it is unclear whether the period is the purchase's or the "
                               "spend's; ask one of them",
                               "不清楚时间段属于购买还是消费金额条件，请分开问")
    if facts.audience_min_spend is not None:
        filters.min_spend = facts.audience_min_spend
        filters.min_spend_inclusive = not STRICT_MORE.search(masked) or bool(
            INCLUSIVE_MORE.search(masked))
        if facts.spend_window_days is not None:
            filters.spend_window = _days_window(facts.spend_window_days, today,
                                                f"the last {facts.spend_window_days} days",
                                                first_day)
        elif window is not None and window_to_filter:
            filters.spend_window, window = window, None
    if redeemed:
        filters.redeemed_coupon = True
        if window is not None and window_to_filter and filters.spend_window is None:
            filters.redeemed_window, window = window, None
    if received:
        filters.received_campaign = True
        if window is not None and window_to_filter and not filters.redeemed_window:
            filters.received_window, window = window, None

    guard = _unconsumed(masked, measure, group_by, facts.active_days, lapsed, redeemed, received)
    if guard is not None:
        return reading.decline(*guard)
    unquantified = _mask(masked, [c.span for c in claims])
    scope_phrases = (_chinese_phrases(unquantified) if language == "zh"
                     else _english_phrases(unquantified))
    if group_by is not None and top_size is not None:  # "三个部门": the numeral is the top-N
        scope_phrases = [p for p in scope_phrases if not _ZH_NUMERAL.fullmatch(p)]
    scope = QueryScope()
    resolver = ScopeResolver(session)
    for phrase in scope_phrases:
        part = resolver.phrase(phrase, strict=True)
        if not part.resolved and len(phrase.split()) <= 2:  # a loose reading of a short phrase
            matches = resolver.lookup(phrase, semantic=True)
            if matches and matches[0].score >= LOOSE_MIN_SCORE:
                part = resolver.phrase(phrase)
        if not part.resolved:
            return reading.decline(f"\"{phrase}\" is not a product, category or department "
                                   "of the catalog, nor a part of a question I can read",
                                   f"“{phrase}”不是目录中的商品、品类或部门，也不是我能读懂的问题成分")
        scope.phrases.append(phrase)
        scope.departments += [d for d in part.departments if d not in scope.departments]
        scope.categories += [c for c in part.categories if c not in scope.categories]
        if part.note:
            scope.notes.append(part.note)
    if (redeemed or received) and not scope.empty and not purchase and measure == "households":
        return reading.decline("coupon and campaign filters are about households, not products; "
                               "ask e.g. \"households that redeemed a coupon and bought coffee\"",
                               "核销/活动条件针对家庭而非商品，请问“核销过优惠券且买过咖啡的家庭”")
    filter_match = REDEEMED.search(masked) if redeemed else None
    filter_match = filter_match or (RECEIVED.search(masked) if received else None)
    if filter_match and window is not None and calendars and (
            0 <= calendars[0].span[0] - filter_match.start() - len(filter_match.group(0).rstrip())
            <= 12):
        return reading.decline("it is unclear whether the period belongs to the coupon/campaign "
                               "filter or to what is counted",
                               "不清楚时间段属于核销/活动条件还是统计对象")
    if lapsed is not None:
        filters.lapsed_days = lapsed
        if NEGATED_PURCHASE.search(masked) and not scope.empty:
            filters.lapsed_from_scope = True
    elif NEGATED_PURCHASE.search(masked):
        return reading.decline("\"did not buy\" can be asked with a number of days only",
                               "“没有买”需要给出天数")
    if measure in ("households", "baskets") and len(scope.phrases) > 1 and _AND.search(masked):
        return reading.decline("\"X and Y\" could mean both or either; ask \"X or Y\"",
                               "“X和Y”可能指同时买或任一，请用“或”")
    if measure == "units" and scope.empty:
        return reading.decline("units need a product, category or department (storewide units "
                               "add up unlike things)", "销量需要指定商品、品类或部门")
    try:
        query = QuestionQuery(
            measure=measure, scope=scope, window=window, filters=filters, group_by=group_by,
            top_n=top_size, language=language, notes=reading.notes,
        )
    except ValidationError as error:
        problem = error.errors()[0]["msg"].removeprefix("Value error, ")
        return reading.decline(problem, f"查询无法表达：{problem}")
    return query
