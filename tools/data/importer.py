"""`coupondesk import DIR`: load an operator's own retailer data (CSV or parquet).

Files are named after The Complete Journey tables and carry the same columns (see README):
transactions, products, demographics, campaign_descriptions, campaigns, coupons,
coupon_redemptions. Every row is validated first; a file with any bad row loads nothing, and the
error names the file and line. Everything is written in one transaction.

The transactions file, the one that grows with the retailer, is read, validated and written in
batches (parquet row-group batches, CSV chunks): memory stays bounded by the batch, not the
file. Its rows are still all validated before the transaction commits; on the first bad row the
writing stops, validation goes on so the error can say how many rows are bad, and the
transaction rolls back. On PostgreSQL the rows go in through COPY, and the secondary indexes of
a big load are dropped first and built once at the end, in the same transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from coupondesk.tools.data.aggregates import AGGREGATE_TABLES
from coupondesk.tools.data.ingest import (
    SOURCE_TO_TABLE,
    TABLE_COLUMNS,
    TableStream,
    analyze,
    load_tables,
    retailer_data_present,
)
from coupondesk.tools.db.schema import DatasetLoad
from coupondesk.tools.errors import BadInputError
from sqlalchemy import Connection, Engine, insert, select, text

INT = "int"
FLOAT = "float"
TIMESTAMP = "timestamp"
DATE = "date"
STR = "str"
INT64_LIMIT = 2**63
"""Integers must stay below this in magnitude: every id column is a 64-bit integer."""
STREAMED_FILES = ("transactions",)
"""Files read and written batch by batch; the others are small and read whole."""
BATCH_ROWS = 250_000
SYNTHETIC_MARKER = "SYNTHETIC.md"
"""Written by `coupondesk synth` beside its files (kept in step with tools/data/synth.py)."""
Progress = Callable[[str, int, int], None]

# Source file name -> {column: type}; all columns required (strings may be empty).
FILE_COLUMNS: dict[str, dict[str, str]] = {
    "transactions": {
        "household_id": INT, "store_id": INT, "basket_id": INT, "product_id": INT,
        "quantity": INT, "sales_value": FLOAT, "retail_disc": FLOAT, "coupon_disc": FLOAT,
        "coupon_match_disc": FLOAT, "week": INT, "transaction_timestamp": TIMESTAMP,
    },
    "products": {
        "product_id": INT, "manufacturer_id": INT, "department": STR, "brand": STR,
        "product_category": STR, "product_type": STR, "package_size": STR,
    },
    "demographics": {
        "household_id": INT, "age": STR, "income": STR, "home_ownership": STR,
        "marital_status": STR, "household_size": STR, "household_comp": STR, "kids_count": STR,
    },
    "campaign_descriptions": {
        "campaign_id": INT, "campaign_type": STR, "start_date": DATE, "end_date": DATE,
    },
    "campaigns": {"campaign_id": INT, "household_id": INT},
    "coupons": {"coupon_upc": INT, "product_id": INT, "campaign_id": INT},
    "coupon_redemptions": {
        "household_id": INT, "coupon_upc": INT, "campaign_id": INT, "redemption_date": DATE,
    },
}
NON_NEGATIVE = {"sales_value", "quantity"}
UNIQUE_KEYS = {
    "products": ("product_id",),
    "demographics": ("household_id",),
    "campaign_descriptions": ("campaign_id",),
    "campaigns": ("campaign_id", "household_id"),
}


@dataclass
class ImportReport:
    """Rows loaded per table, or why nothing was loaded."""

    row_counts: dict[str, int]
    files: list[str]
    skipped: bool = False
    reason: str = ""


@dataclass(frozen=True)
class BadRow:
    """One invalid row: where it is and what is wrong."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file} line {self.line}: {self.message}"


def find_files(directory: Path) -> dict[str, Path]:
    """The recognised data files in `directory`, by table name."""
    if not directory.is_dir():
        raise BadInputError(f"{directory} is not a directory")
    found: dict[str, Path] = {}
    for path in sorted(directory.iterdir()):
        stem, suffix = path.stem, path.suffix.lower()
        if suffix in (".csv", ".parquet") and stem in FILE_COLUMNS:
            if stem in found:
                raise BadInputError(f"both {found[stem].name} and {path.name} found; keep one")
            found[stem] = path
    if not found:
        names = ", ".join(FILE_COLUMNS)
        raise BadInputError(f"no data files in {directory} (expected CSV/parquet named {names})")
    return found


def read_file(path: Path) -> tuple[pd.DataFrame, int]:
    """The file as strings, plus the offset from row index to the line/row number shown."""
    if path.suffix.lower() == ".parquet":
        frame = pd.read_parquet(path)
        return frame, 1  # "line" = 1-based row number for parquet
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[])
    return frame, 2  # header is line 1


def read_batches(path: Path, rows: int | None = None) -> Iterator[tuple[pd.DataFrame, int]]:
    """The file in batches of about `rows` rows, each indexed by its row number in the file.

    The index carries on from batch to batch, so line numbers in errors are the file's own.
    """
    rows = rows or BATCH_ROWS
    if path.suffix.lower() == ".parquet":
        start = 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=rows):
            frame = batch.to_pandas()
            frame.index = pd.RangeIndex(start, start + len(frame))
            start += len(frame)
            yield frame, 1
        return
    for frame in pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[],
                             chunksize=rows):
        yield frame, 2


def _household_ids_in(path: Path) -> tuple[set[int], int]:
    """Every valid household id a (large) file names, and its row count: a cheap first pass.

    Households must exist before their transactions go in; invalid ids are skipped here and
    reported by validation.
    """
    ids: set[int] = set()
    total = 0
    if path.suffix.lower() == ".parquet":
        parquet = pq.ParquetFile(path)
        if "household_id" not in parquet.schema_arrow.names:
            return ids, parquet.metadata.num_rows
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS * 4, columns=["household_id"]):
            column = batch.column(0).to_pandas()
            total += len(column)
            ids.update(_valid_ints(column))
        return ids, total
    header = pd.read_csv(path, dtype=str, nrows=0).columns
    if "household_id" not in header:
        return ids, sum(len(f) for f, _ in read_batches(path))
    for frame in pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[],
                             usecols=["household_id"], chunksize=BATCH_ROWS * 4):
        total += len(frame)
        ids.update(_valid_ints(frame["household_id"]))
    return ids, total


def _valid_ints(column: pd.Series) -> set[int]:
    number = pd.to_numeric(column, errors="coerce")
    number = number[number.notna() & number.abs().lt(INT64_LIMIT) & (number == number.round())]
    return {int(v) for v in pd.unique(number)}


def _line(offset: int, index: int) -> int:
    return int(index) + offset


def validate_frame(
    name: str,
    path: Path,
    frame: pd.DataFrame,
    offset: int,
    *,
    spec: dict[str, str] | None = None,
    non_negative: frozenset[str] | set[str] = NON_NEGATIVE,
) -> tuple[pd.DataFrame, list[BadRow]]:
    """Typed copy of `frame` and every bad row found (missing/extra columns are file errors).

    `spec` and `non_negative` default to the retailer file's; the outcome import passes its own.
    """
    spec = FILE_COLUMNS[name] if spec is None else spec
    missing = [c for c in spec if c not in frame.columns]
    if missing:
        raise BadInputError(f"{path.name}: missing column(s) {', '.join(missing)}")
    bad: list[BadRow] = []
    typed = pd.DataFrame(index=frame.index)
    for column, kind in spec.items():
        raw = frame[column]
        if kind == STR:
            typed[column] = raw.astype("str").where(raw.notna(), None)
            continue
        native = _native_column(raw, kind)
        if native is not None:  # parquet: already typed, no need to go through text
            typed[column] = native
            empty = raw.isna()
            invalid = native.notna() & ~native.abs().lt(np.inf) if kind == FLOAT else None
            for index in frame.index[empty]:
                bad.append(BadRow(path.name, _line(offset, index), f"{column} is empty"))
            for index in frame.index[invalid] if invalid is not None else []:
                bad.append(BadRow(path.name, _line(offset, index),
                                  f"{column} {_shown(raw.loc[index])!r} is not a valid {kind}"))
            if column in non_negative:
                for index in frame.index[(native < 0).fillna(False)]:
                    bad.append(BadRow(path.name, _line(offset, index),
                                      f"{column} {_shown(raw.loc[index])!r} is negative"))
            continue
        as_text = raw.astype("str").str.strip()
        empty = raw.isna() | (as_text == "")
        if kind in (INT, FLOAT):
            number = pd.to_numeric(as_text.where(~empty), errors="coerce")
            invalid = number.isna() & ~empty
            # "inf" parses, and an id beyond 64 bits would wrap silently in astype("int64")
            invalid |= number.notna() & ~number.abs().lt(INT64_LIMIT if kind == INT else np.inf)
            if kind == INT:
                invalid |= number.notna() & (number != number.round())
            typed[column] = number
        else:
            stamp = pd.to_datetime(as_text.where(~empty), errors="coerce", format="mixed")
            invalid = stamp.isna() & ~empty
            typed[column] = stamp
        for index in frame.index[empty]:
            bad.append(BadRow(path.name, _line(offset, index), f"{column} is empty"))
        for index in frame.index[invalid]:
            value = _shown(raw.loc[index])
            bad.append(
                BadRow(path.name, _line(offset, index), f"{column} {value!r} is not a valid {kind}")
            )
        if column in non_negative:
            for index in frame.index[(typed[column] < 0).fillna(False)]:
                value = _shown(raw.loc[index])
                bad.append(
                    BadRow(path.name, _line(offset, index), f"{column} {value!r} is negative")
                )
    if name in UNIQUE_KEYS:
        keys = list(UNIQUE_KEYS[name])
        duplicated = frame.duplicated(subset=keys, keep="first")
        for index in frame.index[duplicated]:
            bad.append(BadRow(path.name, _line(offset, index), f"duplicate {'/'.join(keys)}"))
    if name == "campaign_descriptions":
        backwards = (typed["end_date"] < typed["start_date"]).fillna(False)
        for index in frame.index[backwards]:
            bad.append(BadRow(path.name, _line(offset, index), "end_date before start_date"))
    return typed, bad


def _shown(value: object) -> object:
    """A cell as the operator wrote it: numpy scalars as plain Python values (-1.0, not np...)."""
    return value.item() if isinstance(value, np.generic) else value


def _native_column(raw: pd.Series, kind: str) -> pd.Series | None:
    """`raw` itself when its dtype already is the kind asked for (the common parquet case).

    Only types whose every value is valid qualify: 64-bit integers for INT and FLOAT, floats
    for FLOAT (infinities are still checked), naive datetimes for TIMESTAMP and DATE. Anything
    else goes through the text path.
    """
    dtype = raw.dtype
    if kind in (INT, FLOAT) and pd.api.types.is_integer_dtype(dtype) and dtype.kind == "i":
        return raw
    if kind == FLOAT and pd.api.types.is_float_dtype(dtype):
        return raw
    if kind in (TIMESTAMP, DATE) and isinstance(dtype, np.dtype) and dtype.kind == "M":
        return raw
    return None


def _existing_ids(connection: Connection, table: str, column: str) -> set[int]:
    return {int(v) for v in connection.execute(text(f"SELECT {column} FROM {table}")).scalars()}


def _check_references(
    connection: Connection, files: dict[str, Path], typed: dict[str, pd.DataFrame]
) -> list[BadRow]:
    """Rows that clash with the database or point at campaigns that exist nowhere."""
    bad: list[BadRow] = []
    offsets = {n: (1 if p.suffix.lower() == ".parquet" else 2) for n, p in files.items()}
    clashes = {
        "products": ("products", "product_id"),
        "demographics": ("demographics", "household_id"),
        "campaign_descriptions": ("retail_campaigns", "campaign_id"),
    }
    for name, (table, column) in clashes.items():
        if name in typed:
            existing = _existing_ids(connection, table, column)
            for index, value in typed[name][column].items():
                if int(value) in existing:
                    bad.append(
                        BadRow(files[name].name, _line(offsets[name], index),
                               f"{column} {int(value)} already exists in the database")
                    )
    known_campaigns = _existing_ids(connection, "retail_campaigns", "campaign_id")
    if "campaign_descriptions" in typed:
        known_campaigns |= {int(v) for v in typed["campaign_descriptions"]["campaign_id"]}
    for name in ("campaigns", "coupons", "coupon_redemptions"):
        if name in typed:
            for index, value in typed[name]["campaign_id"].items():
                if int(value) not in known_campaigns:
                    bad.append(
                        BadRow(files[name].name, _line(offsets[name], index),
                               f"campaign_id {int(value)} is not a known campaign")
                    )
    return bad


def _to_arrow(name: str, frame: pd.DataFrame) -> pa.Table:
    spec = FILE_COLUMNS[name]
    arrays = {}
    for column, kind in spec.items():
        series = frame[column]
        if kind == INT:
            arrays[column] = pa.array(series.astype("int64"), pa.int64())
        elif kind == FLOAT:
            arrays[column] = pa.array(series.astype("float64"), pa.float64())
        elif kind == TIMESTAMP:
            arrays[column] = pa.array(series.astype("datetime64[us]"), pa.timestamp("us"))
        elif kind == DATE:
            arrays[column] = pa.array(series.dt.date, pa.date32())
        else:
            arrays[column] = pa.array(series, pa.string())
    return pa.table(arrays)


def _fingerprint(files: dict[str, Path]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode())
        with files[name].open("rb") as handle:
            while block := handle.read(8 << 20):
                digest.update(block)
    return digest.hexdigest()[:16]


def _noop(_step: str, _done: int, _total: int) -> None:
    return None


class _BadRows:
    """Bad rows seen so far: all of them for small files, the first and a count for big ones."""

    def __init__(self) -> None:
        self.rows: list[BadRow] = []
        self.more = 0

    def extend(self, rows: list[BadRow], *, keep_all: bool = True) -> None:
        if keep_all or not rows:
            self.rows.extend(rows)
            return
        first = min(rows, key=lambda b: b.line)
        if not any(b.file == first.file for b in self.rows):
            self.rows.append(first)
            self.more += len(rows) - 1
        else:
            self.more += len(rows)

    def __bool__(self) -> bool:
        return bool(self.rows)

    def error(self) -> BadInputError:
        self.rows.sort(key=lambda b: (b.file, b.line))
        count = len(self.rows) + self.more
        more = f" (and {count - 1} more bad rows)" if count > 1 else ""
        return BadInputError(f"{self.rows[0]}{more}; nothing was imported")


def _streamed_batches(
    name: str, path: Path, bad: _BadRows
) -> Iterator[pa.Table]:
    """Validated batches of a big file as target-table arrow; after a bad row, validate only."""
    try:
        for frame, offset in read_batches(path):
            typed, frame_bad = validate_frame(name, path, frame, offset)
            bad.extend(frame_bad, keep_all=False)
            if not bad:
                yield _to_arrow(name, typed).select(list(TABLE_COLUMNS[SOURCE_TO_TABLE[name]]))
    except BadInputError:
        raise
    except Exception as exc:  # unreadable CSV/parquet part-way through
        raise BadInputError(f"{path.name}: cannot read: {exc}") from exc


def import_directory(
    engine: Engine,
    directory: Path,
    progress: Progress = _noop,
    *,
    use_copy: bool = True,
) -> ImportReport:
    """Validate every file, then load all of them in one transaction, or nothing at all.

    `use_copy=False` writes PostgreSQL with executemany INSERT instead of COPY (to measure
    one against the other); SQLite always uses executemany.
    """
    files = find_files(directory)
    load_name = f"import:{_fingerprint(files)}"
    synthetic = (directory / SYNTHETIC_MARKER).is_file()
    with engine.connect() as connection:
        if connection.execute(select(DatasetLoad).where(DatasetLoad.name == load_name)).first():
            return ImportReport({}, sorted(p.name for p in files.values()), skipped=True,
                                reason="these exact files were imported before")
        if synthetic and retailer_data_present(connection):
            raise BadInputError(
                f"{directory} holds synthetic data (coupondesk synth); import it into an empty "
                "database of its own, never beside other retailer data"
            )
    typed: dict[str, pd.DataFrame] = {}
    bad = _BadRows()
    small = [name for name in files if name not in STREAMED_FILES]
    for position, name in enumerate(small):
        progress("validating files", position, len(small))
        path = files[name]
        try:
            frame, offset = read_file(path)
        except Exception as exc:  # unreadable CSV/parquet
            raise BadInputError(f"{path.name}: cannot read: {exc}") from exc
        frame_typed, frame_bad = validate_frame(name, path, frame, offset)
        typed[name] = frame_typed
        bad.extend(frame_bad)
    progress("validating files", len(small), len(small))
    streamed_households: set[int] = set()
    streams: dict[str, TableStream] = {}
    for name in STREAMED_FILES:
        if name in files:
            try:
                ids, rows = _household_ids_in(files[name])
            except Exception as exc:  # unreadable CSV/parquet
                raise BadInputError(f"{files[name].name}: cannot read: {exc}") from exc
            streamed_households |= ids
            streams[SOURCE_TO_TABLE[name]] = TableStream(
                _streamed_batches(name, files[name], bad), rows
            )
    with engine.begin() as connection:
        bad.extend(_check_references(connection, files, typed))
        tables: dict[str, pa.Table | TableStream] = {
            SOURCE_TO_TABLE[name]: _to_arrow(name, frame) for name, frame in typed.items()
        }
        households = _new_households(connection, tables, streamed_households)
        if households.num_rows:
            tables["households"] = households
        tables = {
            n: t if isinstance(t, TableStream) else t.select(list(TABLE_COLUMNS[n]))
            for n, t in tables.items()
        }
        if bad:  # validate the big files to the end for the count, write nothing
            for stream in streams.values():
                for _ in stream.batches:
                    pass
            raise bad.error()
        tables.update(streams)
        counts = load_tables(connection, tables, progress, use_copy=use_copy)
        if bad:  # a big file's bad row: the transaction rolls back everything written
            raise bad.error()
        connection.execute(
            insert(DatasetLoad).values(
                name=load_name, source=str(directory), row_counts=counts
            )
        )
    analyze(engine, [n for n in counts if n in TABLE_COLUMNS]
            + (list(AGGREGATE_TABLES) if {"transactions", "products"} & set(counts) else []))
    return ImportReport(counts, sorted(p.name for p in files.values()))


def _new_households(
    connection: Connection, tables: dict[str, pa.Table | TableStream], streamed: set[int]
) -> pa.Table:
    """Household ids named by the files that the database does not know yet."""
    seen: set[int] = set(streamed)
    for table in tables.values():
        if isinstance(table, pa.Table) and "household_id" in table.column_names:
            seen.update(int(v) for v in table["household_id"].to_pylist())
    existing = _existing_ids(connection, "households", "household_id")
    return pa.table({"household_id": pa.array(sorted(seen - existing), pa.int64())})
