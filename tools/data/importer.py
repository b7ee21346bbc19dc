"""`coupondesk import DIR`: load an operator's own retailer data (CSV or parquet).

Files are named after The Complete Journey tables and carry the same columns (see README):
transactions, products, demographics, campaign_descriptions, campaigns, coupons,
coupon_redemptions. Every row is validated first; a file with any bad row loads nothing, and the
error names the file and line. Everything is written in one transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from coupondesk.tools.data.ingest import SOURCE_TO_TABLE, TABLE_COLUMNS, load_tables
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
            value = raw.loc[index]
            bad.append(
                BadRow(path.name, _line(offset, index), f"{column} {value!r} is not a valid {kind}")
            )
        if column in non_negative:
            for index in frame.index[(typed[column] < 0).fillna(False)]:
                value = raw.loc[index]
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
        digest.update(files[name].read_bytes())
    return digest.hexdigest()[:16]


def import_directory(engine: Engine, directory: Path) -> ImportReport:
    """Validate every file, then load all of them in one transaction, or nothing at all."""
    files = find_files(directory)
    load_name = f"import:{_fingerprint(files)}"
    with engine.connect() as connection:
        if connection.execute(select(DatasetLoad).where(DatasetLoad.name == load_name)).first():
            return ImportReport({}, sorted(p.name for p in files.values()), skipped=True,
                                reason="these exact files were imported before")
    typed: dict[str, pd.DataFrame] = {}
    bad: list[BadRow] = []
    for name, path in files.items():
        try:
            frame, offset = read_file(path)
        except Exception as exc:  # unreadable CSV/parquet
            raise BadInputError(f"{path.name}: cannot read: {exc}") from exc
        frame_typed, frame_bad = validate_frame(name, path, frame, offset)
        typed[name] = frame_typed
        bad.extend(frame_bad)
    with engine.begin() as connection:
        bad.extend(_check_references(connection, files, typed))
        if bad:
            bad.sort(key=lambda b: (b.file, b.line))
            more = f" (and {len(bad) - 1} more bad rows)" if len(bad) > 1 else ""
            raise BadInputError(f"{bad[0]}{more}; nothing was imported")
        tables = {SOURCE_TO_TABLE[name]: _to_arrow(name, frame) for name, frame in typed.items()}
        households = _new_households(connection, tables)
        if households.num_rows:
            tables["households"] = households
        tables = {n: t.select(list(TABLE_COLUMNS[n])) for n, t in tables.items()}
        counts = load_tables(connection, tables)
        connection.execute(
            insert(DatasetLoad).values(
                name=load_name, source=str(directory), row_counts=counts
            )
        )
    return ImportReport(counts, sorted(p.name for p in files.values()))


def _new_households(connection: Connection, tables: dict[str, pa.Table]) -> pa.Table:
    """Household ids named by the files that the database does not know yet."""
    seen: set[int] = set()
    for table in tables.values():
        if "household_id" in table.column_names:
            seen.update(int(v) for v in table["household_id"].to_pylist())
    existing = _existing_ids(connection, "households", "household_id")
    return pa.table({"household_id": pa.array(sorted(seen - existing), pa.int64())})
