"""Ingest loads every row in bulk, once; a second run changes nothing."""

from __future__ import annotations

import pyarrow.compute as pc
import pytest
from coupondesk.tools.data.ingest import (
    ingest_completejourney,
    prepare_tables,
    read_completejourney_tables,
    slice_sources,
    table_counts,
)
from coupondesk.tools.db.migrate import upgrade
from coupondesk.tools.db.session import get_engine
from sqlalchemy import text

from tests.conftest import SLICE_HOUSEHOLDS

FULL_COUNTS = {
    "transactions": 1_469_307,
    "products": 92_331,
    "campaign_receipts": 6_589,
    "retail_coupons": 116_204,
    "coupon_redemptions": 2_102,
    "demographics": 801,
    "retail_campaigns": 27,
    "households": 2_469,
}


def test_slice_counts_match_the_source(db_url: str) -> None:
    expected = prepare_tables(slice_sources(read_completejourney_tables(), set(SLICE_HOUSEHOLDS)))
    with get_engine(db_url).connect() as connection:
        counts = table_counts(connection)
    for name, table in expected.items():
        assert counts[name] == table.num_rows, name
    assert counts["transactions"] > 100_000
    assert counts["coupon_redemptions"] > 100


def test_ingest_is_idempotent(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = get_engine(f"sqlite:///{tmp_path / 'idem.db'}")
    upgrade(engine)
    households = set(list(SLICE_HOUSEHOLDS)[:40])
    first = ingest_completejourney(engine, households=households)
    assert not first.skipped
    with engine.connect() as connection:
        before = table_counts(connection)
        sums = connection.execute(text("SELECT SUM(sales_value) FROM transactions")).scalar_one()
    second = ingest_completejourney(engine, households=households)
    assert second.skipped and second.reason == "already loaded"
    with engine.connect() as connection:
        assert table_counts(connection) == before
        assert (
            connection.execute(text("SELECT SUM(sales_value) FROM transactions")).scalar_one()
            == sums
        )


def test_promotions_are_aggregated_per_category_week() -> None:
    sources = read_completejourney_tables()
    tables = prepare_tables(sources)
    weeks = tables["category_promotion_weeks"]
    assert weeks.num_rows > 10_000
    assert pc.min(weeks["week"]).as_py() >= 1 and pc.max(weeks["week"]).as_py() <= 53
    total_display = pc.sum(weeks["display_rows"]).as_py()
    # Every displayed product x store row whose product is in the catalog is counted once.
    assert 0 < total_display <= sources["promotions"].num_rows


@pytest.mark.slow
def test_full_dataset_arrives_in_sqlite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = get_engine(f"sqlite:///{tmp_path / 'full.db'}")
    upgrade(engine)
    report = ingest_completejourney(engine)
    with engine.connect() as connection:
        counts = table_counts(connection)
    for name, count in FULL_COUNTS.items():
        assert counts[name] == count, name
        assert report.row_counts[name] == count
    assert ingest_completejourney(engine).skipped
