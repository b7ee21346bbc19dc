"""Engines and sessions for any SQLAlchemy URL (SQLite by default, PostgreSQL in deployment).

SQLite gets the pragmas a multi-process app needs: foreign keys enforced, WAL so the TUI can
read while a worker writes, and a busy timeout instead of instant "database is locked".
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from coupondesk.tools.errors import ConfigError, NotReadyError
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker


def is_sqlite(url: str) -> bool:
    """True for sqlite URLs (which serialise writers instead of locking rows)."""
    return make_url(url).get_backend_name() == "sqlite"


def is_postgres(url: str) -> bool:
    """True for PostgreSQL URLs of any driver."""
    return make_url(url).get_backend_name() == "postgresql"


def _normalise(url: str) -> str:
    """Use psycopg 3 for bare postgresql:// URLs (psycopg2 is not a dependency)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """A new engine for `url`, owned (and disposed) by the caller."""
    try:
        normalised = _normalise(url)
        parsed = make_url(normalised)
    except ArgumentError as exc:
        raise ConfigError(f"invalid database URL {url!r}: {exc}") from exc
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(normalised, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    """One shared engine per URL per process, for callers that do not own one."""
    return make_engine(url)


def check_reachable(engine: Engine) -> None:
    """Fail with one clear line when the database cannot be reached."""
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        shown = engine.url.render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise NotReadyError(f"database {shown} is unreachable: {reason}") from exc


def session_factory(url: str) -> sessionmaker[Session]:
    """A sessionmaker bound to the URL's engine; expire_on_commit off so rows outlive commits."""
    return sessionmaker(bind=get_engine(url), expire_on_commit=False)
