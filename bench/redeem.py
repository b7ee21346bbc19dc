"""Redemption service benchmark: validate and redeem throughput and p50/p99 latency on PostgreSQL.

A scratch PostgreSQL database gets the schema, a dispatched campaign with enough codes for
every redeem request and an API key; `coupondesk serve` runs on it in a subprocess on a free
loopback port. With 16 and then 64 concurrent clients (asyncio + httpx on the same machine), a
bounded number of requests goes to each endpoint: GET /v1/health (a bare `SELECT 1` through the
same stack: auth, session, server), POST /v1/redemptions/validate and POST /v1/redemptions
(each request a fresh code, so every one commits a redemption under the campaign lock). The
ratio to the SELECT 1 endpoint, measured in the same run, says what the redemption rules cost.
The server is stopped and the database dropped at the end, whatever happens.

    .venv/bin/python bench/redeem.py [--pg-url URL] [--requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from coupondesk.tools.access.api_keys import create_api_key
from coupondesk.tools.db.migrate import upgrade
from coupondesk.tools.db.schema import Campaign, Household, IssuedCoupon, Product
from coupondesk.tools.db.session import get_engine
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

DEFAULT_PG = os.environ.get(
    "COUPONDESK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
COFFEE = 1
SERVICE_DAY = "2018-01-04"
CONCURRENCY = (16, 64)


@dataclass(frozen=True)
class Figures:
    """One endpoint at one concurrency."""

    endpoint: str
    clients: int
    requests: int
    seconds: float
    latencies_ms: list[float]
    statuses: dict[int, int]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def scratch_database(admin_url: str) -> tuple[str, str]:
    name = f"coupondesk_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def seed(url: str, codes: int) -> tuple[list[str], str]:
    """Schema, households, one coffee product, a campaign with `codes` codes, an API key."""
    engine = get_engine(url)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        session.execute(insert(Household), [{"household_id": h} for h in range(1, codes + 1)])
        session.add(Product(product_id=COFFEE, department="GROCERY", product_category="COFFEE"))
        campaign = Campaign(request="bench", status="dispatched", plan_json={}, created_by="bench",
                            budget=1e9, valid_from=date(2018, 1, 2), valid_to=date(2018, 1, 8))
        session.add(campaign)
        session.flush()
        names = [f"CD-BENCH-{i:07d}" for i in range(codes)]
        session.execute(insert(IssuedCoupon), [
            {"code": code, "campaign_id": campaign.id, "household_id": i + 1,
             "kind": "percent_off", "value": 15.0, "max_discount": 5.0, "departments": [],
             "categories": ["COFFEE"], "valid_from": date(2018, 1, 2),
             "valid_to": date(2018, 1, 8), "status": "issued"}
            for i, code in enumerate(names)
        ])
        key = create_api_key(session, "bench", role="checkout").secret
    engine.dispose()
    return names, key


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(url: str, home: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("COUPONDESK_")}
    environment.update(COUPONDESK_DATABASE_URL=url, COUPONDESK_HOME=str(home),
                       COUPONDESK_TODAY=SERVICE_DAY)
    log = (home / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "coupondesk", "serve", "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=environment,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError((home / "server.log").read_text()[-2000:])
        try:
            httpx.get(f"{base}/openapi.json", timeout=2)
            return process, base
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server did not start in 90 s")


def basket() -> dict[str, Any]:
    return {"total": 45.0, "lines": [{"product_id": COFFEE, "quantity": 1, "amount": 40.0}]}


async def run(base: str, key: str, endpoint: str, clients: int, total: int,
              request_for: Callable[[int], tuple[str, str, dict[str, Any] | None, dict[str, str]]],
              ) -> Figures:
    """`total` requests from `clients` concurrent clients, each one after another."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    counter = iter(range(total))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits,
                                 headers={"Authorization": f"Bearer {key}"}) as client:
        async def worker() -> None:
            for index in counter:
                method, path, body, headers = request_for(index)
                started = time.perf_counter()
                answer = await client.request(method, path, json=body, headers=headers)
                latencies.append((time.perf_counter() - started) * 1000)
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        seconds = time.perf_counter() - started
    return Figures(endpoint, clients, total, seconds, latencies, statuses)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="PostgreSQL admin URL")
    parser.add_argument("--requests", type=int, default=1200,
                        help="requests per endpoint per concurrency level")
    args = parser.parse_args()
    total = max(args.requests, 64)
    name, url = scratch_database(args.pg_url)
    process: subprocess.Popen[bytes] | None = None
    try:
        codes, key = seed(url, total * len(CONCURRENCY))
        home = Path(tempfile.mkdtemp(prefix="coupondesk-bench-"))
        process, base = start_server(url, home)
        unused = iter(codes)
        health = lambda _i: ("GET", "/v1/health", None, {})  # noqa: E731
        validate = lambda i: ("POST", "/v1/redemptions/validate",  # noqa: E731
                              {"code": codes[i % len(codes)], "basket": basket()}, {})
        redeem = lambda _i: ("POST", "/v1/redemptions",  # noqa: E731
                             {"code": next(unused), "basket": basket()},
                             {"Idempotency-Key": uuid.uuid4().hex})
        asyncio.run(run(base, key, "warm-up", 8, 200, health))
        results: list[Figures] = []
        for clients in CONCURRENCY:
            for endpoint, builder in (("SELECT 1 (/v1/health)", health),
                                      ("validate", validate), ("redeem", redeem)):
                results.append(asyncio.run(run(base, key, endpoint, clients, total, builder)))
        print(f"redemption service on PostgreSQL, loopback, {total} requests per row; "
              f"clients and server share {os.cpu_count()} cores")
        print(f"{'endpoint':<24}{'clients':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
              f"{'vs SELECT 1':>13}  statuses")
        for clients in CONCURRENCY:
            rows = [r for r in results if r.clients == clients]
            baseline = rows[0].throughput
            for row in rows:
                print(f"{row.endpoint:<24}{clients:>8}{row.throughput:>9.0f}"
                      f"{statistics.median(row.latencies_ms):>9.1f}{row.percentile(0.99):>9.1f}"
                      f"{row.throughput / baseline:>12.2f}x  {dict(sorted(row.statuses.items()))}")
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        get_engine(url).dispose()
        drop_database(args.pg_url, name)


if __name__ == "__main__":
    main()
