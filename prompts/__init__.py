"""Jinja2 prompt and copy templates, rendered through one helper.

StrictUndefined makes a missing variable an error at render time instead of an empty string
silently reaching a model or a customer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

PROMPTS_DIR = Path(__file__).parent

_env = Environment(
    loader=FileSystemLoader(PROMPTS_DIR),
    undefined=StrictUndefined,
    keep_trailing_newline=False,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=False,
)


def _quote_data(value: Any) -> str:
    """Render database text as an inert quoted literal: data for the model, not instructions."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return f'"{text}"'


_env.filters["data"] = _quote_data


def render(name: str, **variables: Any) -> str:
    """Render template `name` (e.g. "copy_hook.md.j2"); a missing variable raises UndefinedError."""
    return _env.get_template(name).render(**variables).strip()


def template_names() -> list[str]:
    """Every template shipped in this package, for tests and docs."""
    return sorted(p.name for p in PROMPTS_DIR.glob("*.j2"))
