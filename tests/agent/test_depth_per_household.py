"""A depth range in the request: one depth per household by the uplift dual, end to end with the
tiny models and the scripted LLM; dispatch writes each code's own depth and probability."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from coupondesk.agent.planning.depth_words import read_depth_choice
from coupondesk.tools.campaigns.proposal import Proposal, proposal_hash
from coupondesk.tools.db.schema import IssuedCoupon
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from coupondesk.cli import main

REQUEST = ("Give 10-20% off soup to households that haven't shopped in 20 days, budget $300, "
           "valid 7 days")


@pytest.fixture
def cli_env(home_with_models: Path, fresh_db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COUPONDESK_DATABASE_URL", fresh_db_url)
    monkeypatch.setenv("COUPONDESK_TODAY", "2018-01-02")
    monkeypatch.setenv("COUPONDESK_OPERATOR", "ana")
    return fresh_db_url


def doc(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize(("text", "mode", "lo", "hi", "kind"), [
    ("10-20% off soup", "range", 10, 20, "percent_off"),
    ("10 to 20% off soup", "range", 10, 20, "percent_off"),
    ("10–20% off soup", "range", 10, 20, "percent_off"),
    ("$2 to $5 off soup", "range", 2, 5, "amount_off"),
    ("八到九折 汤", "range", 10, 20, "percent_off"),
    ("soup at the depth that pays", "best", None, None, None),
    ("15% off soup", "fixed", None, None, None),
])
def test_depth_words(text: str, mode: str, lo: float | None, hi: float | None,
                     kind: str | None) -> None:
    choice, read_kind = read_depth_choice(text)
    assert (choice.mode, choice.lo, choice.hi, read_kind) == (mode, lo, hi, kind)


def test_a_depth_range_gives_a_per_household_mix(cli_env: str) -> None:
    proposal = doc(CliRunner().invoke(main, ["propose", REQUEST, "--json"],
                                      catch_exceptions=False))
    assert proposal["plan"]["depth_choice"] == {"mode": "range", "lo": 10.0, "hi": 20.0}
    assert proposal["plan"]["offer"]["value"] == 20.0
    assert proposal["status"] == "proposed", proposal["violations"]
    mix = proposal["depth_mix"]
    assert {row["value"] for row in mix} <= {10.0, 15.0, 20.0} and len(mix) >= 2
    assert sum(row["households"] for row in mix) == proposal["audience_size"] > 0
    assert proposal["expected_cost"] <= 300
    assert proposal["stopped_by"] in ("budget", "value", "audience", "max_size")
    assert any("depth response: prior from" in a and "not learned" in a
               for a in proposal["assumptions"])
    for key in ("expected_incremental_margin", "incremental_roi"):
        assert isinstance(proposal[key], float)
    comparison = proposal["propensity_comparison"]
    assert comparison["value"] == 20.0 and comparison["households"] > 0
    assert comparison["expected_cost"] <= 300
    sample = proposal["recipients_sample"][0]
    assert sample["value"] in (10.0, 15.0, 20.0) and 0 < sample["uplift"] < 1
    # Copy is drafted and checked for each depth used, and states its depth.
    for row in mix:
        stating = [c for c in proposal["copy"] if c["depth"] == row["value"] and c["ok"]]
        assert stating and all(f"{row['value']:g}%" in c["text"] for c in stating)

    approved = doc(CliRunner().invoke(
        main, ["approve", str(proposal["campaign_id"]), "--operator", "ana", "--json"],
        catch_exceptions=False))
    assert approved["issued"] == proposal["audience_size"]
    with Session(create_engine(cli_env)) as session:
        codes = session.scalars(select(IssuedCoupon)).all()
        stored = session.execute(
            select(IssuedCoupon.household_id, IssuedCoupon.value)).all()
    values = {float(c.value) for c in codes}
    assert values == {float(row["value"]) for row in mix}
    assert all(c.arm == f"percent_off:{c.value:g}" for c in codes)
    assert all(c.assignment_probability is not None and 0 < c.assignment_probability <= 1
               for c in codes)
    assert all(c.variant is not None for c in codes)
    shown = {h: v for h, v in stored}
    for row in proposal["recipients_sample"]:
        assert shown[row["household_id"]] == row["value"]


def test_the_hash_covers_each_households_depth() -> None:
    from datetime import date

    from coupondesk.tools.campaigns.offer import Offer
    from coupondesk.tools.campaigns.plan import CampaignPlan, DepthChoice
    from coupondesk.tools.campaigns.proposal import AllocationSummary, CopyVariant, RecipientRow

    plan = CampaignPlan(offer=Offer(kind="percent_off", value=20, valid_days=7), budget=100,
                        depth_choice=DepthChoice(mode="range", lo=10, hi=20))
    rows = [RecipientRow(household_id=h, p_redeem=0.1, expected_cost=1.0, reason="", value=v,
                         arm=f"percent_off:{v:g}", uplift=0.01, assignment_probability=0.9)
            for h, v in ((1, 10.0), (2, 20.0))]
    copies = [CopyVariant(text=f"{v:g}% off", source="template", ok=True, depth=v)
              for v in (10.0, 20.0)]
    made = Proposal.from_allocation(
        campaign_id=1, plan=plan, allocation=AllocationSummary(recipients=rows), copies=copies,
        violations=[], valid_from=date(2018, 1, 2))
    changed = made.model_copy(update={"recipients": [
        rows[0].model_copy(update={"value": 15.0}), rows[1]]})
    assert proposal_hash(made) != proposal_hash(changed)
    assert not made.blocking
    # A depth no passing copy states blocks the proposal.
    assert changed.depths_without_copy == [15.0] and changed.blocking
