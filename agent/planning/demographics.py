"""Demographic words of a request ("families with kids", "seniors", 有孩子的家庭) -> a filter.

Only explicit phrases count, and each becomes an assumption, because a demographic filter
changes an audience a lot: only households that reported their demographics can match (801
of 2,469 in The Complete Journey). Words that merely name the shopper ("parents who bought
diapers") are left to the purchase history. Band labels are checked against the data's own
(coupondesk.tools.queries.segments.demographic_values), so a filter never silently matches nobody.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from coupondesk.tools.campaigns.plan import DemographicFilter
from sqlalchemy.orm import Session

_I = re.IGNORECASE
_HIGH_INCOME = ["100-124K", "125-149K", "150-174K", "175-199K", "200-249K", "250K+"]
_LOW_INCOME = ["Under 15K", "15-24K", "25-34K"]

_RULES: list[tuple[re.Pattern[str], dict[str, Any]]] = [
    (re.compile(r"(?<![a-z])(?:no|without)\s+(?:kids|children)(?![a-z])|child-?free"
                r"|没有孩子|沒有孩子|无孩|無孩|丁克", _I), {"has_kids": False}),
    (re.compile(r"(?<![a-z])with\s+(?:young\s+|small\s+|little\s+)?(?:kids|children|a\s+baby|"
                r"babies|toddlers)(?![a-z])"
                r"|有孩子|有小孩|有娃|有宝宝|有寶寶|亲子家庭|親子家庭", _I),
     {"has_kids": True}),
    (re.compile(r"(?<![a-z])(?:seniors?|retirees?|elderly|over\s+65|65\s*\+)(?![a-z])"
                r"|老年|老人|退休", _I), {"age_bands": ["65+"]}),
    (re.compile(r"(?<![a-z])(?:young\s+(?:adults|people|shoppers|customers|households|families)|"
                r"under\s+35)(?![a-z])|年轻人|年輕人|年轻用户|年輕用戶", _I),
     {"age_bands": ["19-24", "25-34"]}),
    (re.compile(r"(?<![a-z])home\s*owners?(?![a-z])|有房", _I),
     {"home_ownerships": ["Homeowner", "Probable Homeowner"]}),
    (re.compile(r"(?<![a-z])renters?(?![a-z])|租房", _I),
     {"home_ownerships": ["Renter", "Probable Renter"]}),
    (re.compile(r"(?<![a-z])(?:married|couples)(?![a-z])|已婚", _I),
     {"marital_statuses": ["Married"]}),
    (re.compile(r"(?<![a-z])singles(?![a-z])|单身|單身", _I), {"marital_statuses": ["Unmarried"]}),
    (re.compile(r"(?<![a-z])(?:high(?:er)?[\s-]income|affluent|wealthy)(?![a-z])|高收入", _I),
     {"income_bands": _HIGH_INCOME}),
    (re.compile(r"(?<![a-z])low(?:er)?[\s-]income(?![a-z])|低收入", _I),
     {"income_bands": _LOW_INCOME}),
]


@dataclass
class DemographicReading:
    """The filter a request states (None when it states none), with what to tell the operator."""

    filter: DemographicFilter | None = None
    spans: list[tuple[int, int]] = field(default_factory=list)
    """Where the words are, so they are not looked up as merchandise."""
    notes: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    """Phrases whose bands this data does not have (a question for the operator)."""


def read_demographics(text: str, session: Session) -> DemographicReading:
    """The explicit demographic phrases of a request as a DemographicFilter (module docstring)."""
    reading = DemographicReading()
    values: dict[str, Any] = {}
    known: dict[str, list[str]] | None = None
    for pattern, wanted in _RULES:
        match = pattern.search(text)
        if match is None or any(s <= match.start() < e for s, e in reading.spans):
            continue
        reading.spans.append(match.span())
        if known is None:
            from coupondesk.tools.queries.segments import demographic_values

            known = demographic_values(session)
        kept = _kept(wanted, known)
        if not kept:
            reading.unknown.append(match.group(0))
            continue
        for name, value in kept.items():
            if isinstance(value, list):
                values[name] = [*values.get(name, []), *value]
            else:
                values[name] = value
        shown = ", ".join(f"{k}={v}" for k, v in kept.items())
        reading.notes.append(f"\"{match.group(0)}\" read as demographics {shown} (only households "
                             "that reported their demographics can match)")
    if values:
        reading.filter = DemographicFilter(**values)
    return reading


def _kept(wanted: dict[str, Any], known: dict[str, list[str]]) -> dict[str, Any]:
    """The wanted bands this data has; has_kids needs the kids_count field to exist."""
    kept: dict[str, Any] = {}
    for name, value in wanted.items():
        if name == "has_kids":
            if known.get("kids_counts"):
                kept[name] = value
            continue
        present = [band for band in value if band in known.get(name, [])]
        if present:
            kept[name] = present
    return kept
