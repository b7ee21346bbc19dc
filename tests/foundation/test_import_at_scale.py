"""`coupondesk import` of a synth retailer: COPY on PostgreSQL, batches, indexes rebuilt.

The same small synth output goes into SQLite (executemany) and PostgreSQL (COPY): both must
hold the same rows as the files and as each other, with the schema's indexes intact after the
drop-and-rebuild path (forced here with a low threshold).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from coupondesk.tools.data import importer, ingest
from coupondesk.tools.data.importer import import_directory
from coupondesk.tools.data.ingest import SOURCE_TO_TABLE, table_counts
from coupondesk.tools.data.synth import synthesize
from coupondesk.tools.db.migrate import upgrade
from coupondesk.tools.db.schema import RETAILER_TABLES, Base
from coupondesk.tools.db.session import get_engine
from coupondesk.tools.errors import BadInputError
from sqlalchemy import Engine, inspect, select

from tests.conftest import drop_pg_database, make_pg_database

HOUSEHOLDS = 30


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "shop"
    synthesize(out, HOUSEHOLDS, seed=11)
    return out


def _indexes(engine: Engine) -> dict[str, list[tuple[str, tuple[str, ...], bool]]]:
    found = inspect(engine)
    return {
        name: sorted(
            (str(i["name"]), tuple(str(c) for c in i["column_names"]), bool(i["unique"]))
            for i in found.get_indexes(name)
        )
        for name in RETAILER_TABLES
    }


def _empty_database(kind: str, directory: Path, admin: str | None) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite:///{directory / 'scale.db'}", None
    assert admin is not None
    name, url = make_pg_database(admin)
    return url, name


@pytest.fixture(scope="module", params=["sqlite",
                                        pytest.param("postgres", marks=pytest.mark.postgres)])
def imported(
    request: pytest.FixtureRequest, synth_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Engine, dict[str, object]]]:
    """The synth files imported into an empty database, indexes dropped and rebuilt."""
    admin = request.getfixturevalue("pg_server") if request.param == "postgres" else None
    url, name = _empty_database(request.param, tmp_path_factory.mktemp("db"), admin)
    try:
        engine = get_engine(url)
        upgrade(engine)
        before = _indexes(engine)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(ingest, "REBUILD_INDEXES_FROM_ROWS", 1_000)
            patch.setattr(importer, "BATCH_ROWS", 5_000)  # several batches into one COPY
            steps: list[str] = []
            report = import_directory(engine, synth_dir, lambda s, _d, _t: steps.append(s))
        yield request.param, engine, {"before": before, "report": report, "steps": steps}
    finally:
        if name is not None and admin is not None:
            drop_pg_database(admin, name)


def test_import_counts_match_the_files(imported: tuple[str, Engine, dict[str, object]],
                                       synth_dir: Path) -> None:
    _kind, engine, facts = imported
    with engine.connect() as connection:
        counts = table_counts(connection)
    for source, table in SOURCE_TO_TABLE.items():
        assert counts[table] == pq.ParquetFile(synth_dir / f"{source}.parquet").metadata.num_rows
    assert counts["households"] == HOUSEHOLDS
    assert "indexing transactions" in facts["steps"]  # type: ignore[operator]


def test_indexes_are_the_schemas_after_import(
    imported: tuple[str, Engine, dict[str, object]]
) -> None:
    _kind, engine, facts = imported
    after = _indexes(engine)
    assert after == facts["before"]
    assert {i[0] for i in after["transactions"]} == {
        str(i.name) for i in Base.metadata.tables["transactions"].indexes
    }


def _contents(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    rows: dict[str, list[tuple[object, ...]]] = {}
    with engine.connect() as connection:
        for name in RETAILER_TABLES:
            table = Base.metadata.tables[name]
            rows[name] = [tuple(r) for r in connection.execute(
                select(table).order_by(*table.columns)
            )]
    return rows


@pytest.mark.postgres
def test_copy_on_postgres_gives_the_rows_sqlite_gets(
    synth_dir: Path, tmp_path: Path, pg_server: str
) -> None:
    sqlite = get_engine(f"sqlite:///{tmp_path / 'reference.db'}")
    name, url = make_pg_database(pg_server)
    try:
        postgres = get_engine(url)
        for engine in (sqlite, postgres):
            upgrade(engine)
            import_directory(engine, synth_dir)
        assert _contents(postgres) == _contents(sqlite)
    finally:
        drop_pg_database(pg_server, name)


def _break(synth_dir: Path, target: Path, rows: list[int]) -> Path:
    """A copy of the synth files whose transactions have negative sales at `rows` (0-based)."""
    target.mkdir()
    for path in synth_dir.iterdir():
        (target / path.name).write_bytes(path.read_bytes())
    tx = pq.read_table(synth_dir / "transactions.parquet")
    sales = tx["sales_value"].to_numpy().copy()
    sales[rows] = -1.0
    column = tx.column_names.index("sales_value")
    pq.write_table(tx.set_column(column, "sales_value", pa.array(sales)),
                   target / "transactions.parquet")
    return target


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_bad_row_in_a_late_batch_loads_nothing(
    kind: str, synth_dir: Path, tmp_path: Path, request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken = _break(synth_dir, tmp_path / "broken", [12_000, 15_000])
    admin = request.getfixturevalue("pg_server") if kind == "postgres" else None
    url, name = _empty_database(kind, tmp_path, admin)
    try:
        engine = get_engine(url)
        upgrade(engine)
        before = _indexes(engine)
        monkeypatch.setattr(importer, "BATCH_ROWS", 4_000)  # rows 1-8,000 are written first
        monkeypatch.setattr(ingest, "REBUILD_INDEXES_FROM_ROWS", 1_000)
        with pytest.raises(BadInputError) as caught:
            import_directory(engine, broken)
        assert str(caught.value).startswith(
            "transactions.parquet line 12001: sales_value -1.0 is negative (and 1 more bad rows)"
        )
        with engine.connect() as connection:
            assert set(table_counts(connection).values()) == {0}
        assert _indexes(engine) == before
    finally:
        if name is not None and admin is not None:
            drop_pg_database(admin, name)


def test_synthetic_data_is_never_mixed_into_other_data(synth_dir: Path, tmp_path: Path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'mixed.db'}")
    upgrade(engine)
    other = tmp_path / "other"
    synthesize(other, 3, seed=12)
    import_directory(engine, other)
    with pytest.raises(BadInputError, match="synthetic data"):
        import_directory(engine, synth_dir)
    with engine.connect() as connection:
        households = table_counts(connection)["households"]
    assert households == 3
    assert pc.sum(pq.read_table(other / "transactions.parquet")["quantity"]).as_py() > 0
