"""select_audience stays under a second on the full data (1.47M lines), for typical requests.

Opt-in: set COUPONDESK_FULL_DB_URL to a fully ingested database, e.g.
`COUPONDESK_FULL_DB_URL=sqlite:////tmp/ing.db pytest tests/queries/test_full_data_timing.py -s`.
The database is opened read-only and never written.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tools.plan import Audience, DemographicFilter
from tools.segments import data_today, select_audience

FULL_DB_URL = os.environ.get("COUPONDESK_FULL_DB_URL", "")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not FULL_DB_URL, reason="set COUPONDESK_FULL_DB_URL to a full database"),
]

FROZEN = ["FRZN MEAT/MEAT DINNERS", "FROZEN PIZZA", "FRZN VEGETABLE/VEG DSH"]
TYPICAL: dict[str, Audience] = {
    "haven't shopped in 40 days": Audience(lapsed_days=40),
    "deli shoppers": Audience(departments=["DELI"]),
    "bought cookies in the last 30 days": Audience(
        active_days=30, categories=["COOKIES/CONES", "COOKIES"]
    ),
    "lapsed 100+ days": Audience(lapsed_days=100),
    "hair care buyers": Audience(categories=["HAIR CARE PRODUCTS"]),
    "300 biggest spenders": Audience(top_spenders=True, max_size=300),
    "produce regulars": Audience(departments=["PRODUCE"]),
    "spent $300 in 60 days": Audience(min_spend=300, spend_window_days=60),
    "frozen food buyers": Audience(categories=FROZEN),
    "bought diapers": Audience(categories=["DIAPERS & DISPOSABLES"]),
    "active last month": Audience(active_days=30),
    "no crackers for 2 months": Audience(
        lapsed_days=60, lapsed_in_scope=True, categories=["CRACKERS/MISC BKD FD"]
    ),
    "grocery, 90 days, $100, families": Audience(
        departments=["GROCERY"],
        active_days=90,
        min_spend=100,
        demographics=DemographicFilter(has_kids=True),
    ),
}


@pytest.fixture(scope="module")
def full_session() -> Iterator[Session]:
    url = make_url(FULL_DB_URL)
    if url.get_backend_name() == "sqlite":
        engine = create_engine(f"sqlite:///file:{url.database}?mode=ro&uri=true")
    else:
        engine = create_engine(url)
    with Session(engine) as session:
        yield session
        session.rollback()
    engine.dispose()


@pytest.mark.parametrize("name", list(TYPICAL))
def test_select_audience_under_a_second(full_session: Session, name: str) -> None:
    today = data_today(full_session)
    started = time.perf_counter()
    households = select_audience(full_session, TYPICAL[name], today=today)
    elapsed = time.perf_counter() - started
    print(f"\n{name:36s} {len(households):5d} households {elapsed * 1000:7.1f} ms")
    assert households
    assert elapsed < 1.0
