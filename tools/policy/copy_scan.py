"""Detectors for what customer copy must not contain: contacts, banned phrases, machine text.

Kept apart from the quantity scanner because these are pattern lists, not arithmetic, and
apart from guardrails.py so each detector can be tested (and tuned) on its own. All of them
read the NFKC-normalised text, so full-width letters or zero-width characters hidden inside
"f\u200bree" do not get a phrase past them, and all spans point into the original text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from coupondesk.tools.language import has_chinese, script_stats
from coupondesk.tools.policy.quantities import normalize_with_offsets

ContactKind = Literal["email", "url", "phone"]


@dataclass(frozen=True)
class Contact:
    """An e-mail address, URL/domain or phone number found in copy."""

    kind: ContactKind
    raw: str
    span: tuple[int, int]
    allowed: bool


_EMAIL = re.compile(
    r"[A-Za-z0-9._%+-]+\s*(?:@|\(at\)|\[at\])\s*[A-Za-z0-9-]+"
    r"(?:\s*(?:\.|\(dot\)|\[dot\])\s*[A-Za-z0-9-]+)*\s*(?:\.|\(dot\)|\[dot\])\s*[A-Za-z]{2,}",
    re.IGNORECASE,
)
_TLDS = (
    "com|net|org|edu|gov|mil|int|io|cn|uk|de|jp|fr|ru|info|biz|shop|store|online|site|app|xyz"
    "|ly|gl|ai|top|vip|club|link|click|cc|hk|tw|sg|ca|au|nz|coupons|deals|promo|sale|website"
    "|web|mobi|live|fun|tk|ml|ga|cf|gq|ws|su|icu|buzz|tech|space|email|me|co|us|tv|to|in"
)
_URL = re.compile(
    r"(?:https?://|www\.)[^\s，。、！？；\"'<>()\[\]]+"
    r"|(?<![@\w.-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    rf"(?P<tld>(?:{_TLDS})|(?:{_TLDS.upper()}))(?![A-Za-z0-9-])(?:[/?#][^\s，。、！？；]*)?",
    re.IGNORECASE,
)
_PHONE = re.compile(r"(?<![\w$¥])\+?\(?\d[\d\s().\-]{5,}\d(?!\d)")


def _original_span(offsets: list[int], start: int, end: int) -> tuple[int, int]:
    return offsets[start], offsets[end - 1] + 1


def _host_allowed(host: str, allowed_domains: Sequence[str]) -> bool:
    host = host.lower().strip(".")
    for domain in allowed_domains:
        domain = domain.lower().strip(".")
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False


def _url_host(raw: str) -> str:
    without_scheme = re.sub(r"^[a-z]+://", "", raw, flags=re.IGNORECASE)
    return re.split(r"[/?#:]", without_scheme, maxsplit=1)[0]


def find_contacts(
    text: str, *, allowed_domains: Sequence[str] = (), allowed_phone_numbers: Sequence[str] = ()
) -> list[Contact]:
    """E-mail addresses, then URLs/domains, then phone numbers (7+ digits), each once."""
    norm, offsets = normalize_with_offsets(text)
    taken = [False] * len(norm)
    found: list[Contact] = []

    def record(kind: ContactKind, start: int, end: int, allowed: bool) -> None:
        for i in range(start, end):
            taken[i] = True
        span = _original_span(offsets, start, end)
        found.append(Contact(kind, text[span[0] : span[1]], span, allowed))

    for match in _EMAIL.finditer(norm):
        domain = re.split(r"@|\(at\)|\[at\]", match.group(0), flags=re.IGNORECASE)[-1]
        domain = re.sub(r"\s*(?:\(dot\)|\[dot\])\s*", ".", domain, flags=re.IGNORECASE)
        record("email", match.start(), match.end(), _host_allowed(domain.replace(" ", ""),
                                                                   allowed_domains))
    for match in _URL.finditer(norm):
        if any(taken[match.start() : match.end()]):
            continue
        tld = match.group("tld")
        if tld and not (tld.islower() or tld.isupper()):
            continue  # "days.Shop now": a missing space, not a domain
        raw = match.group(0).rstrip(".,;:!?")
        record("url", match.start(), match.start() + len(raw),
               _host_allowed(_url_host(raw), allowed_domains))
    allowed_digits = {re.sub(r"\D", "", p) for p in allowed_phone_numbers if re.sub(r"\D", "", p)}
    for match in _PHONE.finditer(norm):
        if any(taken[match.start() : match.end()]):
            continue
        digits = re.sub(r"\D", "", match.group(0))
        if len(digits) < 7:
            continue
        allowed = any(digits == d or digits.endswith(d) for d in allowed_digits)
        record("phone", match.start(), match.end(), allowed)
    return sorted(found, key=lambda c: c.span)


_has_han = has_chinese


@lru_cache(maxsize=512)
def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    """A tolerant pattern for one banned phrase.

    Latin phrases match whole words, case-insensitively, letters optionally split by one
    separator ("F-R-E-E", "f r e e") and words by spaces or hyphens ("risk free", "risk-free").
    Chinese phrases match as substrings with any whitespace between characters ("免 费").
    """
    norm = unicodedata.normalize("NFKC", phrase).strip()
    if _has_han(norm):
        return re.compile(r"\s*".join(re.escape(c) for c in norm if not c.isspace()))
    words = [w for w in re.split(r"[\s\-]+", norm) if w]
    spelled = [r"[\s.\-*_·']?".join(re.escape(c) for c in word) for word in words]
    body = r"[\s\-]*".join(spelled)
    return re.compile(rf"(?<![A-Za-z0-9]){body}(?![A-Za-z0-9])", re.IGNORECASE)


def find_banned_phrases(text: str, phrases: Sequence[str]) -> list[tuple[str, str]]:
    """(phrase, text as written) for every banned phrase present, longest phrases first."""
    norm, offsets = normalize_with_offsets(text)
    hits: list[tuple[str, str]] = []
    covered: list[tuple[int, int]] = []
    for phrase in sorted(set(phrases), key=len, reverse=True):
        for match in _phrase_pattern(phrase).finditer(norm):
            if any(s <= match.start() < e for s, e in covered):
                continue
            covered.append((match.start(), match.end()))
            start, end = _original_span(offsets, match.start(), match.end())
            hits.append((phrase, text[start:end]))
    return hits


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def find_machine_text(text: str, patterns: Sequence[str]) -> list[str]:
    """Text addressed to a machine (prompt injection, role markers), as written."""
    norm, offsets = normalize_with_offsets(text)
    hits: list[str] = []
    for pattern in patterns:
        match = _compiled(pattern).search(norm)
        if match and match.end() > match.start():
            start, end = _original_span(offsets, match.start(), match.end())
            hits.append(text[start:end].strip() or match.group(0))
    return hits


# --------------------------------------------------------------------------- language


def language_problem(text: str, language: str) -> str | None:
    """Why the text is not in `language` ("en" or "zh"), or None when it is.

    English copy may not contain Chinese or any other non-Latin script. Chinese copy must be
    mostly Chinese: a brand or a catalog name in Latin letters is fine, an English sentence is
    not (each Latin word counts against one Chinese character).
    """
    stats = script_stats(text)
    if stats.other_letters:
        return f"the copy has {stats.other_letters} letters of a script other than Latin or Chinese"
    if language == "en":
        if stats.han_chars:
            return f"the copy should be English but has {stats.han_chars} Chinese characters"
        if not stats.latin_letters:
            return "the copy should be English but has no English words"
        return None
    if language == "zh":
        if stats.han_chars < 2:
            return "the copy should be Chinese but has no Chinese text"
        if stats.latin_words > stats.han_chars:
            return (
                f"the copy should be Chinese but has {stats.latin_words} English words "
                f"and {stats.han_chars} Chinese characters"
            )
        return None
    return f"unknown language {language!r} (expected en or zh)"
