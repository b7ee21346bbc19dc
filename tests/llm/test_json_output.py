"""Reading JSON out of model text, then validating it: None sends the caller to its fallback."""

from __future__ import annotations

import pytest
from coupondesk.tools.llm.json_output import extract_json, parse_model
from pydantic import BaseModel


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ('{"a": 1}', {"a": 1}),
        ('Sure! ```json\n{"a": 1}\n```', {"a": 1}),
        ('The plan is {"a": [1, 2]} as asked.', {"a": [1, 2]}),
        ("[1, 2]", [1, 2]),
        ("no json here", None),
        ('{"a": 1', None),
    ],
)
def test_extract_json(raw: str, value: object) -> None:
    assert extract_json(raw) == value


class Answer(BaseModel):
    kind: str
    value: float


def test_parse_model_validates() -> None:
    assert parse_model('{"kind": "percent_off", "value": 15}', Answer) == Answer(
        kind="percent_off", value=15
    )
    assert parse_model('{"kind": "percent_off"}', Answer) is None
    assert parse_model("fifteen percent", Answer) is None
