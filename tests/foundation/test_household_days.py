"""`household_days` says exactly what the lines say, after setup, an import, a failed import
and the migration (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from coupondesk.tools.data.importer import import_directory
from coupondesk.tools.db.migrate import downgrade, upgrade
from coupondesk.tools.db.session import get_engine
from coupondesk.tools.errors import BadInputError
from sqlalchemy import Engine, text

from tests.foundation.test_importer import TX_HEADER, _write_shop


def _from_lines(engine: Engine) -> pd.DataFrame:
    """The reference: every line read and grouped in pandas."""
    with engine.connect() as connection:
        lines = pd.read_sql(text("SELECT household_id, basket_id, sales_value, "
                                 "transaction_timestamp FROM transactions"), connection)
    lines["day"] = pd.to_datetime(lines["transaction_timestamp"], format="ISO8601").dt.date
    grouped = lines.groupby(["household_id", "day"]).agg(
        spend=("sales_value", "sum"), baskets=("basket_id", "nunique"),
        lines=("sales_value", "size")).reset_index()
    return grouped.sort_values(["household_id", "day"], ignore_index=True)


def _table(engine: Engine) -> pd.DataFrame:
    with engine.connect() as connection:
        rows = pd.read_sql(text("SELECT household_id, day, spend, baskets, lines "
                                "FROM household_days"), connection)
    rows["day"] = pd.to_datetime(rows["day"]).dt.date
    return rows.sort_values(["household_id", "day"], ignore_index=True)


def _assert_matches_lines(engine: Engine) -> None:
    expected, actual = _from_lines(engine), _table(engine)
    assert len(actual) == len(expected) > 0
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False, rtol=1e-9)


def test_setup_builds_household_days_from_the_lines(db_url: str) -> None:
    engine = get_engine(db_url)
    _assert_matches_lines(engine)
    with engine.connect() as connection:
        lines, days = connection.execute(text(
            "SELECT (SELECT COUNT(*) FROM transactions), (SELECT COUNT(*) FROM household_days)"
        )).one()
    assert days * 3 < lines  # the point of the table: far fewer rows than lines


def _more_lines(directory: Path, *, bad: bool = False) -> None:
    """An existing household's new lines (a new day and a day it already has) and a new one's."""
    directory.mkdir(parents=True)
    rows = [
        "70001,1,10,9000002,1,2.25,0,0,0,1,2018-02-01 18:00:00\n",  # a day 70001 already has
        "70001,1,11,9000001,1,7.99,0,0,0,5,2018-03-01 08:00:00\n",
        "70003,1,12,9000001,3,23.97,0,0,0,5,2018-03-02 12:00:00\n",
    ]
    if bad:
        rows.append("70003,1,13,9000001,1,-1.00,0,0,0,5,2018-03-02 12:00:00\n")
    (directory / "transactions.csv").write_text(TX_HEADER + "".join(rows))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        engine = get_engine(f"sqlite:///{tmp_path / 'days.db'}")
        upgrade(engine)
        yield engine
        return
    from tests.conftest import drop_pg_database, make_pg_database

    server = str(request.getfixturevalue("pg_server"))
    name, url = make_pg_database(server)
    try:
        engine = get_engine(url)
        upgrade(engine)
        yield engine
    finally:
        drop_pg_database(server, name)


def test_a_later_import_recomputes_its_households_and_a_failed_one_nothing(
        empty_engine: Engine, tmp_path: Path) -> None:
    _write_shop(tmp_path / "shop")
    import_directory(empty_engine, tmp_path / "shop")
    _assert_matches_lines(empty_engine)
    before = _table(empty_engine)

    _more_lines(tmp_path / "bad", bad=True)
    with pytest.raises(BadInputError, match="negative"):
        import_directory(empty_engine, tmp_path / "bad")
    pd.testing.assert_frame_equal(_table(empty_engine), before)

    _more_lines(tmp_path / "more")
    import_directory(empty_engine, tmp_path / "more")
    _assert_matches_lines(empty_engine)
    rows = _table(empty_engine).set_index(["household_id", "day"])
    first = rows.loc[(70001, pd.Timestamp("2018-02-01").date())]
    assert (first["baskets"], first["lines"]) == (2, 2)
    assert first["spend"] == pytest.approx(7.99 + 2.25)
    assert rows.loc[(70002, pd.Timestamp("2018-02-10").date())]["lines"] == 1  # untouched


def test_the_migration_builds_the_table_for_a_database_that_has_lines(tmp_path: Path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'migrate.db'}")
    upgrade(engine)
    _write_shop(tmp_path / "shop")
    import_directory(engine, tmp_path / "shop")
    downgrade(engine, "0003")
    upgrade(engine)
    _assert_matches_lines(engine)


def test_scope_rules_on_a_database_without_lines_select_nobody(tmp_path: Path) -> None:
    """Choosing the plan reads the last line's day; with no lines that is no error."""
    from coupondesk.tools.queries.segments import households_bought
    from sqlalchemy.orm import Session

    engine = get_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    upgrade(engine)
    with Session(engine) as session:
        assert households_bought(session, today=pd.Timestamp("2018-03-01").date(),
                                 categories=["COFFEE"], days=30) == []


def _categories(engine: Engine) -> pd.DataFrame:
    with engine.connect() as connection:
        rows = pd.read_sql(text("SELECT * FROM household_categories"), connection)
    return rows.sort_values(["household_id", "department", "product_category"],
                            ignore_index=True)


def test_a_rebuild_in_household_runs_writes_the_same_rows(
        fresh_db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs of 9 households (the slice has hundreds), the last run short: the same tables."""
    from coupondesk.tools.data import aggregates

    engine = get_engine(fresh_db_url)
    days, categories = _table(engine), _categories(engine)
    with engine.connect() as connection:
        households = connection.execute(text("SELECT COUNT(*) FROM households")).scalar_one()
    assert households > 9 * 3
    monkeypatch.setattr(aggregates, "REBUILD_HOUSEHOLDS", 9)
    with engine.begin() as connection:
        assert len(aggregates._household_ranges(connection)) == -(-households // 9)
        written = {t: aggregates.rebuild(connection, t) for t in aggregates.AGGREGATE_TABLES}
    assert written == {"household_days": len(days), "household_categories": len(categories)}
    pd.testing.assert_frame_equal(_table(engine), days)
    pd.testing.assert_frame_equal(_categories(engine), categories)
    _assert_matches_lines(engine)
