"""Plain-words descriptions of offers and audiences, for the operator and the copy prompt.

The audience description goes to the copy LLM, so it describes the group only (never a
household id or one household's data).
"""

from __future__ import annotations

from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.campaigns.plan import Audience
from coupondesk.tools.catalog.scope_names import catalog_names, join_en


def money(value: float) -> str:
    """$5, $2.50, $1,200."""
    return f"${value:,.0f}" if float(value).is_integer() else f"${value:,.2f}"


def depth_label(kind: str, value: float) -> str:
    """ "15% off" / "$2 off" / "$2.50 off": one depth of a per-household depth mix."""
    return f"{value:g}% off" if kind == "percent_off" else f"{money(value)} off"


def scope_phrase(departments: list[str], categories: list[str]) -> str:
    """ "SOUP", "DELI and PASTRY", or "everything" for an empty scope (catalog spelling, for
    the operator; customer copy uses coupondesk.tools.catalog.scope_names.scope_label instead)."""
    return join_en(catalog_names(departments, categories)) or "everything"


def describe_offer(offer: Offer) -> str:
    """ "15% off COFFEE, valid 7 days" / "$3 off a $25 spend on DELI, valid 14 days"."""
    amount = f"{offer.value:g}%" if offer.kind == "percent_off" else money(offer.value)
    value = f"{amount} off"
    spend = f" a {money(offer.min_spend)} spend on" if offer.min_spend else ""
    scope = scope_phrase(offer.departments, offer.categories)
    what = f"{value}{spend} {scope}" if spend else f"{value} {scope}"
    return f"{what}, valid {offer.valid_days} day{'s' if offer.valid_days != 1 else ''}"


def describe_audience(audience: Audience) -> str:
    """ "households that have not shopped in 40+ days and bought SOUP"."""
    parts: list[str] = []
    scope = scope_phrase(audience.departments, audience.categories)
    has_scope = bool(audience.departments or audience.categories)
    if audience.lapsed_days is not None:
        if has_scope and getattr(audience, "lapsed_in_scope", False):
            parts.append(f"have not bought {scope} in {audience.lapsed_days}+ days")
        else:
            parts.append(f"have not shopped in {audience.lapsed_days}+ days")
    if audience.active_days is not None:
        where = f" {scope}" if has_scope else ""
        parts.append(f"bought{where or ' anything'} in the last {audience.active_days} days")
    elif has_scope and not getattr(audience, "lapsed_in_scope", False):
        parts.append(f"have bought {scope}")
    if audience.min_spend is not None:
        window = audience.spend_window_days or audience.active_days or 90
        parts.append(f"spent {money(audience.min_spend)}+ in the last {window} days")
    demographics = _demographic_words(audience)
    if audience.top_spenders:
        head = "the biggest spenders"
        if parts:
            head += " among households that " + " and ".join(parts)
        return head + (f" ({demographics})" if demographics else "")
    if not parts:
        return "all households" + (f" ({demographics})" if demographics else "")
    described = "households that " + " and ".join(parts)
    return described + (f" ({demographics})" if demographics else "")


def _demographic_words(audience: Audience) -> str:
    """ "age 35-44, income 50-74K, with kids" for the bands a DemographicFilter names."""
    found = audience.demographics
    if found is None:
        return ""
    words: list[str] = []
    labels = (
        ("age_bands", "age"),
        ("income_bands", "income"),
        ("household_sizes", "household size"),
        ("kids_counts", "kids"),
        ("household_comps", "household"),
        ("marital_statuses", "marital status"),
        ("home_ownerships", "home"),
    )
    for attribute, label in labels:
        values = getattr(found, attribute)
        if values:
            words.append(f"{label} {'/'.join(values)}")
    if found.has_kids is True:
        words.append("with kids")
    elif found.has_kids is False:
        words.append("without kids")
    return ", ".join(words)
