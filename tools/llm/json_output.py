"""Getting JSON out of model text: endpoints that ignore `response_format` wrap it in prose.

These helpers only find and parse; whether the value is acceptable is always the caller's
check (a pydantic model), and a None result sends the caller to its deterministic path.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

ModelT = TypeVar("ModelT", bound=BaseModel)

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)


def extract_json(text: str) -> Any | None:
    """The first JSON object or array in `text` (bare, fenced, or inside prose); None if none."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    decoder = json.JSONDecoder()
    for candidate in candidates:
        stripped = candidate.strip()
        try:
            return json.loads(stripped)
        except json.JSONDecodeError:
            pass
        for index, char in enumerate(stripped):
            if char in "{[":
                try:
                    value, _ = decoder.raw_decode(stripped, index)
                    return value
                except json.JSONDecodeError:
                    continue
    return None


def parse_model(text: str, model: type[ModelT]) -> ModelT | None:
    """`text` read as JSON and validated as `model`; None when either step fails."""
    value = extract_json(text)
    if value is None:
        return None
    try:
        return model.model_validate(value)
    except ValidationError:
        return None
