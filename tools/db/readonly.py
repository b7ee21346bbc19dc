"""Read-only access for commands that must not write (`plan`, benches, full-data checks).

SQLite is opened in `mode=ro`, PostgreSQL in read-only transactions; a missing or empty
database is one NotReadyError telling the operator to run `coupondesk setup`, never a newly
created empty file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from coupondesk.tools.db.schema import Product
from coupondesk.tools.db.session import get_engine, is_sqlite
from coupondesk.tools.errors import NotReadyError
from sqlalchemy import Engine, create_engine, func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

NOT_SET_UP = "the database is not set up: run `coupondesk setup`"


def readonly_engine(url: str) -> Engine:
    """An engine that cannot write: SQLite opened with mode=ro, others with read-only sessions.

    A SQLite file that does not exist is reported instead of being created empty.
    """
    if is_sqlite(url):
        database = make_url(url).database
        if not database or database == ":memory:" or not Path(database).expanduser().is_file():
            raise NotReadyError(NOT_SET_UP)
        uri = Path(database).expanduser().resolve().as_uri() + "?mode=ro"
        return create_engine(
            "sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False)
        )
    return get_engine(url).execution_options(postgresql_readonly=True)


@contextmanager
def readonly_session(url: str) -> Iterator[Session]:
    """A session on a read-only engine whose catalog is loaded (else NotReadyError)."""
    engine = readonly_engine(url)
    try:
        with Session(engine) as session:
            try:
                loaded = inspect(session.connection()).has_table("products") and bool(
                    session.execute(select(func.count()).select_from(Product)).scalar_one()
                )
            except OperationalError as exc:
                reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
                raise NotReadyError(f"cannot read the database ({reason}); run "
                                    "`coupondesk setup`") from exc
            if not loaded:
                raise NotReadyError(NOT_SET_UP)
            yield session
            session.rollback()
    finally:
        if engine.url.get_backend_name() == "sqlite":
            engine.dispose()
