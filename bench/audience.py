"""Audience query benchmark: `select_audience` per typical request on the full data.

Each typical audience of the planner is selected on the configured (or given) database and
timed; the baseline, measured in the same run, is what any load-then-filter approach pays
before filtering anything: reading the transaction columns an audience needs into pandas. The
ratio says how much the indexed SQL saves. The database is opened read-only.

    .venv/bin/python bench/audience.py [--database-url URL]
"""

from __future__ import annotations

import argparse
import statistics
import time

import pandas as pd
from coupondesk.tools.campaigns.plan import Audience, DemographicFilter
from coupondesk.tools.db.readonly import readonly_engine
from coupondesk.tools.queries.segments import data_today, select_audience
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

FROZEN = ["FRZN MEAT/MEAT DINNERS", "FROZEN PIZZA", "FRZN VEGETABLE/VEG DSH"]
TYPICAL_AUDIENCES: dict[str, Audience] = {
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
"""The planner's typical audiences (the kinds of the dev requests), by what the operator said."""


def time_audience(session: Session, audience: Audience, repeats: int = 3) -> tuple[int, float]:
    """(households, median seconds) of one audience."""
    today = data_today(session)
    times, size = [], 0
    for _ in range(repeats):
        started = time.perf_counter()
        size = len(select_audience(session, audience, today=today))
        times.append(time.perf_counter() - started)
    return size, statistics.median(times)


def time_baseline(engine: Engine) -> float:
    """Seconds to read household, product, time and spend of every transaction line."""
    started = time.perf_counter()
    with engine.connect() as connection:
        frame = pd.read_sql(text(
            "SELECT household_id, product_id, transaction_timestamp, sales_value "
            "FROM transactions"), connection)
    assert len(frame) > 0, "the database has no transactions: run `coupondesk setup`"
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: the configured COUPONDESK database")
    args = parser.parse_args()
    if args.database_url:
        url = args.database_url
    else:
        from coupondesk.settings import load_settings

        url = load_settings().resolved_database_url
    engine = readonly_engine(url)
    baseline = time_baseline(engine)
    print(f"baseline: read the transaction columns into pandas   {baseline * 1000:9.1f} ms")
    print(f"{'audience':40s} {'households':>10s} {'ms':>9s} {'x faster':>9s}")
    slowest = 0.0
    with Session(engine) as session:
        for name, audience in TYPICAL_AUDIENCES.items():
            size, seconds = time_audience(session, audience)
            slowest = max(slowest, seconds)
            print(f"{name:40s} {size:10,d} {seconds * 1000:9.1f} {baseline / seconds:9.1f}")
        session.rollback()
    print(f"slowest audience {slowest * 1000:.1f} ms; "
          f"baseline / slowest = {baseline / slowest:.1f}x")


if __name__ == "__main__":
    main()
