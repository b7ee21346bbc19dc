"""The command-line JSON contract, end to end with real (tiny) models and the scripted LLM."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from coupondesk.cli import main
from tests.cli_run import doc, run

REQUEST = (
    "Give 10% off soup to households that haven't shopped in 20 days, budget $300, valid 7 days"
)


@pytest.fixture
def cli_env(home_with_models: Path, fresh_db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COUPONDESK_DATABASE_URL", fresh_db_url)
    monkeypatch.setenv("COUPONDESK_TODAY", "2018-01-02")
    monkeypatch.setenv("COUPONDESK_OPERATOR", "ana")
    return fresh_db_url


def test_plan_has_the_contract_keys(cli_env: str) -> None:
    plan = doc(run("plan", REQUEST, "--json"))
    assert set(plan) >= {"offer", "audience", "budget", "language", "assumptions", "errors"}
    assert plan["offer"] == {
        "kind": "percent_off",
        "value": 10.0,
        "min_spend": None,
        "valid_days": 7,
        "departments": [],
        "categories": ["SOUP"],
        "max_discount": 5.0,
    }
    assert plan["audience"]["lapsed_days"] == 20 and plan["budget"] == 300
    assert any(a.startswith("no cap given: at most $5 off") for a in plan["assumptions"])


def test_propose_approve_show(cli_env: str) -> None:
    proposal = doc(run("propose", REQUEST, "--json"))
    assert {
        "campaign_id",
        "status",
        "plan",
        "audience_size",
        "holdout_size",
        "expected_redemptions",
        "expected_cost",
        "budget",
        "worst_case_liability",
        "copy",
        "violations",
        "assumptions",
        "recipients_sample",
    } <= set(proposal)
    assert proposal["status"] == "proposed" and proposal["violations"] == []
    assert proposal["audience_size"] > 0 and proposal["expected_cost"] <= 300
    for copy in proposal["copy"]:
        assert set(copy) >= {"text", "source", "ok", "violations"}
        assert copy["source"] in ("fake", "template")  # the scripted LLM is never "llm"
    sample = proposal["recipients_sample"][0]
    assert set(sample) >= {"household_id", "p_redeem", "reason", "send_at"}
    assert 0 <= sample["p_redeem"] <= 1
    # The tiny models include a timing model: codes are sent per household inside the window.
    assert proposal["send_timing"] == "per_household"
    assert sum(d["households"] for d in proposal["send_schedule"]) == proposal["audience_size"]
    assert proposal["valid_from"] <= sample["send_at"] <= proposal["valid_to"]
    campaign_id = proposal["campaign_id"]

    approved = doc(run("approve", str(campaign_id), "--operator", "ana", "--json"))
    assert approved["campaign_id"] == campaign_id and approved["status"] == "dispatched"
    assert approved["issued"] == proposal["audience_size"]
    again = doc(run("approve", str(campaign_id), "--operator", "ana", "--json"))
    assert again["issued"] == 0 and "already dispatched" in again["message"]

    listed = doc(run("campaigns", "--json"))
    assert [c["id"] for c in listed] == [campaign_id] and listed[0]["status"] == "dispatched"
    shown = doc(run("show", str(campaign_id), "--json"))
    assert shown["issued"] == proposal["audience_size"]
    assert [a["action"] for a in shown["audit"]] == [
        "created",
        "proposed",
        "approved",
        "dispatched",
    ]


def test_revise_and_reject(cli_env: str) -> None:
    proposal = doc(run("propose", REQUEST, "--json"))
    revised = doc(run("revise", str(proposal["campaign_id"]), "make it 5%", "--json"))
    assert revised["campaign_id"] == proposal["campaign_id"]
    assert revised["plan"]["offer"]["value"] == 5
    rejected = doc(
        run(
            "reject",
            str(proposal["campaign_id"]),
            "--operator",
            "bo",
            "--reason",
            "too soon after the last one",
            "--json",
        )
    )
    assert rejected["status"] == "rejected"
    result = run("approve", str(proposal["campaign_id"]), "--operator", "ana", "--json")
    assert result.exit_code == 1 and result.stdout == ""
    assert "rejected" in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (("approve", "999", "--operator", "ana", "--json"), 1, "campaign 999 does not exist"),
        (("propose", "   ", "--json"), 2, "empty"),
        (("show", "999", "--json"), 1, "does not exist"),
    ],
)
def test_errors_are_one_line(cli_env: str, args: tuple[str, ...], code: int, words: str) -> None:
    result = run(*args)
    assert result.exit_code == code
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and result.stdout == ""


def test_ask_answers_from_the_database(cli_env: str) -> None:
    answer = doc(run("ask", "how many households bought soup last month?", "--json"))
    assert answer["tool"] == "run_question_query" and answer["source"] == "rules"
    assert answer["answered"] is True
    assert answer["query"]["measure"] == "households"
    assert answer["query"]["scope"]["categories"] == ["SOUP"]
    assert "scope: SOUP" in answer["answer"]
    declined = doc(run("ask", "why did soup sales drop?", "--json"))
    assert declined["answered"] is False and declined["query"] is None


def test_no_models_is_a_clear_error(
    isolated_home: Path, fresh_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COUPONDESK_DATABASE_URL", fresh_db_url)
    result = run("propose", REQUEST, "--json")
    assert result.exit_code == 1
    assert "coupondesk train" in result.stderr and result.stdout == ""
    listed = doc(run("campaigns", "--json"))
    assert listed == []  # nothing was written


@pytest.mark.parametrize(
    "args",
    [
        ("approve", "abc", "--operator", "ana", "--json"),
        ("approve", "3", "--json"),
        ("approve", "-1", "--operator", "ana"),
        ("check-offer",),
        ("plan", "--json"),
        ("--bogus",),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("coupondesk: ") and "--help" in lines[0]


BIG = "9" * 25


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (("show", BIG, "--json"), 1, "does not exist"),
        (("approve", BIG, "--operator", "ana", "--json"), 1, "does not exist"),
        (("reject", BIG, "--operator", "ana", "--reason", "x", "--json"), 1, "does not exist"),
        (("revise", BIG, "make it 5%", "--json"), 1, "does not exist"),
        (("approve", "1", "--operator", "  ", "--json"), 2, "operator name is empty"),
        (("revise", "1", " ", "--json"), 2, "the change is empty"),
        (("reject", "1", "--operator", "ana", "--reason", "", "--json"), 2, "reason"),
        (("ask", " ", "--json"), 2, "question is empty"),
    ],
)
def test_odd_input_is_one_line_without_models(
    isolated_home: Path,
    fresh_db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    code: int,
    words: str,
) -> None:
    monkeypatch.setenv("COUPONDESK_DATABASE_URL", fresh_db_url)
    result = run(*args)
    assert result.exit_code == code and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0]


ISSUE_REQUESTS = [
    ("15% off coffee for households active in the last 60 days, budget $300, valid 7 days", 300),
    ("$2 off frozen pizza for households that haven't shopped in 14 days, budget $150", 150),
    ("10% off cheese for all households, budget $200", 200),
]


@pytest.mark.parametrize(("request_text", "budget"), ISSUE_REQUESTS)
def test_the_issue_requests_spend_the_budget_or_reach_everyone(
    cli_env: str, request_text: str, budget: float
) -> None:
    """Issue 18: each spends >= 85% of its budget in expected cost, or reaches every eligible
    household and says so; the worst-case rule no longer ends a service-mode cut."""
    proposal = doc(run("propose", request_text, "--json"))
    assert proposal["budget"] == budget and proposal["budget_mode"] == "service"
    assert proposal["stopped_by"] in {"budget", "audience", "max_size"}
    assert proposal["refusal_risk"] is not None and proposal["refusal_risk"] <= 0.05
    if proposal["stopped_by"] == "audience":
        assert proposal["audience_size"] + proposal["holdout_size"] == proposal["eligible_size"]
        assert proposal["stopped_by_text"].startswith("every eligible household is in the cut")
    else:
        assert proposal["expected_cost"] >= 0.85 * budget, proposal["stopped_by_text"]
    assert proposal["expected_cost"] <= budget


@pytest.mark.parametrize(
    ("request_text", "field"),
    [
        ("15% off coffee, up to $20, for coffee buyers, budget $300", "offer.max_discount"),
        ("$2 off frozen pizza, max $2 off, for lapsed households, budget $150",
         "offer.max_discount"),
        ("$2 off frozen pizza for lapsed households, budget $1", "budget"),
    ],
)
def test_propose_refuses_a_bad_cap_or_budget_and_writes_nothing(
    cli_env: str, request_text: str, field: str
) -> None:
    result = CliRunner().invoke(main, ["propose", request_text, "--json"])
    assert result.exit_code != 0 and result.stdout == ""
    assert result.stderr.startswith(f"coupondesk: {field}: ")
    assert result.stderr.count("\n") == 1
    assert doc(run("campaigns", "--json")) in ([], {"campaigns": []})


def test_text_summary_shows_the_depth_mix_beside_propensity() -> None:
    from coupondesk.commands.campaigns import depth_mix_lines
    from tests.tui.fakes import RANGE_REQUEST, REQUEST, make_proposal

    lines = depth_mix_lines(make_proposal(1, RANGE_REQUEST).to_cli_json())
    assert lines[0] == ("  depth      10% off: 200 codes, expected $494.17, 21.40 incremental "
                        "buyers")
    assert [line.split(":")[0] for line in lines[:3]] == [
        "  depth      10% off", "  depth      15% off", "  depth      20% off"]
    assert lines[3] == "  increment  margin -$212.35, ROI -0.14"
    assert lines[4].startswith("  vs ranking propensity ranking at 20% off, same budget: 512 codes")
    assert "margin -$640.10, ROI -0.32" in lines[4]
    assert lines[5] == "  response   the stated prior, not learned (no campaign outcomes yet)"
    assert depth_mix_lines(make_proposal(2, REQUEST).to_cli_json()) == []
