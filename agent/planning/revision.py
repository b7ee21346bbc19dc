"""An operator's change to a plan ("make it 10%", "only 200 households", "改成9折").

The change is read by the same readers as a request, and only what it states overrides the
plan: "budget 1500" touches the budget and nothing else. Every change is recorded in the
plan's assumptions as "revised (...): field old -> new", questions the change answers are
retired, and the value-dependent checks (budget cap, audience size, missing discount) run
again. A change nobody can read leaves the plan as it was and asks, rather than guessing.
"""

from __future__ import annotations

import re
from typing import Any

from coupondesk.agent.planning.demographics import read_demographics
from coupondesk.agent.planning.parsing import (
    FIELD_LABELS,
    RequestFacts,
    question_label,
    read_request,
)
from coupondesk.agent.planning.planner import (
    DEFAULT_NOTES,
    Findings,
    clean_request,
    finish,
    note_demographics,
    resolve_scopes,
    settle_cap,
)
from coupondesk.agent.planning.scope_phrases import find_scope_phrases
from coupondesk.agent.planning.scope_resolution import ScopeResolver
from coupondesk.tools.campaigns.plan import Audience, CampaignPlan
from coupondesk.tools.llm import ChatModel
from coupondesk.tools.policy.quantities import find_claims, format_number
from coupondesk.tools.policy.rules import Policy
from sqlalchemy.orm import Session

_I = re.IGNORECASE
_NO_CAP = re.compile(
    r"(?<![a-z])(?:no|drop\s+the|remove\s+the|without\s+(?:a|the)|lift\s+the)\s+"
    r"(?:size\s+)?(?:cap|limit|maximum)(?![a-z])|any\s+number\s+of\s+households|不限人数|不限人數",
    _I,
)
_BARE_VALUE = re.compile(
    r"^\s*(?:(?:make|set|change)\s+(?:it|the\s+discount|the\s+offer)\s+(?:to\s+)?|改成|改为|改為)"
    r"\s*\x00\s*(?:instead)?\s*[.!]?\s*$",
    _I,
)


def _show(value: Any) -> str:
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]" if value else "store-wide"
    return str(value)


def _bare_discount(change: str, plan: CampaignPlan) -> float | None:
    """"make it 12": one bare number, read in the plan's own discount kind."""
    claims = find_claims(change)
    if len(claims) != 1 or claims[0].kind != "other_number" or claims[0].value is None:
        return None
    start, end = claims[0].span
    masked = change[:start] + "\x00" * (end - start) + change[end:]
    masked = re.sub("\x00+", "\x00", masked)
    return claims[0].value if _BARE_VALUE.match(masked) else None


def _updates_from_facts(facts: RequestFacts, plan: CampaignPlan) -> dict[str, Any]:
    """Dotted plan field -> new value, for every field the change states."""
    updates: dict[str, Any] = {}
    if facts.offer_value is not None and facts.offer_kind is not None:
        updates["offer.kind"] = facts.offer_kind
        updates["offer.value"] = facts.offer_value
    if facts.no_minimum:
        updates["offer.min_spend"] = None
    elif facts.min_spend is not None:
        updates["offer.min_spend"] = facts.min_spend
    simple = {
        "offer.valid_days": facts.valid_days,
        "budget": facts.budget,
        "audience.lapsed_days": facts.lapsed_days,
        "audience.active_days": facts.active_days,
        "audience.min_spend": facts.audience_min_spend,
        "audience.spend_window_days": facts.spend_window_days,
        "audience.max_size": facts.max_size,
    }
    updates.update({name: value for name, value in simple.items() if value is not None})
    if facts.max_discount is not None:
        updates["offer.max_discount"] = facts.max_discount
    if facts.budget_mode is not None:
        updates["budget_mode"] = facts.budget_mode
    if facts.top_spenders and not plan.audience.top_spenders:
        updates["audience.top_spenders"] = True
    return updates


def _apply(
    plan: CampaignPlan, updates: dict[str, Any]
) -> tuple[CampaignPlan, list[str], float | None]:
    """The plan with the updates, "field old -> new" for each change, and the cap to keep."""
    offer = plan.offer.model_dump()
    audience = plan.audience.model_dump()
    top: dict[str, Any] = {"budget": plan.budget, "budget_mode": plan.budget_mode}
    changed: list[str] = []
    for name, value in updates.items():
        section, _, key = name.partition(".")
        target = offer if section == "offer" else audience if section == "audience" else top
        key = key or section
        if target.get(key) != value:
            changed.append(f"{name} {_show(target.get(key))} -> {_show(value)}")
            target[key] = value
    cap = offer.pop("max_discount", None)
    if offer["kind"] != plan.offer.kind and "offer.max_discount" not in updates:
        cap = None  # a new kind starts without the old cap (settle_cap may add the default)
    revised = type(plan.offer).model_validate(offer)
    return plan.model_copy(update={
        "offer": revised,
        "audience": Audience.model_validate(audience),
        "budget": top["budget"],
        "budget_mode": top["budget_mode"],
    }), changed, cap


def _revise_depth_choice(plan: CampaignPlan, text: str, value_stated: bool, policy: Policy,
                         found: Findings) -> CampaignPlan:
    """A change with a range or "best depth" asks for depths per household; a change that
    states one depth fixes it again (the old depth note goes either way)."""
    from coupondesk.agent.planning.depth_words import read_depth_choice
    from coupondesk.agent.planning.planner import depth_range_offer

    choice, kind = read_depth_choice(text)
    if choice.mode == "fixed" and not value_stated:
        return plan
    kept = [a for a in plan.assumptions if not a.startswith("depth per household:")]
    offer = plan.offer
    if choice.mode != "fixed":
        offer = depth_range_offer(offer.model_copy(update={"kind": kind or offer.kind}), choice,
                             policy, found)
    return plan.model_copy(update={"depth_choice": choice, "offer": offer, "assumptions": kept})


def revise_plan(
    plan: CampaignPlan,
    change: str,
    *,
    session: Session,
    policy: Policy,
    llm: ChatModel | None = None,
) -> CampaignPlan:
    """The plan with the operator's change applied (see the module docstring).

    `llm` is accepted for symmetry with plan_request; a change is short enough that the rules
    and the catalog read it, and an unreadable change is asked about instead.
    """
    text = clean_request(change, kind="change")
    facts = read_request(text)
    found = Findings(notes=list(facts.notes), asks=list(facts.asks), issues=list(facts.issues))
    updates = _updates_from_facts(facts, plan)
    bare = _bare_discount(text, plan) if "offer.value" not in updates else None
    if bare is not None:
        updates["offer.value"] = bare
        found.note(f"\"{text}\" read as {_show(bare)}"
                   f"{'%' if plan.offer.kind == 'percent_off' else ' off'} (the plan's kind)")
    if _NO_CAP.search(text):
        updates["audience.max_size"] = None

    demographics = read_demographics(text, session)
    note_demographics(demographics, found)
    if demographics.filter is not None:
        updates["audience.demographics"] = demographics.filter.model_dump()
    reading = find_scope_phrases(text, quantity_spans=[*facts.quantity_spans, *demographics.spans],
                                 offer_spans=facts.offer_spans, language=facts.language)
    scopes = resolve_scopes(reading, ScopeResolver(session), found, revision=True)
    if reading.storewide and scopes.offer.empty:
        updates["offer.departments"], updates["offer.categories"] = [], []
    elif not scopes.offer.empty:
        updates["offer.departments"] = scopes.offer.departments
        updates["offer.categories"] = scopes.offer.categories
    if not scopes.audience.empty:
        updates["audience.departments"] = scopes.audience.departments
        updates["audience.categories"] = scopes.audience.categories
        updates["audience.lapsed_in_scope"] = scopes.audience_not_bought and (
            updates.get("audience.lapsed_days", plan.audience.lapsed_days) is not None
        )

    revised, changed, cap = _apply(plan, updates)
    revised = _revise_depth_choice(revised, text, "offer.value" in updates, policy, found)
    stated_cap = cap if cap is not None and "offer.max_discount" in updates else None
    revised = revised.model_copy(update={"offer": settle_cap(
        revised.offer.model_copy(update={"max_discount": None if stated_cap else cap}),
        stated_cap, policy, found)})
    fields = set(updates)
    if {"offer.departments", "offer.categories"} & fields:
        fields.add("offer.scope")
    if {"audience.departments", "audience.categories"} & fields:
        fields.add("audience.scope")
    answered = {FIELD_LABELS[name] for name in fields if name in FIELD_LABELS}
    answered.add(FIELD_LABELS["revision"])
    stale = tuple(prefix for name, prefix in DEFAULT_NOTES.items() if name in fields)
    revised = revised.model_copy(update={
        "assumptions": [a for a in revised.assumptions
                        if not (stale and a.startswith(stale))]
    })
    kept = [q for q in plan.questions if question_label(q) not in answered]
    found.asks = [a for a in found.asks if a.text not in kept]
    if not updates and not found.asks:
        found.ask("revision", f"could not read \"{text}\" as a change; say e.g. \"make it 10%\", "
                              "\"only 200 households\", \"budget 1500\" or \"valid two weeks\"")
    if changed:
        found.note(f"revised (\"{text}\"): " + "; ".join(changed))
    elif updates:
        found.note(f"revised (\"{text}\"): nothing changed")
    revised = revised.model_copy(update={"questions": kept, "errors": [
        e for e in plan.errors if not (e.rule == "offer_unsupported" and "offer.value" in updates)
    ]})
    return finish(revised, policy, found)
