"""Scale benchmark: synth -> import -> aggregates -> train -> audiences -> propose at N households.

A retailer of N synthetic households (`coupondesk synth`, resampled from The Complete Journey)
is written to a scratch directory and imported into a fresh PostgreSQL database; the models are
trained on it (households sampled, as the model card states) and a propose runs on it with the
LLM off. Every step runs as its own process under `/usr/bin/time -v`, so each figure is that
step's wall time and peak resident memory. The audience queries are the planner's typical
audiences (bench/audience.py), median of 3. The baseline, measured first in the same run, is
the same pipeline at --baseline households (default 2,500, about the embedded data's size):
`growth` divides each figure by the baseline's, beside the households' own ratio, which is what
"no worse than linear" is judged on. At each size the first --scoring-households households
(default 5,000) are also scored in one process by the local backend and by Ray (a local Ray,
2 workers, chunks of 1,000), timed warm, and compared for identical candidates.

    .venv/bin/python bench/scale.py --households 25000 [--baseline 2500] [--json] [--keep]

Needs PostgreSQL at --server (default postgresql+psycopg://postgres@127.0.0.1:5432); the
databases `coupondesk_scale_<N>` are created, and dropped at the end with the scratch files
unless --keep. Refuses to start when the disk has less free space than the run needs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
REQUEST = "win back lapsed coffee buyers with 15% off, budget $2,000, valid one week"
BYTES_PER_HOUSEHOLD = 400_000
"""Disk a household costs across the parquet files, PostgreSQL's table and indexes (measured
25,000 households: 122 MB of parquet, a 3.07 GB database), three times over."""


def _timed(args: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """(seconds, peak resident kB, stdout) of one command; a failure stops the benchmark."""
    started = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-v", *args], env=env, capture_output=True,
                          text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        tail = [line for line in done.stderr.splitlines() if line.strip()
                and not line.startswith("\t")][-3:]
        raise SystemExit(f"{' '.join(args[:3])} failed ({done.returncode}): {' | '.join(tail)}")
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    return seconds, int(peak[1]) if peak else 0, done.stdout


def _document(stdout: str) -> Any:
    return json.loads(stdout[stdout.index("{"):])


def _audience_p50(url: str) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "bench"))
    from audience import TYPICAL_AUDIENCES, time_audience
    from sqlalchemy.orm import Session

    engine = create_engine(url)
    out: dict[str, Any] = {}
    with Session(engine) as session:
        for name, audience in TYPICAL_AUDIENCES.items():
            size, seconds = time_audience(session, audience)
            out[name] = {"households": size, "p50_s": round(seconds, 3)}
    engine.dispose()
    return out


WARM_PROPOSE = """
import json, sys, time
from coupondesk.agent.service import CampaignDesk
from coupondesk.settings import load_settings
desk = CampaignDesk(load_settings())
started = time.perf_counter()
first = desk.propose(sys.argv[1], operator="bench")
cold = time.perf_counter() - started
desk.reject(first.campaign_id, operator="bench", reason="benchmark run")
started = time.perf_counter()
second = desk.propose(sys.argv[1], operator="bench")
warm = time.perf_counter() - started
desk.reject(second.campaign_id, operator="bench", reason="benchmark run")
print(json.dumps({"cold_s": cold, "warm_s": warm, "warm_by_node": second.timings,
                  "audience": second.eligible_size, "recipients": second.audience_size}))
"""


def run_size(households: int, args: argparse.Namespace) -> dict[str, Any]:
    """Every step's figures at one size, on its own scratch directory and database."""
    scratch = Path(tempfile.mkdtemp(prefix=f"coupondesk-scale-{households}-"))
    free = shutil.disk_usage(scratch).free
    need = households * BYTES_PER_HOUSEHOLD
    if free < need:
        shutil.rmtree(scratch)
        raise SystemExit(f"needs about {need / 1e9:.0f} GB free, {free / 1e9:.0f} GB free")
    database = f"coupondesk_scale_{households}"
    admin = create_engine(f"{args.server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{database}"'))
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    url = f"{args.server}/{database}"
    env = {**os.environ, "COUPONDESK_HOME": str(scratch / "home"),
           "COUPONDESK_DATABASE_URL": url, "COUPONDESK_LLM_BACKEND": "fake",
           "OMP_WAIT_POLICY": "PASSIVE"}
    coupondesk = str(BIN / "coupondesk")
    figures: dict[str, Any] = {"households": households, "disk_free_gb": round(free / 1e9)}
    try:
        seconds, peak, out = _timed([coupondesk, "synth", "--households", str(households),
                                     "--out", str(scratch / "data"), "--seed", str(args.seed),
                                     "--json"], env)
        size = sum(f.stat().st_size for f in (scratch / "data").rglob("*") if f.is_file())
        figures["synth"] = {"seconds": round(seconds, 1), "peak_mb": peak // 1024,
                            "files_mb": round(size / 1e6), "report": _document(out)}

        seconds, peak, out = _timed([coupondesk, "import", str(scratch / "data"), "--json"], env)
        lines = int(_document(out)["row_counts"].get("transactions", 0))
        figures["import"] = {"seconds": round(seconds, 1), "peak_mb": peak // 1024,
                             "transactions": lines, "rows_per_s": round(lines / seconds)}

        seconds, peak, out = _timed([str(BIN / "python"), "-c", AGGREGATES], env)
        figures["aggregates"] = {**_document(out), "peak_mb": peak // 1024}

        seconds, peak, out = _timed([coupondesk, "train", "--seeds", args.train_seeds,
                                     "--json"], env)
        card = json.loads((scratch / "home" / "models" / "card.json").read_text())
        figures["train"] = {"seconds": round(seconds, 1), "peak_mb": peak // 1024,
                            "training_households": card.get("training_households")}

        audiences = _audience_p50(url)
        p50s = [a["p50_s"] for a in audiences.values()]
        figures["audience"] = {"median_p50_s": round(statistics.median(p50s), 3),
                               "max_p50_s": max(p50s), "by_audience": audiences}

        seconds, peak, out = _timed([str(BIN / "python"), "-c", WARM_PROPOSE, REQUEST], env)
        propose = _document(out)
        score_s = float(propose["warm_by_node"].get("score", 0.0))
        figures["propose"] = {
            "seconds": round(seconds, 1), "peak_mb": peak // 1024,
            "cold_s": round(propose["cold_s"], 1), "warm_s": round(propose["warm_s"], 1),
            "warm_by_node": {k: round(v, 2) for k, v in propose["warm_by_node"].items()},
            "audience": propose["audience"], "recipients": propose["recipients"],
            "scores_per_s_local": round(propose["audience"] / score_s) if score_s else None,
        }
        if args.scoring_households:
            seconds, peak, out = _timed([str(BIN / "python"), "-c", SCORING,
                                         str(args.scoring_households)],
                                        {**env, "COUPONDESK_CHUNK_HOUSEHOLDS": "1000"})
            figures["scoring"] = {**_document(out), "chunk_households": 1000,
                                  "peak_mb": peak // 1024}
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()
    return figures


GROWTH = [("import", "seconds"), ("train", "seconds"), ("train", "peak_mb"),
          ("aggregates", "rebuild_s"), ("audience", "median_p50_s"), ("audience", "max_p50_s"),
          ("propose", "warm_s"), ("propose", "peak_mb")]


AGGREGATES = """
import json, time
from coupondesk.settings import load_settings
from coupondesk.tools.data.aggregates import AGGREGATE_TABLES, rebuild
from coupondesk.tools.data.ingest import analyze
from coupondesk.tools.db.session import get_engine
engine = get_engine(load_settings().resolved_database_url)
out = {}
with engine.begin() as connection:
    for table in AGGREGATE_TABLES:
        started = time.perf_counter()
        out[table] = {"rows": rebuild(connection, table),
                      "seconds": round(time.perf_counter() - started, 1)}
out["rebuild_s"] = round(sum(t["seconds"] for t in out.values()), 1)
started = time.perf_counter()
analyze(engine, list(AGGREGATE_TABLES))
out["vacuum_analyze_s"] = round(time.perf_counter() - started, 1)
print(json.dumps(out))
"""
"""The import built the aggregate tables inside its own transaction; this times that same
build again, alone, so the aggregates' cost is a figure of its own, and then leaves them as
an import does (VACUUM (ANALYZE)): without it the rebuild's dead rows slowed the audience
queries that follow (9.5 s instead of 0.2 s for one at 100,000 households)."""


SCORING = """
import json, sys, time
from datetime import date
from coupondesk.settings import load_settings
from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.db.session import get_engine
from coupondesk.tools.queries.segments import data_today
from coupondesk.tools.scoring.serving_scorer import ModelScorer
from sqlalchemy import text
from sqlalchemy.orm import Session

settings = load_settings()
engine = get_engine(settings.resolved_database_url)
with Session(engine) as session:
    today = data_today(session)
    ids = [int(h) for h in session.execute(text(
        "SELECT DISTINCT household_id FROM transactions ORDER BY household_id LIMIT :n"),
        {"n": int(sys.argv[1])}).scalars()]
offer = Offer(kind="percent_off", value=15, valid_days=7, categories=["COFFEE"])
out = {"households": len(ids)}
results = {}
for name, address in (("local", None), ("ray", "local")):
    scorer = ModelScorer(settings.models_dir, engine,
                         chunk_households=settings.models.chunk_households,
                         ray_address=address, ray_workers=2)
    scorer.candidates(ids[:50], offer, today=today)  # models loaded, Ray started
    started = time.perf_counter()
    results[name] = scorer.candidates(ids, offer, today=today)
    seconds = time.perf_counter() - started
    out[name] = {"seconds": round(seconds, 1), "scores_per_s": round(len(ids) / seconds)}
out["identical"] = results["local"] == results["ray"]
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, required=True)
    parser.add_argument("--baseline", type=int, default=2500,
                        help="the size measured first in the same run, for the ratios (0: none)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--train-seeds", default="0", help="transformer seeds for train")
    parser.add_argument("--scoring-households", type=int, default=5000,
                        help="households scored local vs Ray (2 workers) at each size (0: skip)")
    parser.add_argument("--keep", action="store_true", help="keep the databases and files")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.households < 1 or args.baseline < 0:
        raise SystemExit("--households must be at least 1 and --baseline at least 0")

    baseline = run_size(args.baseline, args) if args.baseline else None
    figures = run_size(args.households, args)
    if baseline:
        figures["baseline"] = baseline
        figures["growth"] = {"households": round(args.households / args.baseline, 2), **{
            f"{step}.{key}": round(figures[step][key] / baseline[step][key], 2)
            for step, key in GROWTH if baseline[step][key]}}
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    for label, sized in (("baseline", baseline), ("run", figures)):
        if sized is None:
            continue
        print(f"{label}: {sized['households']:,} households")
        for step in ("synth", "import", "train", "propose"):
            row = sized[step]
            print(f"  {step:<8} {row['seconds']:>8} s  peak {row['peak_mb']:>6} MB  "
                  + ", ".join(f"{k} {v}" for k, v in row.items()
                              if k not in ("seconds", "peak_mb", "report")))
        print(f"  aggregates {sized['aggregates']}")
        print(f"  audience median p50 {sized['audience']['median_p50_s']} s, "
              f"max {sized['audience']['max_p50_s']} s")
        if "scoring" in sized:
            print(f"  scoring  {sized['scoring']}")
    if baseline:
        print("growth (run / baseline): " + ", ".join(
            f"{k} {v}x" for k, v in figures["growth"].items()))


if __name__ == "__main__":
    main()
