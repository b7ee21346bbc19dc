"""The delivery export: one row per code, holdout never, the household's variant, same bytes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from coupondesk.tools.campaigns.dispatch import dispatch
from coupondesk.tools.campaigns.proposal import CopyVariant
from coupondesk.tools.campaigns.records import create_campaign, save_proposal
from coupondesk.tools.campaigns.variants import assign_variant
from coupondesk.tools.db.schema import IssuedCoupon
from coupondesk.tools.db.session import get_engine
from coupondesk.tools.errors import RefusedError
from coupondesk.tools.outcomes.export import export_campaign, export_rows
from sqlalchemy import select
from sqlalchemy.orm import Session

from coupondesk.cli import main
from tests.dispatch.test_dispatch import approve, households, make_proposal

COPIES = [
    CopyVariant(text="Spend $25, save $5. Valid for 7 days.", source="template", ok=True),
    CopyVariant(text="Save $5 when you spend $25. Valid 7 days.", source="llm", ok=False),
    CopyVariant(text="$5 off when you spend $25 or more. Valid for 7 days.", source="template",
                ok=True),
]


def dispatched(url: str, n: int = 40, holdout: int = 8) -> tuple[int, list[int], list[int]]:
    ids = households(url)
    recipients, held = ids[:n], ids[n : n + holdout]
    engine = get_engine(url)
    with Session(engine) as session, session.begin():
        campaign_id = create_campaign(session, request="export test", operator="ana")
        proposal = make_proposal(campaign_id, recipients=recipients, holdout=held)
        proposal = proposal.model_copy(update={"copy_variants": COPIES, "selected_copy": 0})
        save_proposal(session, proposal, actor="ana")
    approve(url, campaign_id)
    dispatch(engine, campaign_id, operator="ana")
    return campaign_id, recipients, held


def test_variant_is_stable_and_only_passing() -> None:
    picks = [assign_variant(7, h, [0, 2]) for h in range(400)]
    assert set(picks) == {0, 2} and 120 < picks.count(0) < 280
    assert picks == [assign_variant(7, h, [0, 2]) for h in range(400)]
    assert assign_variant(7, 1, []) is None


def test_export_rows_are_the_codes_in_the_households_variant(fresh_db_url: str) -> None:
    campaign_id, recipients, held = dispatched(fresh_db_url)
    with Session(get_engine(fresh_db_url)) as session:
        rows = export_rows(session, campaign_id)
        stored = {c.household_id: c for c in session.execute(
            select(IssuedCoupon).where(IssuedCoupon.campaign_id == campaign_id)).scalars()}
    assert [r.household_id for r in rows] == sorted(recipients)
    assert not {r.household_id for r in rows} & set(held)
    assert {r.variant for r in rows} == {0, 2}  # the failing variant 1 is never sent
    for row in rows:
        coupon = stored[row.household_id]
        assert row.code == coupon.code and row.variant == coupon.variant
        assert row.copy_text == COPIES[row.variant or 0].text
        assert (row.kind, row.value, row.min_spend) == ("amount_off", 5, 25)
        assert row.send_at == row.valid_from == coupon.valid_from


def test_exporting_twice_gives_the_same_bytes(fresh_db_url: str, tmp_path: Path) -> None:
    campaign_id, recipients, _held = dispatched(fresh_db_url)
    with Session(get_engine(fresh_db_url)) as session:
        for fmt in ("csv", "jsonl"):
            first, content = export_campaign(session, campaign_id, fmt, tmp_path / f"a.{fmt}")
            _second, again = export_campaign(session, campaign_id, fmt, tmp_path / f"b.{fmt}")
            assert content == again == (tmp_path / f"b.{fmt}").read_bytes()
            assert first.rows == len(recipients)
    table = list(csv.DictReader(io.StringIO((tmp_path / "a.csv").read_text())))
    assert len(table) == len(recipients)
    assert table[0]["value"] == "5" and table[0]["min_spend"] == "25"
    assert table[0]["max_discount"] == "" and table[0]["categories"] == ""
    lines = (tmp_path / "a.jsonl").read_text().splitlines()
    assert [json.loads(line)["code"] for line in lines] == [r["code"] for r in table]


def test_cli_export_to_stdout_and_file(fresh_db_url: str, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    campaign_id, recipients, _held = dispatched(fresh_db_url)
    monkeypatch.setenv("COUPONDESK_DATABASE_URL", fresh_db_url)
    runner = CliRunner()
    shown = runner.invoke(main, ["export", str(campaign_id), "--format", "jsonl"])
    assert shown.exit_code == 0, shown.stderr
    assert len(shown.stdout_bytes.splitlines()) == len(recipients)
    out = tmp_path / "codes.csv"
    written = runner.invoke(main, ["export", str(campaign_id), "--out", str(out)])
    assert written.exit_code == 0 and f"exported {len(recipients)} codes" in written.stderr
    assert out.read_text().startswith("campaign_id,household_id,code,variant,copy_text,")
    missing = runner.invoke(main, ["export", "999999"])
    assert missing.exit_code != 0 and missing.stderr.strip() == (
        "coupondesk: campaign 999999 does not exist")


def test_undispatched_campaign_has_nothing_to_export(fresh_db_url: str) -> None:
    with Session(get_engine(fresh_db_url)) as session, session.begin():
        campaign_id = create_campaign(session, request="draft", operator="ana")
    with Session(get_engine(fresh_db_url)) as session, pytest.raises(RefusedError,
                                                                      match="is draft"):
        export_rows(session, campaign_id)
