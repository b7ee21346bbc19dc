"""Structured reading of a request by an LLM, for the planner; always validated, None on doubt.

Two sizes: a capable endpoint extracts a whole CampaignPlan (JSON, schema-enforced where the
endpoint can); the small local model only picks one option from a list for a field the rule
parser could not settle. Both return None whenever the answer fails validation, and the
planner's deterministic path decides instead.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from coupondesk.tools.campaigns.plan import CampaignPlan
from coupondesk.tools.errors import LLMError
from coupondesk.tools.llm.chat import ChatModel, user
from coupondesk.tools.llm.json_output import extract_json
from pydantic import ValidationError

from coupondesk import prompts

logger = logging.getLogger(__name__)

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def extract_plan(
    llm: ChatModel,
    request: str,
    *,
    today: str,
    departments: Sequence[str] = (),
    categories: Sequence[str] = (),
) -> CampaignPlan | None:
    """The plan a capable endpoint reads from `request`, or None (invalid JSON, a field that
    fails validation, a department/category not in the given catalog lists, or an LLM error)."""
    prompt = prompts.render(
        "plan_extract.md.j2",
        request=request,
        today=today,
        departments=list(departments),
        categories=list(categories),
    )
    schema = CampaignPlan.model_json_schema()
    try:
        result = llm.complete([user(prompt)], max_tokens=800, temperature=0.0, json_schema=schema)
    except LLMError as error:
        logger.info("LLM plan extraction unavailable: %s", error.message)
        return None
    raw = extract_json(result.text)
    if not isinstance(raw, dict):
        return None
    raw["request"] = request
    try:
        plan = CampaignPlan.model_validate(raw)
    except ValidationError as error:
        logger.info("LLM plan rejected: %s", error.errors()[0]["msg"])
        return None
    if not _names_known(plan.offer.departments, departments) or not _names_known(
        plan.offer.categories, categories
    ):
        return None
    if not _names_known(plan.audience.departments, departments) or not _names_known(
        plan.audience.categories, categories
    ):
        return None
    return plan


def _names_known(names: Sequence[str], catalog: Sequence[str]) -> bool:
    if not catalog:
        return True
    known = {name.upper() for name in catalog}
    return all(name.upper() in known for name in names)


def choose_option(
    llm: ChatModel, request: str, question: str, options: Sequence[str]
) -> str | None:
    """One of `options` as the model answers `question` about `request`; None when the answer
    is not exactly one valid letter or option (the small model's answers need that check)."""
    if not options or len(options) > len(_LETTERS):
        return None
    prompt = prompts.render(
        "plan_extract_field.md.j2", request=request, question=question, options=list(options)
    )
    try:
        result = llm.complete([user(prompt)], max_tokens=6, temperature=0.0, stop=["\n"])
    except LLMError as error:
        logger.info("LLM option choice unavailable: %s", error.message)
        return None
    answer = result.text.strip()
    lettered = re.fullmatch(r"\(?([A-Z])\)?[.)]?(?:\s+(.*))?", answer)
    if lettered:
        index = _LETTERS.index(lettered.group(1))
        if index >= len(options):
            return None
        said = lettered.group(2)
        if said is None or _same(said, options[index]):
            return options[index]
        return None
    matches = [option for option in options if _same(answer, option)]
    return matches[0] if len(matches) == 1 else None


def _same(said: str, option: str) -> bool:
    return said.strip().strip("\"'.").strip().lower() == option.lower()
