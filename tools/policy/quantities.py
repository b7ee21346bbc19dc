"""Quantities in English and Chinese text: the one reader of numbers for guardrails and planner.

Both the copy checker ("does this text state exactly the offer's terms?") and the campaign
planner ("25 percent off cookies ... budget 1.2k, valid five days") need the same reading of
numbers, so it lives here once. It is a span scanner: every number in the text becomes a
`Claim` with a kind (percent_off, amount_off, min_spend, duration_days, ...), a value, and the
span it came from. The copy checker relies on one property above all: *every* number atom
(digits, English number words, Chinese numerals before a unit) ends up in some claim, and
atoms the scanner cannot place become `other_number` claims, so nothing numeric slips past.

How it works: text is NFKC-normalised character by character (full-width digits, ％, ￥;
zero-width characters removed) while keeping a map back to the original offsets. Number
atoms are found and then masked with same-length placeholders, so the claim rules are plain
regular expressions over the masked text ("N%", "N折", "$N", "N days", "满N减N") whose
matches map straight back to atoms and to the original spans.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

ClaimKind = Literal[
    "percent_off",  # 15% off, fifteen percent, 85折 (value: percent off, 15)
    "amount_off",  # $3 off, save $3, 减3元 (value: currency units)
    "min_spend",  # spend $25, orders over $25, 满25; value 0 = "no minimum" / 无门槛
    "duration_days",  # 7 days, one week, a fortnight, 两周 (value: days; hours are fractions)
    "budget",  # budget $800, $2,000 budget, 预算3000元
    "money",  # any other amount of money: a price, a prize
    "count",  # 300 households, 600人
    "deadline",  # a validity stated otherwise: today only, ends Sunday, 本周, 3月5日
    "other_discount",  # another mechanism: BOGO, 买一送一, cash back, per every $25, 每满
    "other_number",  # any number the scanner could not place (7UP, 24/7, 1st, two ways)
]

DISCOUNT_KINDS: frozenset[str] = frozenset({"percent_off", "amount_off"})


@dataclass(frozen=True)
class Claim:
    """One quantity stated in a text; `span` indexes the original (un-normalised) text."""

    kind: ClaimKind
    value: float | None
    span: tuple[int, int]
    raw: str
    approximate: bool = False
    """A hedged quantity: "at least 12% off", "8折起", "about 5 days", "100+ days", "5天左右"."""


# --------------------------------------------------------------------------- normalisation

_PUNCT_MAP = {
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2044": "/",
    "\u00a0": " ", "\u3000": " ",
}


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """NFKC per character, format characters dropped; offsets[i] = original index of char i.

    The list has one extra entry (len(text)) so an end offset maps too. Per-character NFKC is
    what lets spans found in the normalised text point back into the operator's text.
    """
    chars: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        if unicodedata.category(char) == "Cf":  # zero-width space/joiners, bidi marks
            continue
        for out in unicodedata.normalize("NFKC", char):
            chars.append(_PUNCT_MAP.get(out, out))
            offsets.append(index)
    offsets.append(len(text))
    return "".join(chars), offsets


def normalize_text(text: str) -> str:
    """The normalised form the scanner reads (full-width to ASCII, zero-width removed)."""
    return normalize_with_offsets(text)[0]


# --------------------------------------------------------------------------- number parsing

_EN_SMALL = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}
_EN_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}
_EN_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_EN_NUMBER_WORDS = {**_EN_SMALL, **_EN_TENS, **_EN_SCALES, "dozen": 12}

_ZH_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "貳": 2, "两": 2, "兩": 2, "三": 3,
    "叁": 3, "參": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "陸": 6, "七": 7,
    "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9,
}
_ZH_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_ZH_BIG = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}
_ZH_NUMERAL_CHARS = "".join([*_ZH_DIGITS, *_ZH_UNITS, *_ZH_BIG, "点", "點"])

_DIGIT_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 10**9}
_CHAR_SCALES = {"k": 1000, "K": 1000, "万": 10_000, "萬": 10_000, "千": 1000}
_DIGIT_NUMBER = re.compile(
    r"(?P<num>\d+(?:,\d{3})+(?:\.\d+)?|\d*\.\d+|\d+)"
    # "$1.5 million", "2 thousand": a scale word after digits is part of the number (else
    # "save $2 thousand" would read as $2 and a budget of "$1.5 million" as $1.50)
    r"(?P<mult>[kK](?![A-Za-z])|万|萬|千|(?i:(?:\s*(?:hundred|thousand|million|billion))+)"
    r"(?![A-Za-z]))?"
    r"(?P<plus>\+)?"
)


def _en_words_value(words: list[str]) -> float | None:
    """Value of a run of English number words ("twenty five", "one hundred and fifty").

    Returns None for runs that are not one number ("five six"); callers then split them.
    """
    total = 0
    current = 0
    last: str | None = None
    seen = False
    for word in words:
        if word == "and":
            if last not in _EN_SCALES:
                return None
            continue
        if word in _EN_SMALL or word in _EN_TENS:
            value = _EN_SMALL.get(word, _EN_TENS.get(word, 0))
            small = current % 100
            tens_then_unit = (
                last in _EN_TENS and word in _EN_SMALL and value < 10 and small % 10 == 0
            )
            starts_group = last is None or last in _EN_SCALES or last == "dozen"
            if not (tens_then_unit or starts_group):
                return None
            current += value
        elif word == "dozen":
            current = (current or 1) * 12
        elif word == "hundred":
            if last is None or last in _EN_SCALES:
                return None
            current *= 100
        elif word in ("thousand", "million"):
            if last is None or last in ("thousand", "million"):
                return None
            total += (current or 1) * _EN_SCALES[word]
            current = 0
        else:
            return None
        last = word
        seen = True
    return float(total + current) if seen else None


def _zh_numeral_value(numeral: str) -> tuple[float, str] | None:
    """Value of a Chinese numeral and its digit string ("八五" -> 85, "85"; "八点五" -> 8.5).

    A run of bare digit characters without 十/百/千 is read digit by digit, as in 八五折 or
    九五折; the digit string is kept because 折 depends on how the number was written.
    """
    if not numeral:
        return None
    for point in ("点", "點"):
        if point in numeral:
            whole, _, fraction = numeral.partition(point)
            head = _zh_numeral_value(whole)
            if head is None or not fraction or any(c not in _ZH_DIGITS for c in fraction):
                return None
            decimals = "".join(str(_ZH_DIGITS[c]) for c in fraction)
            text = f"{head[1]}.{decimals}"
            return float(text), text
    if all(c in _ZH_DIGITS for c in numeral):
        digits = "".join(str(_ZH_DIGITS[c]) for c in numeral)
        return float(int(digits)), str(int(digits))
    total = 0
    section = 0
    number = 0
    pending_digit = False
    for char in numeral:
        if char in "零〇":  # a placeholder inside 一百零五
            number = 0
            pending_digit = False
            continue
        if char in _ZH_DIGITS:
            if pending_digit:  # 二三百: two digits in a row inside a structured numeral
                return None
            number = _ZH_DIGITS[char]
            pending_digit = True
        elif char in _ZH_UNITS:
            unit = _ZH_UNITS[char]
            section += (number if pending_digit else 1) * unit
            number = 0
            pending_digit = False
        elif char in _ZH_BIG:
            section += number
            total += (section or 1) * _ZH_BIG[char]
            section = 0
            number = 0
            pending_digit = False
        else:
            return None
    value = total + section + number
    return float(value), str(value)


def _digit_value(match: re.Match[str]) -> tuple[float, str]:
    digits = match.group("num").replace(",", "")
    value = float(digits)
    mult = match.group("mult") or ""
    if mult in _CHAR_SCALES:
        return value * _CHAR_SCALES[mult], digits
    for word in mult.lower().split():
        value *= _DIGIT_SCALES[word]
    return value, digits


def parse_number(text: str) -> float | None:
    """The number a whole string states: "1,500", "1.2k", "fifteen", "a dozen", "两", "三千"."""
    norm = normalize_text(text).strip().lower()
    if not norm:
        return None
    match = _DIGIT_NUMBER.fullmatch(norm)
    if match:
        return _digit_value(match)[0]
    zh = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([万萬千])", norm)
    if zh:
        return float(zh.group(1)) * {"万": 10_000, "萬": 10_000, "千": 1000}[zh.group(2)]
    if all(c in _ZH_NUMERAL_CHARS for c in norm):
        parsed = _zh_numeral_value(norm)
        return parsed[0] if parsed else None
    if norm in ("half", "半"):
        return 0.5
    words = re.split(r"[\s-]+", norm)
    if words[0] in ("a", "an") and len(words) > 1:
        words = ["one", *words[1:]] if words[1] not in ("couple", "pair") else words[1:]
    if words[:1] in (["couple"], ["pair"]):
        return 2.0 if words[1:] in ([], ["of"]) else None
    return _en_words_value(words)


# --------------------------------------------------------------------------- number atoms

_UNIT_WORDS = (
    r"days?|weeks?|fortnights?|months?|hours?|years?|nights?|dollars?|bucks?|dozen|hundred|"
    r"thousand|million|percent|per\s*cent|cents?|quarters?"
)
_NUMBER_WORD = "|".join(sorted(_EN_NUMBER_WORDS, key=len, reverse=True))
_EN_RUN = re.compile(
    r"(?<![A-Za-z])(?:(?:a|an)\s+(?=(?:hundred|thousand|million|dozen)\b))?"
    rf"(?:{_NUMBER_WORD})(?:(?:\s+|-)(?:and\s+)?(?:{_NUMBER_WORD}))*(?![A-Za-z])",
    re.IGNORECASE,
)
_EN_ONE_BEFORE_UNIT = re.compile(
    rf"(?<![A-Za-z])(?:a|an|one)(?=(?:\s+|-)(?:(?:single|full|whole)\s+)?(?:{_UNIT_WORDS})"
    r"(?![A-Za-z]))",
    re.IGNORECASE,
)
_EN_LAST_PERIOD = re.compile(
    r"(?<![A-Za-z])(?:last|past|previous)(?=\s+(?:week|fortnight|month|year)(?![A-Za-z]))",
    re.IGNORECASE,
)
_EN_COUPLE = re.compile(
    rf"(?<![A-Za-z])(?:a\s+)?couple(?:\s+of)?(?=\s+(?:{_UNIT_WORDS})(?![A-Za-z]))",
    re.IGNORECASE,
)
_ZH_RUN = re.compile(f"[{re.escape(_ZH_NUMERAL_CHARS)}]+")
_ZH_UNIT_AFTER = re.compile(
    r"\s*个?\s*(?:天|日|周|週|星期|礼拜|禮拜|月|小时|小時|钟头|鐘頭|分钟|分鐘|年|元|块|塊|圆|圓|"
    r"角|毛|分钱|折|人|位|名|户|戶|家庭|件|次|%|成|倍|岁|号|號|点|點|张|張|份|盒|瓶|袋|斤|公斤|克|升)"
)
_ZH_HALF = re.compile(r"半(?=\s*个?\s*(?:月|小时|小時|天|周|週|星期|钟头|鐘頭))")
_ZH_CONTEXT_BEFORE = re.compile(r"(?:满|滿|减|減|预算|預算|百分之|最多|至少|超过|超過|前)\s*$")


@dataclass
class _Atom:
    start: int
    end: int
    value: float
    digits: str
    plus: bool = False


def _find_atoms(norm: str) -> list[_Atom]:
    """Every number in the normalised text, longest first where candidates overlap."""
    candidates: list[_Atom] = []
    for match in _DIGIT_NUMBER.finditer(norm):
        value, digits = _digit_value(match)
        candidates.append(
            _Atom(match.start(), match.end(), value, digits, plus=bool(match.group("plus")))
        )
    for match in _EN_RUN.finditer(norm):
        words = [w.lower() for w in re.split(r"[\s-]+", match.group(0))]
        if words[0] in ("a", "an"):
            words = ["one", *words[1:]]
        start = match.start()
        run_value = _en_words_value(words)
        if run_value is not None:
            if words in (["one"], ["zero"]) and not _EN_ONE_BEFORE_UNIT.match(
                norm, match.start()
            ):
                continue  # "one of our favourites", "no one": not a quantity
            candidates.append(_Atom(start, match.end(), run_value, _plain(run_value)))
            continue
        # not one number ("five six"): one atom per word
        for word_match in re.finditer(r"[A-Za-z]+", match.group(0)):
            word = word_match.group(0).lower()
            if word in ("and", "one", "zero", "a", "an"):
                continue
            single = _en_words_value([word])
            if single is not None:
                s = start + word_match.start()
                candidates.append(_Atom(s, s + len(word), single, _plain(single)))
    for match in _EN_ONE_BEFORE_UNIT.finditer(norm):
        candidates.append(_Atom(match.start(), match.end(), 1.0, "1"))
    for match in _EN_LAST_PERIOD.finditer(norm):  # "in the past month" = 1 month
        candidates.append(_Atom(match.start(), match.end(), 1.0, "1"))
    for match in _EN_COUPLE.finditer(norm):
        candidates.append(_Atom(match.start(), match.end(), 2.0, "2"))
    for match in _ZH_HALF.finditer(norm):
        candidates.append(_Atom(match.start(), match.end(), 0.5, "0.5"))
    for match in _ZH_RUN.finditer(norm):
        numeral, end = match.group(0), match.end()
        if numeral[-1] in "点點":  # 八点 (eight o'clock): the numeral is 八, 点 is its unit
            numeral, end = numeral[:-1], end - 1
        parsed = _zh_numeral_value(numeral)
        if parsed is None:
            continue
        unit_follows = _ZH_UNIT_AFTER.match(norm, end)
        context = _ZH_CONTEXT_BEFORE.search(norm, 0, match.start())
        if unit_follows or context:
            candidates.append(_Atom(match.start(), end, parsed[0], parsed[1]))
    candidates.sort(key=lambda a: (a.start, -(a.end - a.start)))
    atoms: list[_Atom] = []
    for atom in candidates:
        if atoms and atom.start < atoms[-1].end:
            continue
        atoms.append(atom)
    return atoms


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# --------------------------------------------------------------------------- claim rules

_A = "\ue000"  # first char of a masked atom
_F = "\ue001"  # the rest of a masked atom
N = f"{_A}{_F}*"
_FLAGS = re.IGNORECASE

_DAY_UNITS: list[tuple[str, float]] = [
    (r"fortnights?", 14),
    (r"days?|day's|days'", 1),
    (r"weeks?|wks?", 7),
    (r"months?|mos?", 30),
    (r"years?|yrs?", 365),
    (r"hours?|hrs?", 1 / 24),
    (r"minutes?|mins?", 1 / 1440),
    (r"个星期|個星期|个礼拜|個禮拜|星期|礼拜|禮拜|周|週", 7),
    (r"个月|個月", 30),
    (r"个小时|個小時|小时|小時|个钟头|個鐘頭|钟头|鐘頭", 1 / 24),
    (r"分钟|分鐘", 1 / 1440),
    (r"天|日", 1),
    (r"年", 365),
]
_DAY_UNIT = "|".join(f"(?:{unit})" for unit, _ in _DAY_UNITS)
_DURATION = re.compile(
    rf"({N})(?:\s+(?:single|full|whole))?\s*-?\s*(?P<unit>{_DAY_UNIT})(?![A-Za-z])"
    r"(?P<half>\s+and\s+a\s+half|半)?",
    _FLAGS,
)
_CURRENCY_BEFORE = r"(?:US\s*\$|\$|USD\s*|¥|RMB\s*|CNY\s*)"
_CURRENCY_AFTER = (
    r"(?:\$|dollars?|bucks?|usd(?![A-Za-z])|yuan|rmb(?![A-Za-z])|元钱?|块钱?|塊錢?|圆|圓)"
)
_CURRENCY_WORD = _CURRENCY_AFTER.replace("\\$|", "", 1)
_MONEY = re.compile(
    rf"{_CURRENCY_BEFORE}\s*(?P<a>{N})(?:\s*{_CURRENCY_WORD})?"
    rf"|(?P<b>{N})\s*{_CURRENCY_AFTER}"
    rf"|(?P<c>{N})\s*(?:cents?(?![A-Za-z])|¢|分钱|分錢)",
    _FLAGS,
)
_PERCENT = re.compile(
    rf"(?:百分之\s*(?P<a>{N}))|(?:(?P<b>{N})\s*-?\s*(?:%|percent(?![A-Za-z])|per\s*cent(?![A-Za-z])"
    rf"|pct(?![A-Za-z])|个百分点))(?:\s*(?:off(?![A-Za-z])|discount(?![A-Za-z])|折扣))?",
    _FLAGS,
)
_ZHE = re.compile(rf"(?:打\s*)?({N})\s*折(?!扣)", _FLAGS)
_FRACTION_OFF = re.compile(rf"({N})\s*/\s*({N})\s*(?:off|price)(?![A-Za-z])", _FLAGS)
_HALF_OFF = re.compile(r"(?<![A-Za-z])half[\s-]*(?:price|off)(?![A-Za-z])|半价|半價", _FLAGS)
_COUNT = re.compile(
    rf"({N})\s*(?:(?:[A-Za-z]+\s+){{0,2}}?(?:people|persons?|customers?|households?|shoppers?|"
    r"users?|members?|famil(?:y|ies)|buyers?|spenders?|recipients?|fans?|regulars?|homes?|"
    r"winners?|guests?)(?![A-Za-z])|个?\s*(?:人|位|名|户|戶|家庭|用户|用戶|顾客|顧客|客户|客戶|会员|會員))",
    _FLAGS,
)
_DATE = re.compile(
    rf"{N}\s*月\s*{N}\s*[日号號]?|(?<!个)(?<!個){N}\s*月(?!\s*[内內])|{N}\s*[号號]"
    rf"|{N}\s*/\s*{N}(?:\s*/\s*{N})?|{N}\s*:\s*{N}|{N}\s*(?:am|pm|a\.m\.|p\.m\.)(?![A-Za-z])"
    rf"|{N}\s*点(?:钟|前|之前)",
    _FLAGS,
)
_ORDINAL = re.compile(rf"{N}\s*(?:st|nd|rd|th)(?![A-Za-z])", _FLAGS)
_MULTIBUY = re.compile(
    rf"(?<![A-Za-z])buy\s+(?:{N}|one|a|an)\s+(?:get|and\s+get)\s+(?:{N}|one|a|an|the\s+second)"
    rf"|[买買]\s*(?:{N}|[一二两兩三四五六七八九十])\s*(?:件|个|個|瓶|盒|袋|份|张|張)?\s*[送赠贈]"
    rf"\s*(?:{N}|[一二两兩三四五六七八九十])"
    rf"|第\s*(?:{N}|[一二两兩三四五六七八九十])\s*(?:件|个|個|份|瓶|盒)",
    _FLAGS,
)
_N_FOR_N = re.compile(rf"{N}\s*-?\s*for\s*-?\s*(?:{N}|\$\s*{N})", _FLAGS)
_NO_MINIMUM = re.compile(
    r"(?<![A-Za-z])no[\s-]+(?:minimum|min\.?)(?:[\s-]+(?:purchase|spend|spending|order|basket))?"
    r"(?:\s+(?:required|needed|necessary))?(?![A-Za-z])"
    r"|(?<![A-Za-z])no\s+(?:purchase|spend|spending|order)\s+minimum(?![A-Za-z])"
    rf"|(?:无|無|零|不设|不設|没有|沒有|{N})\s*(?:使用)?\s*门槛|(?:无|無)\s*(?:使用)?\s*門檻"
    r"|(?:无|無)最低消费|(?:无|無)最低消費|不限金额|不限金額",
    _FLAGS,
)
_OTHER_DISCOUNT = re.compile(
    r"(?<![A-Za-z])(?:bogo|(?:second|third)\s+(?:items?|ones?|box(?:es)?|packs?|bags?|bottles?|"
    r"loa(?:f|ves)|cans?|jars?|purchases?|orders?|units?|products?)|cash\s*back|cashback|rebates?|rain\s*checks?|price\s+match(?:ing)?"
    r"|(?:double|triple|bonus|extra)\s+points|on\s+sale|clearance|markdowns?|price\s+(?:drop|cut)s?"
    r"|(?:extra|additional|bonus|more|further|double|triple|stackable)\s+"
    r"(?:savings?|discounts?|deals?|offers?|coupons?|rewards?))(?![A-Za-z])"
    r"|返现|返現|返利|返券|积分|積分|加倍|双倍|雙倍|满赠|滿贈|满送|滿送|赠品|贈品|额外|額外|再减|再減"
    r"|再享|再打|叠加|疊加|加码|加碼|特价|特價|清仓|清倉|降价|降價|会员价|會員價|秒杀|秒殺|折上折"
    r"|到手价|到手價|限量",
    _FLAGS,
)
_WEEKDAYS = r"monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_MONTHS = (
    r"january|february|march|april|june|july|august|september|october|november|december"
)
_DEADLINE = re.compile(
    rf"(?<![A-Za-z])(?:ends?|ending|expires?|expiring|until|till|til|through|thru|by|before|"
    rf"valid|good|only|on)\s+(?:(?:this|next|the|on|coming)\s+)*"
    rf"(?:today|tonight|tomorrow|midnight|{_WEEKDAYS}|weekend|week|month|{_MONTHS}|"
    rf"end\s+of\s+(?:the\s+)?(?:day|week|month|year))(?![A-Za-z])"
    rf"|(?<![A-Za-z])(?:starting|starts|beginning|begins|from|after)\s+(?:(?:this|next|the|on|coming)\s+)*"
    rf"(?:tomorrow|midnight|{_WEEKDAYS}|weekend|week|month|{_MONTHS})(?![A-Za-z])"
    rf"|(?<![A-Za-z])(?:today|tonight|tomorrow|this\s+week(?:end)?|this\s+month|the\s+weekend|"
    rf"weekend)\s+only(?![A-Za-z])"
    rf"|(?<![A-Za-z])only\s+(?:today|tonight|tomorrow|this\s+week(?:end)?)(?![A-Za-z])"
    rf"|(?<![A-Za-z])(?:this|next)\s+(?:week(?:end)?|month|{_WEEKDAYS})(?![A-Za-z])"
    rf"|(?<![A-Za-z])(?:last|final)\s+(?:day|days|chance|hours?|call)(?![A-Za-z])"
    rf"|(?<![A-Za-z])ends?\s+soon(?![A-Za-z])|(?<![A-Za-z])midnight(?![A-Za-z])"
    rf"|(?<![A-Za-z])all\s+(?:week|weekend|month)(?:\s+long)?(?![A-Za-z])"
    rf"|(?<![A-Za-z])(?:a\s+)?(?:few|several|couple)\s+(?:more\s+)?(?:days|weeks|months|hours)(?![A-Za-z])"
    r"|(?:今天|今日|今晚|明天|明日)(?!\s*起)|后天|後天|本周|本週|这周|這週|本星期|周末|週末|本月"
    r"|这个月|這個月|月底|月末|年底|年末|截止|截至|到期日|有效期至|仅剩|僅剩|倒计时|倒計時|最后一天"
    r"|最後一天|最后机会|最後機會|即将结束|即將結束|马上结束|馬上結束|几天|幾天|数天|數天|几周|幾週",
    _FLAGS,
)
_FORTNIGHT = re.compile(r"(?<![A-Za-z])fortnight(?![A-Za-z])", _FLAGS)
_WEEKLONG = re.compile(r"(?<![A-Za-z])week[\s-]?long(?![A-Za-z])", _FLAGS)
_HALF_WORD = re.compile(r"(?<![A-Za-z])half(?![A-Za-z])", _FLAGS)

# Context of a money amount (left context is matched at its end, right at its start).
_LEFT_ZH_MIN = re.compile(
    r"(?:满|滿|消费满?|消費滿?|单笔满?|單筆滿?|买满|買滿|购满|購滿|实付满?|實付滿?|订单满|訂單滿|"
    r"满额|滿額)\s*$"
)
_LEFT_EVERY = re.compile(r"(?:(?<![A-Za-z])(?:every|each|per)|每满|每滿|每消费满?|每)\s*$", _FLAGS)
_LEFT_BUDGET = re.compile(
    r"(?:(?<![A-Za-z])budget(?:ed)?|预算|預算)(?:\s*(?:of|is|:|=|为|為|是|cap|total|up\s+to|around|"
    r"about|approx\.?|max(?:imum)?|不超过|不超過|上限|控制在|共|约|約))*\s*:?\s*$",
    _FLAGS,
)
BUDGET_AFTER_AMOUNT = re.compile(r"^\s*(?:total\s+)?(?:budget|预算|預算)", _FLAGS)
"""Right context of an amount that names it a budget ("$500 budget", "3000元预算"); the planner
reads budgets with the same pattern."""
_RIGHT_AMOUNT = re.compile(
    r"^\s*(?:-\s*)?(?:off(?![A-Za-z])|discount|coupon|voucher|savings?(?![A-Za-z])|rebate|reduction|"
    r"credit(?![A-Za-z])|优惠券|優惠券|券|代金券|红包|紅包|优惠|優惠|折扣|的优惠|立减|立減)",
    _FLAGS,
)
_LEFT_MIN = re.compile(
    r"(?:(?<![A-Za-z])(?:spend(?:ing|s)?|spent|buy(?:ing)?|purchases?(?:\s+of)?|orders?(?:\s+of)?|"
    r"baskets?(?:\s+of)?|shops?\s+of|reach(?:es|ing)?|hits?|tops?|over|above|exceed(?:ing|s)?|"
    r"more\s+than|at\s+least|minimum(?:\s+(?:purchase|spend|order|basket))?(?:\s+of)?|"
    r"min\.?(?:\s+(?:purchase|spend|order|basket))?(?:\s+of)?|"
    r"off(?:\s+|\s*-\s*)(?:(?:a|an|any|your|next|the|orders?|purchases?|baskets?|shop|spend|total)\s+){0,3}"
    r"(?:of\s+)?)"
    r"|满|滿|消费|消費|单笔|單筆|买满|買滿|购满|購滿|实付|實付|订单满|訂單滿)"
    r"\s*(?:(?:at\s+least|over|more\s+than|a\s+minimum\s+of|only|just)\s+)?[:：]?\s*$",
    _FLAGS,
)
_RIGHT_MIN = re.compile(
    r"^\s*(?:or\s+more|or\s+above|or\s+over|and\s+(?:up|over|above)|minimum|min(?![A-Za-z])|"
    r"min\.|purchase|order|basket|shop(?![A-Za-z])|shopping|spend|worth\s+of|以上|及以上|起用|"
    r"可用|使用|即可|门槛|門檻)",
    _FLAGS,
)
_LEFT_AMOUNT = re.compile(
    r"(?:(?<![A-Za-z])(?:save[sd]?|saving(?:s)?(?:\s+of)?|take[s]?|knock[s]?|deduct(?:s|ed)?|"
    r"minus|discount(?:s|ed)?(?:\s+of)?|rebate\s+of|coupon\s+(?:for|of|worth)|"
    r"voucher\s+(?:for|of|worth)|worth|reduced\s+by|less)"
    r"|立减|立減|直减|直減|直降|减免|減免|减|減|省|抵扣?|优惠|優惠|便宜|扣)"
    r"\s*(?:(?:an\s+extra|extra|another|a\s+whole|a\s+full|a\s+cool|just|only|you|yourself)\s+)?"
    r"[:：]?\s*$",
    _FLAGS,
)


def classify_money(masked: str, start: int, end: int, *, plus: bool = False) -> ClaimKind:
    """What an amount of money is, from the words around it (masked text, amount at start:end).

    The order matters: "满25" is a minimum even before 优惠券; "$3 off" is the discount even
    when the sentence also says "spend"; "every $25" is a repeated mechanism, not a minimum.
    """
    left = masked[max(0, start - 48) : start]
    right = masked[end : end + 32]
    if _LEFT_EVERY.search(left):
        return "other_discount"
    if _LEFT_ZH_MIN.search(left):
        return "min_spend"
    if _RIGHT_AMOUNT.match(right):
        return "amount_off"
    if _LEFT_BUDGET.search(left) or BUDGET_AFTER_AMOUNT.match(right):
        return "budget"
    if plus or _LEFT_MIN.search(left) or _RIGHT_MIN.match(right):
        return "min_spend"
    if _LEFT_AMOUNT.search(left):
        return "amount_off"
    return "money"


_VAGUE_LEFT = re.compile(
    r"(?:(?<![A-Za-z])(?:more\s+than|over|at\s+least|upwards\s+of|as\s+much\s+as|almost|"
    r"nearly|about|around|approx\.?|approximately|roughly|some)|~|超过|超過|至少|大约|大約|约|約|"
    r"近|多达|多達)\s*$",
    _FLAGS,
)
_VAGUE_RIGHT = re.compile(
    r"\s*(?:\+|or\s+(?:more|so|longer|above)|and\s+(?:up|more)|plus(?![A-Za-z])|起|以上|左右|多)",
    _FLAGS,
)
_ZH_BARE_AMOUNT = re.compile(r"(?:立减|立減|直减|直減|直降|减免|減免|减|減|省|抵扣?)\s*$")


def _zhe_to_percent_off(digits: str) -> float | None:
    """85 / 8.5 / 八五 折 -> 15 (% off); 8 / 八 折 -> 20; 9.5 / 95 / 九五 折 -> 5.

    One digit is tenths of the price (8折 = pay 80%), two digits are percent of the price
    (85折 = pay 85%), and a decimal with one leading digit is tenths again (8.5折 = 85%).
    """
    whole, _, fraction = digits.partition(".")
    if not whole.isdigit() or (fraction and not fraction.isdigit()):
        return None
    if len(whole) == 1:
        pay = float(digits) * 10
    elif len(whole) == 2:
        pay = float(digits)
    else:
        return None
    if not 0 < pay < 100:
        return None
    return round(100 - pay, 6)


class _Scanner:
    """Applies the claim rules in priority order; each atom and character is claimed once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.norm, self.offsets = normalize_with_offsets(text)
        self.atoms = _find_atoms(self.norm)
        self.atom_at = {a.start: a for a in self.atoms}
        chars = list(self.norm)
        for atom in self.atoms:
            chars[atom.start] = _A
            for i in range(atom.start + 1, atom.end):
                chars[i] = _F
        self.masked = "".join(chars)
        self.taken = [False] * len(self.norm)
        self.claims: list[Claim] = []

    def free(self, start: int, end: int) -> bool:
        return not any(self.taken[start:end])

    def add(
        self, kind: ClaimKind, value: float | None, start: int, end: int,
        *, approximate: bool = False,
    ) -> None:
        for i in range(start, end):
            self.taken[i] = True
        o_start = self.offsets[start]
        o_end = self.offsets[end - 1] + 1 if end > start else o_start
        raw = self.text[o_start:o_end]
        self.claims.append(Claim(kind, value, (o_start, o_end), raw, approximate))

    def vague(self, start: int, end: int) -> bool:
        """True when a hedge ("at least", "or more", "+", 起, 左右) stands next to the span."""
        if any(a.plus for a in self.atoms if start <= a.start < end):
            return True
        left = self.masked[max(0, start - 24) : start]
        return bool(_VAGUE_LEFT.search(left) or _VAGUE_RIGHT.match(self.masked, end))

    def atom(self, match: re.Match[str], group: int | str) -> _Atom:
        return self.atom_at[match.start(group)]

    def each(self, pattern: re.Pattern[str], handle: Callable[[re.Match[str]], None]) -> None:
        for match in pattern.finditer(self.masked):
            if match.end() > match.start() and self.free(match.start(), match.end()):
                handle(match)

    def run(self) -> list[Claim]:
        self.each(_NO_MINIMUM, self._no_minimum)
        self.each(_MULTIBUY, lambda m: self.add("other_discount", None, m.start(), m.end()))
        self.each(_FRACTION_OFF, self._fraction_off)
        self.each(_DATE, lambda m: self.add("deadline", None, m.start(), m.end()))
        self.each(_PERCENT, self._percent)
        self.each(_ZHE, self._zhe)
        self.each(_HALF_OFF, lambda m: self.add("percent_off", 50.0, m.start(), m.end()))
        self.each(_MONEY, self._money)
        self.each(_DURATION, self._duration)
        self.each(_COUNT, lambda m: self.add("count", self.atom(m, 1).value, m.start(), m.end()))
        self.each(_ORDINAL, lambda m: self.add("other_number", None, m.start(), m.end()))
        self.each(_N_FOR_N, lambda m: self.add("other_discount", None, m.start(), m.end()))
        self.each(_FORTNIGHT, lambda m: self.add("duration_days", 14.0, m.start(), m.end()))
        self.each(_WEEKLONG, lambda m: self.add("duration_days", 7.0, m.start(), m.end()))
        self.each(_OTHER_DISCOUNT, lambda m: self.add("other_discount", None, m.start(), m.end()))
        self.each(_DEADLINE, lambda m: self.add("deadline", None, m.start(), m.end()))
        for atom in self.atoms:
            if self.free(atom.start, atom.end):
                self._bare(atom)
        self.each(_HALF_WORD, lambda m: self.add("other_number", 0.5, m.start(), m.end()))
        return sorted(self.claims, key=lambda c: c.span)

    def _no_minimum(self, match: re.Match[str]) -> None:
        atoms = [a for a in self.atoms if match.start() <= a.start < match.end()]
        if any(a.value != 0 for a in atoms):
            return  # "50门槛" is a threshold, left to the money/bare rules
        self.add("min_spend", 0.0, match.start(), match.end())

    def _fraction_off(self, match: re.Match[str]) -> None:
        top, bottom = self.atom(match, 1).value, self.atom(match, 2).value
        value = round(100 * top / bottom, 6) if bottom else None
        self.add("percent_off", value, match.start(), match.end())

    def _percent(self, match: re.Match[str]) -> None:
        group = "a" if match.group("a") else "b"
        self.add("percent_off", self.atom(match, group).value, match.start(), match.end(),
                 approximate=self.vague(match.start(), match.end()))

    def _zhe(self, match: re.Match[str]) -> None:
        value = _zhe_to_percent_off(self.atom(match, 1).digits)
        self.add("percent_off" if value is not None else "other_number", value,
                 match.start(), match.end(), approximate=self.vague(match.start(), match.end()))

    def _money(self, match: re.Match[str]) -> None:
        group = next(g for g in ("a", "b", "c") if match.group(g))
        atom = self.atom(match, group)
        value = atom.value / 100 if group == "c" else atom.value
        kind = classify_money(self.masked, match.start(), match.end(), plus=atom.plus)
        vague = kind == "amount_off" and self.vague(match.start(), match.end())
        self.add(kind, value, match.start(), match.end(), approximate=vague)

    def _duration(self, match: re.Match[str]) -> None:
        atom = self.atom(match, 1)
        unit = match.group("unit").lower()
        days_per_unit = next(d for u, d in _DAY_UNITS if re.fullmatch(u, unit, _FLAGS))
        count = atom.value + (0.5 if match.group("half") else 0.0)
        self.add("duration_days", round(count * days_per_unit, 6), match.start(), match.end(),
                 approximate=self.vague(match.start(), match.end()))

    def _bare(self, atom: _Atom) -> None:
        """An atom no rule claimed: a bare 满25/减3/预算800 amount, or an unplaced number."""
        left = self.masked[max(0, atom.start - 48) : atom.start]
        kind: ClaimKind = "other_number"
        if _LEFT_BUDGET.search(left):
            kind = "budget"
        elif _LEFT_EVERY.search(left) and re.search(r"每[满滿]?\s*$", left):
            kind = "other_discount"
        elif _LEFT_ZH_MIN.search(left):
            kind = "min_spend"
        elif _ZH_BARE_AMOUNT.search(left):
            kind = "amount_off"
        self.add(kind, atom.value, atom.start, atom.end)


def find_claims(text: str) -> list[Claim]:
    """Every quantity the text states, in order; numbers that fit no pattern are other_number."""
    return _Scanner(text).run()


# --------------------------------------------------------------------------- focused helpers


def _single(text: str, kinds: set[str]) -> float | None:
    values = [c.value for c in find_claims(text) if c.kind in kinds and c.value is not None]
    return values[0] if len(values) == 1 else None


def parse_percent_off(text: str) -> float | None:
    """The percent off a phrase states: "15%", "fifteen percent", "85折", "八折" -> 15, 20."""
    return _single(text, {"percent_off"})


def parse_zhe(text: str) -> float | None:
    """Percent off of a 折 expression: "85折" / "8.5折" / "八五折" -> 15; "9折" -> 10."""
    match = re.fullmatch(r"\s*(?:打\s*)?(.+?)\s*折\s*", normalize_text(text))
    if not match:
        return None
    body = match.group(1)
    if re.fullmatch(r"\d+(?:\.\d+)?", body):
        return _zhe_to_percent_off(body)
    parsed = _zh_numeral_value(body)
    return _zhe_to_percent_off(parsed[1]) if parsed else None


def parse_money(text: str) -> float | None:
    """The amount of money a phrase states, whatever its role: "$1,500", "50 cents", "5元"."""
    return _single(text, {"amount_off", "min_spend", "budget", "money"})


def parse_duration_days(text: str) -> float | None:
    """Days a phrase states: "one week" -> 7, "a fortnight" -> 14, "两周" -> 14, "一个月" -> 30."""
    return _single(text, {"duration_days"})


def parse_min_spend(text: str) -> float | None:
    """The minimum spend a phrase states: "满100减15" -> 100, "over $25" -> 25, 无门槛 -> 0."""
    return _single(text, {"min_spend"})


def format_number(value: float) -> str:
    """15.0 -> "15", 2.5 -> "2.5": how a quantity is written back into text."""
    return _plain(round(value, 6))
