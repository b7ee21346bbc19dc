"""What a capable LLM may add to a rule-read plan: only fields the rules left empty, only if
the request grounds them.

coupondesk.tools.llm.extraction.extract_plan already returns a schema-valid CampaignPlan whose
departments and categories exist in the catalog (or None). That is not enough to trust it: a
model fills `valid_days: 7` or `budget: 1000` because a plan "needs" one. So a number is kept
only when the request states it (the model may choose a number's role, never invent it), and
the planner uses a kept value only where its own rules found nothing. The tiny local model
is not asked at all: it invents numbers and cannot read Chinese (DESIGN.md), and every field
it could answer has a rule-based answer, which wins; on the embedded default the planner is
rules + catalog only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from coupondesk.tools.campaigns.plan import CampaignPlan
from coupondesk.tools.llm import ChatModel
from coupondesk.tools.llm.extraction import extract_plan
from coupondesk.tools.policy.quantities import find_claims


@dataclass
class LLMReading:
    """The LLM's values that passed grounding, and why the others were dropped."""

    values: dict[str, Any] = field(default_factory=dict)
    """Dotted field name -> value ("offer.value", "audience.categories"...)."""
    rejected: list[str] = field(default_factory=list)


def ask_llm(
    llm: ChatModel,
    request: str,
    *,
    today: date,
    departments: list[str],
    categories: list[str],
) -> CampaignPlan | None:
    """A capable endpoint's plan for the request (None when not capable, failed or invalid)."""
    if not llm.capable:
        return None
    return extract_plan(llm, request, today=today.isoformat(), departments=departments,
                        categories=categories)


def _stated_numbers(request: str) -> list[float]:
    return [c.value for c in find_claims(request) if c.value is not None]


def _grounded(value: float, numbers: list[float]) -> bool:
    return math.isfinite(value) and any(abs(value - n) < 0.005 for n in numbers)


def ground_llm_plan(plan: CampaignPlan, request: str) -> LLMReading:
    """The LLM plan's values the request supports (see the module docstring)."""
    reading = LLMReading()
    numbers = _stated_numbers(request)

    def number(name: str, value: float | None) -> None:
        if value is None:
            return
        if value <= 0 or not _grounded(float(value), numbers):
            reading.rejected.append(f"{name}={value} (not a number the request states)")
            return
        reading.values[name] = value

    offer, audience = plan.offer, plan.audience
    number("offer.value", offer.value)
    if "offer.value" in reading.values:
        reading.values["offer.kind"] = offer.kind
    number("offer.min_spend", offer.min_spend)
    number("offer.valid_days", offer.valid_days)
    number("audience.lapsed_days", audience.lapsed_days)
    number("audience.active_days", audience.active_days)
    number("audience.min_spend", audience.min_spend)
    number("audience.spend_window_days", audience.spend_window_days)
    number("audience.max_size", audience.max_size)
    number("budget", plan.budget)
    for name, names in (
        ("offer.departments", offer.departments), ("offer.categories", offer.categories),
        ("audience.departments", audience.departments),
        ("audience.categories", audience.categories),
    ):
        if names:
            reading.values[name] = list(names)
    if audience.top_spenders:
        reading.values["audience.top_spenders"] = True
    return reading
