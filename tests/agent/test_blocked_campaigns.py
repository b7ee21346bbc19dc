"""`blocked` end to end on the command line: the same campaign proposed twice, both approved.

Real (tiny) models and the scripted LLM, on SQLite and PostgreSQL: the second dispatch refuses
naming the stacking rule and writes nothing; the campaign is listed and shown as blocked;
approving it again exits 1 naming the rule; a revision re-proposes it without the households
that already hold a cheese coupon.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import Result

from tests.cli_run import doc, run

REQUEST = "15% off cheese for households active in the last 30 days, budget $500, valid 7 days"


@pytest.fixture
def cli_env(home_with_models: Path, fresh_db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COUPONDESK_DATABASE_URL", fresh_db_url)
    monkeypatch.setenv("COUPONDESK_TODAY", "2018-01-02")
    monkeypatch.setenv("COUPONDESK_OPERATOR", "ana")
    return fresh_db_url


def one_error_line(result: Result) -> str:
    assert result.exit_code == 1 and result.stdout == "", result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_overlapping_campaign_is_refused_blocked_and_revised(cli_env: str) -> None:
    first = doc(run("propose", REQUEST, "--json"))
    second = doc(run("propose", REQUEST, "--json"))
    assert first["status"] == second["status"] == "proposed"
    assert first["audience_size"] > 0 and "CHEESE" in first["plan"]["offer"]["categories"]
    shared = {r["household_id"] for r in first["recipients_sample"]}
    assert shared, "the two proposals target the same households"

    dispatched = doc(run("approve", str(first["campaign_id"]), "--operator", "ana", "--json"))
    assert dispatched["status"] == "dispatched" and dispatched["issued"] > 0

    refused = one_error_line(run("approve", str(second["campaign_id"]), "--operator", "ana",
                                 "--json"))
    assert "plan.stacking" in refused and "nothing was issued" in refused

    listed = {c["id"]: c for c in doc(run("campaigns", "--json"))}
    blocked = listed[second["campaign_id"]]
    assert blocked["status"] == "blocked" and blocked["violations"] == ["plan.stacking"]
    assert blocked["issued"] == 0
    shown = doc(run("show", str(second["campaign_id"]), "--json"))
    assert shown["status"] == "blocked" and shown["proposal"]["status"] == "blocked"
    assert [v["rule"] for v in shown["proposal"]["violations"]] == ["plan.stacking"]
    assert "dispatch_refused" in [a["action"] for a in shown["audit"]]
    assert "dispatched" not in [a["action"] for a in shown["audit"]]

    again = one_error_line(run("approve", str(second["campaign_id"]), "--operator", "bo",
                               "--json"))
    assert "blocked by plan.stacking" in again

    revised = doc(run("revise", str(second["campaign_id"]), "make it 10%", "--json"))
    assert revised["status"] in ("proposed", "blocked")
    assert revised["plan"]["offer"]["value"] == 10
    assert not shared & {r["household_id"] for r in revised["recipients_sample"]}
    assert "plan.stacking" not in [v["rule"] for v in revised["violations"]]


def test_forbidden_offer_is_saved_blocked_and_approve_names_the_rule(cli_env: str) -> None:
    proposal = doc(run("propose", "45% off cheese for lapsed households, budget $500", "--json"))
    assert proposal["status"] == "blocked"
    rules = [v["rule"] for v in proposal["violations"]]
    assert "offer.max_percent" in rules
    listed = doc(run("campaigns", "--json"))
    assert listed[0]["status"] == "blocked" and "offer.max_percent" in listed[0]["violations"]
    line = one_error_line(run("approve", str(proposal["campaign_id"]), "--operator", "ana",
                              "--json"))
    assert "offer.max_percent" in line
