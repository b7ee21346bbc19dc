"""The planner's typical audiences on the full data (1.47M lines): each finds households, and
the size filters hold. Speed is measured by bench/audience.py, never asserted here.

Opt-in: set COUPONDESK_FULL_DB_URL to a fully ingested database, e.g.
`COUPONDESK_FULL_DB_URL=sqlite:////tmp/final/coupondesk.db pytest tests/queries -m slow`.
The database is opened read-only and never written.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from coupondesk.tools.db.readonly import readonly_engine
from coupondesk.tools.queries.segments import data_today, select_audience
from sqlalchemy.orm import Session

FULL_DB_URL = os.environ.get("COUPONDESK_FULL_DB_URL", "")
BENCH = Path(__file__).resolve().parents[2] / "bench" / "audience.py"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not FULL_DB_URL, reason="set COUPONDESK_FULL_DB_URL to a full database"),
]


def _bench() -> ModuleType:
    """bench/audience.py, which owns the list of typical audiences."""
    spec = importlib.util.spec_from_file_location("bench_audience", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BENCH_MODULE = _bench()


@pytest.fixture(scope="module")
def full_session() -> Iterator[Session]:
    engine = readonly_engine(FULL_DB_URL)
    with Session(engine) as session:
        yield session
        session.rollback()
    engine.dispose()


@pytest.mark.parametrize("name", list(BENCH_MODULE.TYPICAL_AUDIENCES))
def test_typical_audience_finds_households(full_session: Session, name: str) -> None:
    audience = BENCH_MODULE.TYPICAL_AUDIENCES[name]
    households = select_audience(full_session, audience, today=data_today(full_session))
    assert households, name
    assert len(set(households)) == len(households)
    if audience.max_size is not None:
        assert len(households) <= audience.max_size
