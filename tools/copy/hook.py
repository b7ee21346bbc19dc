"""The hook: the one line of coupon copy a small LLM may write, and the checks it must pass.

The local model invents numbers ("20% off" for a 15% offer), says "free", and chats ("Here's a
headline:"), so the hook may state nothing checkable: no numbers, no money, no discount or
time words, no claims, no meta talk. The offer terms come from templates and are appended
afterwards. Every violation is a typed `Violation` (rule "hook.*"), so a redraft can be told
exactly what was wrong.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from coupondesk.tools.policy.verdict import Verdict, Violation

HOOK_MAX_CHARS = 80
HOOK_MIN_WORDS = 2
HOOK_MAX_WORDS = 12


def _words(text: str) -> tuple[str, ...]:
    """A vocabulary written as one string of space-separated words."""
    return tuple(text.split())


_NUMBER_WORDS = _words(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy "
    "eighty ninety hundred thousand million billion dozen half quarter double triple twice "
    "thrice first second third fourth fifth tenth single couple pair"
)
_DISCOUNT_WORDS = _words(
    "off discount discounts discounted save saves saved saving savings sale sales deal "
    "deals coupon coupons voucher vouchers offer offers price prices priced pricing cheap "
    "cheaper cheapest bargain bargains cost costs percent pct dollar dollars cent cents "
    "cash cashback rebate rebates promo promos promotion code codes bonus gift gifts prize "
    "prizes win wins winner reward rewards free freebie complimentary bogo clearance "
    "markdown spend spending budget money bucks refund"
)
_TIME_WORDS = _words(
    "today tonight tomorrow day days daily week weeks weekly weekend month months monthly "
    "year years yearly hour hours fortnight expire expires expiring expiry ends ending "
    "until limited hurry deadline last yesterday holiday holidays monday tuesday wednesday "
    "thursday friday saturday sunday january february march april june july august "
    "september october november december christmas easter thanksgiving"
)
_CLAIM_PHRASES = (
    "guarantee",
    "guaranteed",
    "lowest",
    "unbeatable",
    "unlimited",
    "risk-free",
    "risk free",
    "no strings",
    "number one",
    "#1",
    "up to",
    "deliver",
    "delivered",
    "delivery",
    "shipping",
    "shipped",
    "online",
)
"""Claims the hook cannot back: superlatives of price or quality, and services (delivery)."""
_META_PHRASES = (
    "here is",
    "here's",
    "headline",
    "slogan",
    "tagline",
    "sure",
    "certainly",
    "as an ai",
    "assistant",
    "i'm",
    "i am",
    "i'd",
    "i'll",
    "i will",
    "instruction",
    "ignore",
    "prompt",
    "system",
)
_CONTACT = re.compile(r"@|https?:|www\.|\.(?:com|net|org|io|cn)\b", re.IGNORECASE)
_CURRENCY = re.compile(r"[$%€£¥￥元％]")
_PREFIX = re.compile(r"^(?:slogan|headline|tagline|hook|line|answer|output)\s*[:\-–]\s*", re.I)
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")
_SCOPE_STOPWORDS = frozenset(
    _words(
        "and the for all misc other products product supplies items item food foods bkd "
        "fd frzn care store everything department category"
    )
)


def clean_hook(raw: str) -> str:
    """The first line of `raw` without quotes, markdown or a "Slogan:" prefix; of a line too
    long for a hook, its first sentence.

    Cleaning only removes wrapping and trailing sentences; it never rewrites words, so the
    checks judge what the model actually wrote.
    """
    for line in raw.strip().splitlines():
        line = line.strip()
        if line:
            break
    else:
        return ""
    line = line.replace("**", "").replace("__", "").strip("#>*-• \t")
    line = _PREFIX.sub("", line)
    line = " ".join(line.strip().strip("\"'“”‘’` ").split())
    if len(line) > HOOK_MAX_CHARS or len(line.split()) > HOOK_MAX_WORDS:
        # The small model often rambles on after a good first sentence: keep that sentence.
        first = re.split(r"(?<=[.!?])\s+", line, maxsplit=1)[0]
        if len(first.split()) >= HOOK_MIN_WORDS:
            return first
    return line


def scope_words(names: Sequence[str]) -> list[str]:
    """Words of the offer's catalog names that a relevant hook would mention ("soup", "milk")."""
    words: list[str] = []
    for name in names:
        for word in re.findall(r"[a-z]+", name.lower()):
            if len(word) >= 3 and word not in _SCOPE_STOPWORDS and word not in words:
                words.append(word)
    return words


def _normalized(text: str) -> str:
    return " ".join(re.findall(r"[a-z]+", text.lower()))


def _has_word(words: set[str], vocabulary: Sequence[str]) -> list[str]:
    return [word for word in vocabulary if word in words]


def check_hook(
    hook: str,
    *,
    scope: Sequence[str] = (),
    taken: Sequence[str] = (),
    banned_phrases: Sequence[str] = (),
) -> Verdict:
    """Check a cleaned hook. `scope`: words one of which it must mention (empty = storewide);
    `taken`: hooks other variants already use; `banned_phrases`: the policy's list."""
    violations: list[Violation] = []

    def add(rule: str, message: str, value: object = None) -> None:
        violations.append(Violation(rule=rule, message=message, value=value))

    text = hook.strip()
    if not text:
        add("hook.empty", "the hook is empty")
        return Verdict(violations=violations)
    lowered = text.lower()
    words_in_order = [w.lower().strip("'-") for w in _WORD.findall(text)]
    words = set(words_in_order)
    for word in list(words):  # "deli's" also counts as "deli"
        if word.endswith("'s"):
            words.add(word[:-2])

    if len(text) > HOOK_MAX_CHARS or not HOOK_MIN_WORDS <= len(words_in_order) <= HOOK_MAX_WORDS:
        add(
            "hook.length",
            f"the hook must have {HOOK_MIN_WORDS} to {HOOK_MAX_WORDS} words and at most "
            f"{HOOK_MAX_CHARS} characters",
            f"{len(words_in_order)} words, {len(text)} characters",
        )
    if any(not (c.isascii() or unicodedata.category(c).startswith("P")) for c in text):
        add("hook.language", "the hook must be plain English text", text)
    digits = re.findall(r"\d+", text)
    if digits or any(unicodedata.category(c) == "Nd" for c in text):
        add("hook.digits", "the hook must not contain numbers", digits or text)
    number_words = _has_word(words, _NUMBER_WORDS)
    if number_words:
        add("hook.number_words", "the hook must not contain number words", number_words)
    currency = _CURRENCY.findall(text)
    discount_words = _has_word(words, _DISCOUNT_WORDS)
    if currency or discount_words:
        add(
            "hook.discount_words",
            "the hook must not mention discounts, prices or money",
            currency + discount_words,
        )
    time_words = _has_word(words, _TIME_WORDS)
    if time_words:
        add("hook.time_words", "the hook must not mention dates or durations", time_words)
    if not (digits or number_words or time_words):
        scanned = numbers_found(text)  # a second, independent net: the guardrails' own reader
        if scanned:
            add("hook.quantities", "the hook must not state quantities or dates", scanned)
    reported = set(discount_words) | set(time_words) | set(number_words)
    claims = [
        p
        for p in dict.fromkeys((*_CLAIM_PHRASES, *banned_phrases))
        if p.lower() not in reported and _contains_phrase(lowered, p)
    ]
    if claims:
        add("hook.claims", "the hook makes a claim it cannot back", claims)
    meta = [p for p in _META_PHRASES if _contains_phrase(lowered, p)]
    if meta or re.search(r"(?<![\w'])i(?![\w'])", lowered):
        add("hook.meta", "the hook must be the line itself, not talk about it", meta or ["I"])
    if _CONTACT.search(text):
        add("hook.contact", "the hook must not contain addresses or links", text)
    if scope and not any(_mentions(words, word) for word in scope):
        add("hook.off_topic", "the hook must mention what the coupon covers", list(scope))
    misspelled = [] if _CONTACT.search(text) else unknown_words(words_in_order, allowed=scope)
    if misspelled:
        add("hook.unknown_word", "the hook uses words that are not English", misspelled)
    if _normalized(text) in {_normalized(t) for t in taken}:
        add("hook.duplicate", "another variant already uses this hook", text)
    if len(words_in_order) >= 4 and len(words) <= len(words_in_order) // 2:
        add("hook.repetition", "the hook repeats itself", text)
    return Verdict(violations=violations)


@functools.lru_cache(maxsize=1)
def _english_words() -> Any:
    """pyspellchecker's English frequency list (~0.3 s to load, once per process)."""
    from spellchecker import SpellChecker

    return SpellChecker(language="en", distance=1)


def unknown_words(words: Sequence[str], *, allowed: Sequence[str] = ()) -> list[str]:
    """Words no English dictionary knows ("Coffe", "Sugoraxes"): the tiny local model invents
    them, and they read as typos to a customer. Scope words (the catalog's, and their plural or
    singular) are always allowed."""
    known_scope = {w.lower().removesuffix("s") for w in allowed}
    candidates = [
        w for w in dict.fromkeys(words) if w.isalpha() and w.removesuffix("s") not in known_scope
    ]
    if not candidates:
        return []
    checker = _english_words()
    unknown = checker.unknown(candidates)
    return [w for w in candidates
            if w in unknown and not any(v not in checker.unknown([v]) for v in _us_spellings(w))]


_BRITISH_TO_US = ((re.compile(r"our"), "or"), (re.compile(r"is(e|ed|es|ing)$"), r"iz\1"),
                  (re.compile(r"tre$"), "ter"), (re.compile(r"ogue$"), "og"),
                  (re.compile(r"yse$"), "yze"))


def _us_spellings(word: str) -> list[str]:
    """US spellings of a British one ("favourite" -> "favorite"): the dictionary is US-leaning,
    and British spelling is not a typo a customer would notice."""
    return [v for pattern, repl in _BRITISH_TO_US if (v := pattern.sub(repl, word)) != word]


def _contains_phrase(lowered: str, phrase: str) -> bool:
    phrase = phrase.lower().strip()
    if not phrase:
        return False
    if phrase[0].isalnum() and phrase[-1].isalnum() and phrase.isascii():
        return re.search(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])", lowered) is not None
    return phrase in lowered


def _mentions(words: set[str], scope_word: str) -> bool:
    """Loose match so "cookie" counts for COOKIES, "pastries" for PASTRY, "potato" for POTATOES."""
    stem = scope_word[: max(4, len(scope_word) - 2)]
    return any(
        word.startswith(stem) or (len(word) >= 4 and scope_word.startswith(word)) for word in words
    )


def numbers_found(hook: str) -> list[str]:
    """Every number the shared quantity scanner reads in the hook (a second, independent net)."""
    try:
        from coupondesk.tools.policy.quantities import find_claims
    except ImportError:  # pragma: no cover - the scanner ships with the guardrails
        return []
    return [claim.raw for claim in find_claims(hook)]
