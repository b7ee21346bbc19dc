"""Aggregate tables kept in step with `transactions`, so queries need not read every line.

- `household_days`: one row per household and calendar day (spend, baskets, lines), for the
  storewide recency, activity and spend-window rules.
- `household_categories`: the first and last day each household bought in each catalog
  category, for the scope rules ("bought coffee before", "no crackers for 2 months").

Both are written in the same transaction as the lines they summarise: `load_tables` (setup and
import) calls `refresh_aggregates` for the households its load touched, so a reader never sees
lines without their aggregates or the other way round. A first load builds the tables whole
with one INSERT ... SELECT ... GROUP BY each; a later, smaller load recomputes only its
households' rows, which stays exact whatever the new lines are (a new day, or more lines on a
day a household already had). New catalog rows can give old lines a category, so a load that
brings products rebuilds `household_categories` whole.
"""

from __future__ import annotations

from collections.abc import Iterable

from coupondesk.tools.data.frames import IN_BATCH
from sqlalchemy import Connection, bindparam, text

AGGREGATE_TABLES = ("household_days", "household_categories")

_BUILD: dict[str, str] = {
    "household_days": (
        "INSERT INTO household_days (household_id, day, spend, baskets, lines) "
        "SELECT household_id, date(transaction_timestamp), SUM(sales_value), "
        "COUNT(DISTINCT basket_id), COUNT(*) FROM transactions{where} "
        "GROUP BY household_id, date(transaction_timestamp)"
    ),
    "household_categories": (
        "INSERT INTO household_categories "
        "(household_id, department, product_category, first_day, last_day) "
        "SELECT t.household_id, COALESCE(p.department, ''), COALESCE(p.product_category, ''), "
        "MIN(date(t.transaction_timestamp)), MAX(date(t.transaction_timestamp)) "
        "FROM transactions t JOIN products p ON p.product_id = t.product_id{where} "
        "GROUP BY t.household_id, COALESCE(p.department, ''), COALESCE(p.product_category, '')"
    ),
}
_HOUSEHOLD_COLUMN = {"household_days": "household_id", "household_categories": "t.household_id"}

FULL_REBUILD_SHARE = 0.5
"""Above this share of the database's households, rebuilding a whole table is cheaper."""


REBUILD_HOUSEHOLDS = 10_000
"""Households (consecutive ids) per statement of a whole-table rebuild."""


def _household_ranges(connection: Connection) -> list[tuple[int | None, int | None]]:
    """(above, up to) id bounds cutting every household id into runs of REBUILD_HOUSEHOLDS;
    the first is open below and the last open above, so no line is left out."""
    ids = connection.execute(text("SELECT household_id FROM households "
                                  "ORDER BY household_id")).scalars().all()
    cuts = [int(h) for h in ids[REBUILD_HOUSEHOLDS - 1::REBUILD_HOUSEHOLDS]]
    if cuts and cuts[-1] == int(ids[-1]):
        cuts.pop()
    bounds: list[int | None] = [None, *cuts, None]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def rebuild(connection: Connection, table: str) -> int:
    """Recompute one aggregate table from every transaction line; returns the rows written.

    In runs of REBUILD_HOUSEHOLDS households: one GROUP BY over all of a large retailer's
    lines has too many groups to hash in memory, so PostgreSQL sorts them instead (519 s for
    household_categories at 100,000 households, 6.8x its time at 25,000); a run's groups fit,
    and the runs' time grows with the lines. The rows are the same, since a household's rows
    depend on its own lines only.
    """
    from coupondesk.tools.db.schema import Base
    from sqlalchemy.schema import CreateIndex, DropIndex

    postgres = connection.dialect.name == "postgresql"
    indexes = sorted(Base.metadata.tables[table].indexes, key=lambda index: str(index.name))
    if postgres:
        connection.exec_driver_sql("SET LOCAL work_mem = '512MB'")
        connection.exec_driver_sql("SET LOCAL jit = off")
        # Emptied and refilled like the import's transactions table: the secondary indexes
        # built once after the rows (a sort each) instead of kept up row by row, which was
        # most of the time (household_categories at 100,000 households: 453 s with them);
        # TRUNCATE, unlike DELETE, leaves no dead rows. Both are undone with the
        # transaction, and readers wait for it (as for an import of lines).
        for index in indexes:
            connection.execute(DropIndex(index))
        connection.execute(text(f"TRUNCATE {table}"))
    else:
        connection.execute(text(f"DELETE FROM {table}"))
    column = _HOUSEHOLD_COLUMN[table]
    written = 0
    for above, upto in _household_ranges(connection):
        clauses = ([f"{column} > :above"] if above is not None else []) + (
            [f"{column} <= :upto"] if upto is not None else [])
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        result = connection.execute(text(_BUILD[table].format(where=where)),
                                    {"above": above, "upto": upto})
        written += int(result.rowcount or 0)
    if postgres:
        for index in indexes:
            connection.execute(CreateIndex(index))
    return written


def _refresh(connection: Connection, table: str, ids: list[int], households: int) -> int:
    """The rows of `ids` recomputed, or the whole table when it is empty or `ids` are more
    than FULL_REBUILD_SHARE of the database's `households`."""
    known = connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
    if not known or len(ids) > FULL_REBUILD_SHARE * max(households, 1):
        return rebuild(connection, table)
    delete = text(f"DELETE FROM {table} WHERE household_id IN :ids").bindparams(
        bindparam("ids", expanding=True))
    where = f" WHERE {_HOUSEHOLD_COLUMN[table]} IN :ids"
    insert = text(_BUILD[table].format(where=where)).bindparams(
        bindparam("ids", expanding=True))
    written = 0
    for start in range(0, len(ids), IN_BATCH):
        batch = ids[start:start + IN_BATCH]
        connection.execute(delete, {"ids": batch})
        written += int(connection.execute(insert, {"ids": batch}).rowcount or 0)
    return written


def refresh_aggregates(connection: Connection, households: Iterable[int], *,
                       catalog_changed: bool = False) -> dict[str, int]:
    """Recompute the aggregate rows of these households from their lines (the caller owns the
    transaction, so the aggregates commit or roll back with the lines); `catalog_changed`
    rebuilds `household_categories` whole. Returns rows written per table."""
    ids = sorted({int(h) for h in households})
    total = (int(connection.execute(text("SELECT COUNT(*) FROM households")).scalar_one())
             if ids else 0)
    written: dict[str, int] = {}
    for table in AGGREGATE_TABLES:
        if table == "household_categories" and catalog_changed:
            written[table] = rebuild(connection, table)
        elif ids:
            written[table] = _refresh(connection, table, ids, total)
    return written
