"""`coupondesk api-key create|list|revoke`: the key is printed once and stored only hashed."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from coupondesk.tools.access.api_keys import authenticate, hash_key
from coupondesk.tools.db.schema import ApiKey
from coupondesk.tools.db.session import get_engine
from sqlalchemy import select
from sqlalchemy.orm import Session

from coupondesk.cli import main


@pytest.fixture
def cli(fresh_db_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("COUPONDESK_DATABASE_URL", fresh_db_url)
    return CliRunner()


def test_create_list_revoke(cli: CliRunner, fresh_db_url: str) -> None:
    created = cli.invoke(main, ["api-key", "create", "till-1"])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip()
    assert secret.startswith("cdk_") and len(secret) > 40
    with Session(get_engine(fresh_db_url)) as session:
        row = session.execute(select(ApiKey).where(ApiKey.name == "till-1")).scalar_one()
        assert row.key_hash == hash_key(secret) and secret not in (row.prefix, row.key_hash)
        assert authenticate(session, secret) is not None
    operator = cli.invoke(main, ["api-key", "create", "ops", "--role", "operator", "--json"])
    assert json.loads(operator.stdout)["role"] == "operator"
    listed = json.loads(cli.invoke(main, ["api-key", "list", "--json"]).stdout)
    assert [(k["name"], k["role"]) for k in listed] == [("ops", "operator"), ("till-1", "checkout")]
    assert all("key" not in k and "key_hash" not in k for k in listed)
    assert cli.invoke(main, ["api-key", "revoke", "till-1"]).exit_code == 0
    with Session(get_engine(fresh_db_url)) as session:
        assert authenticate(session, secret) is None


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["api-key", "create", "bad name!"], "api key name"),
        (["api-key", "revoke", "nobody"], "no api key named 'nobody'"),
        (["api-key", "create", "x", "--role", "admin"], "--role"),
    ],
)
def test_bad_input_is_one_line(cli: CliRunner, args: list[str], fragment: str) -> None:
    result = cli.invoke(main, args)
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr


def test_duplicate_name_is_refused(cli: CliRunner) -> None:
    assert cli.invoke(main, ["api-key", "create", "twice"]).exit_code == 0
    again = cli.invoke(main, ["api-key", "create", "twice"])
    assert again.exit_code != 0 and "exists already" in again.stderr
