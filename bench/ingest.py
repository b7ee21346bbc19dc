"""Ingest benchmark: coupondesk's bulk load vs a plain `DataFrame.to_sql` of the same tables.

Both load the same prepared tables into a fresh SQLite file in the same run; the ratio is the
figure to watch (absolute seconds depend on the machine and what else it is doing).

    .venv/bin/python bench/ingest.py [--postgres URL]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from coupondesk.tools.data.ingest import (
    LOAD_ORDER,
    ingest_completejourney,
    prepare_tables,
    read_completejourney_tables,
    table_counts,
)
from coupondesk.tools.db.migrate import upgrade
from coupondesk.tools.db.session import get_engine
from sqlalchemy import create_engine


def time_coupondesk(url: str) -> tuple[float, dict[str, int]]:
    """Full `coupondesk setup` data step: read parquet, aggregate, bulk load, index, analyze."""
    engine = get_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    report = ingest_completejourney(engine)
    elapsed = time.perf_counter() - started
    return elapsed, report.row_counts


def time_to_sql(url: str) -> float:
    """Baseline: the same prepared tables through pandas `to_sql` (schema from pandas)."""
    started = time.perf_counter()
    tables = prepare_tables(read_completejourney_tables())
    engine = create_engine(url)
    with engine.begin() as connection:
        for name in LOAD_ORDER:
            tables[name].to_pandas().to_sql(name, connection, index=False, chunksize=50_000)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", help="also load into this (empty) PostgreSQL database")
    args = parser.parse_args()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    with tempfile.TemporaryDirectory() as tmp:
        ours, counts = time_coupondesk(f"sqlite:///{Path(tmp) / 'ours.db'}")
        baseline = time_to_sql(f"sqlite:///{Path(tmp) / 'baseline.db'}")
        with get_engine(f"sqlite:///{Path(tmp) / 'ours.db'}").connect() as connection:
            assert table_counts(connection) == {**table_counts(connection), **counts}
    print(f"{'table':<26}{'rows':>12}")
    for name, count in counts.items():
        print(f"{name:<26}{count:>12,}")
    print()
    print(f"{'load into SQLite':<40}{'seconds':>10}")
    print(f"{'coupondesk ingest (bulk + indexes)':<40}{ours:>10.1f}")
    print(f"{'DataFrame.to_sql baseline (no indexes)':<40}{baseline:>10.1f}")
    print(f"{'speed-up':<40}{baseline / ours:>9.2f}x")
    if args.postgres:
        pg_seconds, _ = time_coupondesk(args.postgres)
        print(f"{'coupondesk ingest into PostgreSQL':<40}{pg_seconds:>10.1f}")


if __name__ == "__main__":
    main()
