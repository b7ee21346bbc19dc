"""A larger retailer end to end: `coupondesk synth`, then `coupondesk import` into PostgreSQL.

1. `coupondesk synth --households N` (time, output size, peak memory of the process);
2. `coupondesk import` of it into a fresh PostgreSQL database (rows/s, minutes, peak memory,
   database size);
3. on a smaller synth (`--compare-households`), the import through COPY against the
   executemany INSERT path, each into its own fresh database, in the same run (the ratio).

Every file and database it makes is removed at the end.

    .venv/bin/python bench/synth_import.py [--households 25000] [--compare-households 2500]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from coupondesk.tools.data.importer import import_directory
from coupondesk.tools.db.migrate import upgrade
from coupondesk.tools.db.session import get_engine
from sqlalchemy import text

PG = ("-h", "127.0.0.1", "-U", "postgres")
COUPONDESK = str(Path(sys.executable).with_name("coupondesk"))


def _url(name: str) -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def _timed(command: list[str], env: dict[str, str]) -> tuple[dict[str, object], float, int]:
    """Run a `--json` command under /usr/bin/time: its document, seconds, peak RSS in MB."""
    started = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "%M", *command], env=env, check=False,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr.strip()}")
    peak_kb = int(done.stderr.strip().splitlines()[-1])
    return json.loads(done.stdout), seconds, peak_kb // 1024


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.iterdir())


def _database_size(name: str) -> int:
    engine = get_engine(_url(name))
    with engine.connect() as connection:
        size = int(connection.execute(text("SELECT pg_database_size(current_database())"))
                   .scalar_one())
    engine.dispose()
    return size


def _import_in_process(
    directory: Path, name: str, *, use_copy: bool
) -> tuple[float, float, int]:
    """Seconds for the whole import, seconds writing the transactions rows, rows written."""
    engine = get_engine(_url(name))
    upgrade(engine)
    seen: dict[str, list[float]] = {}

    def progress(step: str, _done: int, _total: int) -> None:
        seen.setdefault(step, []).append(time.perf_counter())

    started = time.perf_counter()
    report = import_directory(engine, directory, progress, use_copy=use_copy)
    seconds = time.perf_counter() - started
    engine.dispose()
    writing = seen["transactions"][-1] - seen["transactions"][0]
    return seconds, writing, report.row_counts["transactions"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=25_000)
    parser.add_argument("--compare-households", type=int, default=2_500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="coupondesk-synth-bench-", dir="/work/tmp"
                                 if Path("/work/tmp").is_dir() else None))
    env = {**os.environ, "COUPONDESK_HOME": str(work / "home")}
    tag = uuid.uuid4().hex[:8]
    databases = [f"synth_bench_{tag}_{kind}" for kind in ("big", "copy", "insert")]
    try:
        big = work / "big"
        synth, synth_seconds, synth_peak = _timed(
            [COUPONDESK, "synth", "--households", str(args.households), "--out", str(big),
             "--seed", str(args.seed), "--json"], env)
        rows = dict(synth["row_counts"])  # type: ignore[call-overload]
        print(f"synth --households {args.households:,}: {synth_seconds:.1f}s, "
              f"{_size(big) / 1e6:,.0f} MB on disk, peak RSS {synth_peak:,} MB, "
              f"{rows['transactions']:,} transaction lines")

        for name in databases:
            subprocess.run(["createdb", *PG, name], check=True)
        imported, import_seconds, import_peak = _timed(
            [COUPONDESK, "import", str(big), "--json"],
            {**env, "COUPONDESK_DATABASE_URL": _url(databases[0])})
        counts = dict(imported["row_counts"])  # type: ignore[call-overload]
        total = sum(counts.values())
        print(f"import into PostgreSQL (COPY): {import_seconds / 60:.1f} min for {total:,} rows "
              f"({total / import_seconds:,.0f} rows/s overall, incl. migration, validation, "
              f"index builds, ANALYZE); peak RSS {import_peak:,} MB; database "
              f"{_database_size(databases[0]) / 1e9:.2f} GB")
        assert counts["transactions"] == rows["transactions"]
        subprocess.run(["dropdb", *PG, "--force", databases[0]], check=True)
        shutil.rmtree(big)

        small = work / "small"
        _timed([COUPONDESK, "synth", "--households", str(args.compare_households), "--out",
                str(small), "--seed", str(args.seed), "--json"], env)
        copy_seconds, copy_writing, lines = _import_in_process(
            small, databases[1], use_copy=True)
        insert_seconds, insert_writing, _ = _import_in_process(
            small, databases[2], use_copy=False)
        print(f"import of {args.compare_households:,} households ({lines:,} transaction lines):"
              f" COPY {copy_seconds:.1f}s, executemany INSERT {insert_seconds:.1f}s "
              f"(COPY {insert_seconds / copy_seconds:.1f}x faster); writing the transactions "
              f"(validation of each batch included): COPY {copy_writing:.1f}s "
              f"({lines / copy_writing:,.0f} rows/s), INSERT {insert_writing:.1f}s "
              f"({lines / insert_writing:,.0f} rows/s), {insert_writing / copy_writing:.1f}x")
    finally:
        get_engine.cache_clear()
        for name in databases:
            subprocess.run(["dropdb", *PG, "--if-exists", "--force", name], check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
