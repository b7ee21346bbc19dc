"""Offer terms rendered from templates: the part of every coupon copy that is never generated.

The weak local LLM invents numbers, so the discount, minimum spend, validity and scope come
from Jinja2 templates (prompts/terms_en.j2, prompts/terms_zh.j2) fed with numbers formatted
here. The result is re-checked with check_copy before it is returned; a scope label that
would break a rule (a digit, a banned word, a storewide claim, the wrong script) is replaced
by a generic one, so the terms pass check_copy for any offer that passes check_offer.
"""

from __future__ import annotations

from functools import lru_cache

from coupondesk.prompts import render
from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.catalog.scope_names import SELECTED_ZH
from coupondesk.tools.language import Language
from coupondesk.tools.policy.quantities import format_number
from coupondesk.tools.policy.rules import Policy, load_policy

GENERIC_SCOPE = {"en": "selected items", "zh": SELECTED_ZH}
"""Scope label used when the caller's label cannot be printed safely."""
STOREWIDE_SCOPE = {"en": "everything", "zh": "全场"}
"""Scope label of a storewide offer when the caller gives none."""
_MAX_LABEL_CHARS = 48


@lru_cache(maxsize=1)
def _default_policy() -> Policy:
    return load_policy()


def format_money(value: float, language: Language) -> str:
    """3 -> "3", 2.5 -> "2.50" (en) / "2.5" (zh), 1500 -> "1,500" (en) / "1500" (zh)."""
    if float(value).is_integer():
        return f"{int(value):,}" if language == "en" else str(int(value))
    if language == "en":
        return f"{value:,.2f}"
    return format_number(round(value, 2))


def percent_to_zhe(percent_off: float) -> str:
    """The 折 number of a percent off: 15 -> "85", 10 -> "9", 12 -> "88", 12.5 -> "87.5".

    Whole tenths of the price are written with one digit (9折, 8折), everything else as the
    percent of the price that is paid (85折, 88折, 95折): the usual way, and the one
    coupondesk.tools.policy.quantities reads back.
    """
    pay = round(100 - percent_off, 6)
    if pay % 10 == 0:
        return format_number(pay / 10)
    return format_number(pay)


def _scope_text(label: str, language: Language) -> str:
    label = " ".join(label.split())
    if language == "zh" and label and not _ends_with_han(label):
        return label + " "
    return label


def _ends_with_han(text: str) -> bool:
    from coupondesk.tools.language import is_han

    return bool(text) and is_han(text[-1])


def _render(offer: Offer, language: Language, scope: str) -> str:
    if offer.kind == "percent_off":
        value = percent_to_zhe(offer.value) if language == "zh" else format_number(offer.value)
    else:
        value = format_money(offer.value, language)
    min_spend = format_money(offer.min_spend, language) if offer.min_spend else None
    return render(
        f"terms_{language}.j2",
        kind=offer.kind,
        value=value,
        min_spend=min_spend,
        days=offer.valid_days,
        scope=_scope_text(scope, language),
    )


def render_terms(
    offer: Offer, language: Language, *, scope_label: str, policy: Policy | None = None
) -> str:
    """The offer's terms in `language`, guaranteed to pass check_copy under `policy`.

    `scope_label` names what the coupon covers in the copy's language ("teas", "茶叶");
    a label that would make the terms fail (numbers, banned words, another script, too long)
    is replaced by a generic one, never printed.
    """
    from coupondesk.tools.policy.guardrails import check_copy

    rules = policy or _default_policy()
    label = scope_label.strip()
    if not label and offer.storewide:
        label = STOREWIDE_SCOPE[language]
    candidates = [label] if 0 < len(label) <= _MAX_LABEL_CHARS else []
    candidates += [GENERIC_SCOPE[language], ""]
    text = ""
    for candidate in candidates:
        text = _render(offer, language, candidate)
        if check_copy(text, offer, rules, language=language).ok:
            return text
    return text
