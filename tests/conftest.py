"""Shared fixtures: an isolated COUPONDESK_HOME, and a real slice of The Complete Journey
loaded into SQLite (always) and PostgreSQL (when reachable).

The slice is every 8th household (~310 households, ~180k transaction lines): small enough for
CI, real enough that queries, models and the agent see genuine behaviour.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

SLICE_HOUSEHOLDS: frozenset[int] = frozenset(range(8, 2501, 8))
PG_ADMIN_URL = os.environ.get(
    "COUPONDESK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own COUPONDESK_HOME and the scripted LLM (llm's env_setup)."""
    home = tmp_path / "coupondesk-home"
    monkeypatch.setenv("COUPONDESK_HOME", str(home))
    monkeypatch.setenv("COUPONDESK_LLM_BACKEND", "fake")
    for name in ("COUPONDESK_DATABASE_URL", "COUPONDESK_CONFIG", "COUPONDESK_TODAY",
                 "COUPONDESK_POLICY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    return home


def _load_slice(engine: Engine) -> None:
    from coupondesk.tools.data.ingest import ingest_completejourney
    from coupondesk.tools.db.migrate import upgrade

    upgrade(engine)
    ingest_completejourney(engine, households=set(SLICE_HOUSEHOLDS))


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite file holding the real-data slice (built once per test session)."""
    from coupondesk.tools.db.session import get_engine

    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'slice.db'}"
    _load_slice(get_engine(url))
    return url


def _pg_reachable() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return None
    except Exception as exc:  # pragma: no cover - depends on the machine
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {str(exc).splitlines()[0]}"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """URL template of a scratch PostgreSQL database factory.

    Skips when PostgreSQL is absent on a developer's machine; fails under CI=true, where the
    PostgreSQL tests must run.
    """
    reason = _pg_reachable()
    if reason and os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: PostgreSQL tests must run, not skip)", pytrace=False)
    if reason:
        pytest.skip(reason)
    yield PG_ADMIN_URL


def make_pg_database(admin_url: str) -> tuple[str, str]:
    """Create a uniquely named scratch database so parallel runs never collide."""
    from sqlalchemy.engine import make_url

    name = f"coupondesk_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    return name, url


def drop_pg_database(admin_url: str, name: str) -> None:
    from coupondesk.tools.db.session import get_engine

    get_engine.cache_clear()
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_url(pg_server: str) -> Iterator[str]:
    """A scratch PostgreSQL database holding the same real-data slice, dropped afterwards."""
    from coupondesk.tools.db.session import get_engine

    name, url = make_pg_database(pg_server)
    try:
        _load_slice(get_engine(url))
        yield url
    finally:
        drop_pg_database(pg_server, name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """The slice database, once on SQLite and once on PostgreSQL (skipped when absent)."""
    fixture = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(fixture))


def _clone_pg(admin_url: str, template_url: str) -> tuple[str, str]:
    """A new database copied from the slice database (fast: CREATE DATABASE ... TEMPLATE)."""
    from coupondesk.tools.db.session import get_engine
    from sqlalchemy.engine import make_url

    template = make_url(template_url).database
    get_engine(template_url).dispose()  # a template must have no open connections
    name = f"coupondesk_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        # A template must have no other sessions (e.g. a checkpointer's or a pool's leftovers).
        connection.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                 "WHERE datname = :template AND pid <> pg_backend_pid()"),
            {"template": template},
        )
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()
    return name, make_url(admin_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A private, writable copy of the slice database (campaigns, coupons...), per test."""
    import shutil

    from sqlalchemy.engine import make_url

    if request.param == "sqlite":
        from coupondesk.tools.db.session import get_engine

        source_url = str(request.getfixturevalue("sqlite_url"))
        with get_engine(source_url).connect() as connection:  # fold the WAL into the file
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        source = make_url(source_url).database
        assert source is not None
        target = tmp_path / "fresh.db"
        shutil.copyfile(source, target)
        yield f"sqlite:///{target}"
        return
    admin = request.getfixturevalue("pg_server")
    name, url = _clone_pg(admin, str(request.getfixturevalue("pg_url")))
    try:
        yield url
    finally:
        drop_pg_database(admin, name)
