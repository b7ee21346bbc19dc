"""Migrations go up and down cleanly, and the schema enforces what money depends on."""

from __future__ import annotations

import pytest
from coupondesk.tools.db.migrate import current_revision, downgrade, head_revision, upgrade
from coupondesk.tools.db.schema import Base
from coupondesk.tools.db.session import get_engine
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from tests.conftest import drop_pg_database, make_pg_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    admin = request.getfixturevalue("pg_server")
    name, url = make_pg_database(admin)
    try:
        yield url
    finally:
        drop_pg_database(admin, name)


def test_upgrade_downgrade_upgrade(empty_url: str) -> None:
    engine = get_engine(empty_url)
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    downgrade(engine, "base")
    assert current_revision(engine) is None
    assert not set(Base.metadata.tables) & set(inspect(engine).get_table_names())
    upgrade(engine)
    upgrade(engine)  # at head: a no-op
    assert current_revision(engine) == head_revision(engine)


def _seed_campaign(connection) -> None:  # type: ignore[no-untyped-def]
    connection.execute(text("INSERT INTO households (household_id) VALUES (1), (2)"))
    connection.execute(
        text("INSERT INTO campaigns (id, request, status, plan_json, created_by) "
             "VALUES (1, 'r', 'dispatched', '{}', 'op')")
    )


def _coupon(code: str, household: int, value: float = 5.0) -> str:
    return (
        "INSERT INTO issued_coupons (code, campaign_id, household_id, kind, value, departments,"
        f" categories, valid_from, valid_to, status) VALUES ('{code}', 1, {household},"
        f" 'amount_off', {value}, '[]', '[]', '2018-01-01', '2018-01-08', 'issued')"
    )


def test_schema_constraints(empty_url: str) -> None:
    engine = get_engine(empty_url)
    upgrade(engine)
    with engine.begin() as connection:
        _seed_campaign(connection)
        connection.execute(text(_coupon("AAAA", 1)))
    for bad in (
        _coupon("AAAA", 2),  # duplicate code
        _coupon("BBBB", 1),  # second coupon for (campaign, household)
        _coupon("CCCC", 2, value=-1),  # negative money
        _coupon("DDDD", 999),  # unknown household (foreign key)
    ):
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(text(bad))


def test_audit_log_is_append_only(empty_url: str) -> None:
    engine = get_engine(empty_url)
    upgrade(engine)
    with engine.begin() as connection:
        _seed_campaign(connection)
        connection.execute(
            text("INSERT INTO audit_log (actor, campaign_id, action, detail) "
                 "VALUES ('op', 1, 'proposed', '{}')")
        )
    for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT actor FROM audit_log")).scalar_one() == "op"


def test_budget_account_cannot_overcommit(empty_url: str) -> None:
    engine = get_engine(empty_url)
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO budget_accounts (name, limit_amount, committed) "
                 "VALUES ('2018-01', 100, 0)")
        )
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(text("UPDATE budget_accounts SET committed = 100.01"))


def test_migrations_match_the_orm_schema(empty_url: str) -> None:
    """schema.py and the migrations never drift apart (what autogenerate would write is empty)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = get_engine(empty_url)
    upgrade(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
