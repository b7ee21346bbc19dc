"""The checkpointer that keeps every campaign's thread: a paused proposal survives a restart.

SQLite file under COUPONDESK_HOME by default; the coupon database itself when it is PostgreSQL
(so a deployment has one database to back up).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from coupondesk.tools.db.session import is_postgres
from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy.engine import make_url

from coupondesk.settings import Settings


def libpq_url(sqlalchemy_url: str) -> str:
    """postgresql+psycopg://u:p@h/db -> postgresql://u:p@h/db (what psycopg.connect accepts)."""
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


@contextmanager
def open_checkpointer(settings: Settings) -> Iterator[BaseCheckpointSaver[Any]]:
    """A ready checkpointer for the configured database; closed when the block ends."""
    url = settings.resolved_database_url
    if is_postgres(url):
        from langgraph.checkpoint.postgres import PostgresSaver

        with PostgresSaver.from_conn_string(libpq_url(url)) as saver:
            saver.setup()
            yield saver
        return
    import sqlite3

    from langgraph.checkpoint.sqlite import SqliteSaver

    settings.home.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(str(settings.checkpoints_path), check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA busy_timeout=30000")
    try:
        sqlite_saver = SqliteSaver(connection)
        sqlite_saver.setup()
        yield sqlite_saver
    finally:
        connection.close()
