"""A real redemption server: `coupondesk serve` in a subprocess on 127.0.0.1, a free port and a
scratch database (SQLite and PostgreSQL), stopped at teardown.

One server per backend per module keeps the suite fast; each test issues its own campaign.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from coupondesk.tools.access.api_keys import create_api_key
from coupondesk.tools.db.session import get_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tests.conftest import _clone_pg, drop_pg_database

SERVICE_TODAY = "2018-01-04"
"""The service date the tests pin (the coupons they issue are valid 2018-01-02..08)."""


@dataclass(frozen=True)
class Server:
    """A running service and the keys made for it."""

    base_url: str
    db_url: str
    checkout_key: str
    operator_key: str

    def client(self, key: str | None = None, **kwargs: object) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=60, **kwargs)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_key(db_url: str, name: str, role: str = "checkout") -> str:
    with Session(get_engine(db_url)) as session, session.begin():
        return create_api_key(session, name, role=role).secret


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=BACKENDS)
def service_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A private copy of the slice database for one module's server."""
    if request.param == "sqlite":
        source_url = str(request.getfixturevalue("sqlite_url"))
        with get_engine(source_url).connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        source = make_url(source_url).database
        assert source is not None
        target = tmp_path_factory.mktemp("service") / "service.db"
        shutil.copyfile(source, target)
        yield f"sqlite:///{target}"
        return
    admin = request.getfixturevalue("pg_server")
    name, url = _clone_pg(admin, str(request.getfixturevalue("pg_url")))
    try:
        yield url
    finally:
        get_engine(url).dispose()
        drop_pg_database(admin, name)


def start_server(db_url: str, home: Path, *, env: dict[str, str] | None = None,
                 ) -> tuple[subprocess.Popen[bytes], str, Path]:
    port = free_port()
    log_path = home / f"server-{port}.log"
    home.mkdir(parents=True, exist_ok=True)
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("COUPONDESK_")}
    environment = {
        **inherited, "COUPONDESK_DATABASE_URL": db_url, "COUPONDESK_HOME": str(home),
        "COUPONDESK_TODAY": SERVICE_TODAY, **(env or {}),
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "coupondesk", "serve", "--host", "127.0.0.1",
             "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, env=environment, stdin=subprocess.DEVNULL,
        )
    return process, f"http://127.0.0.1:{port}", log_path


def wait_until_up(process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text()[-2000:]
            raise RuntimeError(f"server exited {process.returncode}: {tail}")
        try:
            httpx.get(f"{base_url}/openapi.json", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not answer in 90 s: {log_path.read_text()[-2000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture(scope="module")
def server(service_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`coupondesk serve` on the module's database, with a checkout and an operator key."""
    checkout = make_key(service_db, "checkout-test")
    operator = make_key(service_db, "operator-test", role="operator")
    process, base_url, log_path = start_server(service_db, tmp_path_factory.mktemp("home"))
    try:
        wait_until_up(process, base_url, log_path)
        yield Server(base_url, service_db, checkout, operator)
    finally:
        stop(process)
