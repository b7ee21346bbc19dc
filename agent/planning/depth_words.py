"""Depth ranges and "best depth" in a request: "10-20% off", "$2 to $5 off", 八到九折, "the depth
that pays"; anything else leaves the depth fixed at the discount the parser read."""

from __future__ import annotations

import re

from coupondesk.tools.campaigns.offer import OfferKind
from coupondesk.tools.campaigns.plan import DepthChoice

_NUM = r"(\d+(?:\.\d+)?)"
_TO = r"\s*(?:-|–|—|~|to|至|到)\s*"
_PERCENT = re.compile(_NUM + r"\s*%?" + _TO + _NUM + r"\s*%\s*off", re.IGNORECASE)
_AMOUNT = re.compile(r"\$\s*" + _NUM + _TO + r"\$?\s*" + _NUM + r"\s*off", re.IGNORECASE)
_ZHE_DIGITS = "一二三四五六七八九"
_ZHE = re.compile(f"([{_ZHE_DIGITS}1-9])折?{_TO}([{_ZHE_DIGITS}1-9])折")
_BEST = re.compile(
    r"\b(?:best|optimal|right|most profitable)\s+(?:depth|discount)\b"
    r"|\bdepth\s+that\s+pays\b|最优折扣|最佳折扣",
    re.IGNORECASE,
)


def _zhe_digit(text: str) -> int:
    return _ZHE_DIGITS.index(text) + 1 if text in _ZHE_DIGITS else int(text)


def read_depth_choice(text: str) -> tuple[DepthChoice, OfferKind | None]:
    """The depth choice the request states and the offer kind it implies (None: not stated)."""
    if match := _AMOUNT.search(text):
        lo, hi = sorted((float(match.group(1)), float(match.group(2))))
        return DepthChoice(mode="range", lo=lo, hi=hi), "amount_off"
    if match := _PERCENT.search(text):
        lo, hi = sorted((float(match.group(1)), float(match.group(2))))
        return DepthChoice(mode="range", lo=lo, hi=hi), "percent_off"
    if match := _ZHE.search(text):
        # 八折 pays 80% of the price: 20% off; 八到九折 is 10-20% off.
        offs = sorted(100.0 - 10.0 * _zhe_digit(g) for g in (match.group(1), match.group(2)))
        return DepthChoice(mode="range", lo=offs[0], hi=offs[1]), "percent_off"
    if _BEST.search(text):
        return DepthChoice(mode="best"), None
    return DepthChoice(), None
