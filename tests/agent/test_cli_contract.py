"""The command-line JSON contract, end to end with real (tiny) models and the scripted LLM."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from coupondesk.cli import main

REQUEST = (
    "Give 10% off soup to households that haven't shopped in 20 days, budget $300, valid 7 days"
)


@pytest.fixture
def cli_env(home_with_models: Path, fresh_db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COUPONDESK_DATABASE_URL", fresh_db_url)
    monkeypatch.setenv("COUPONDESK_TODAY", "2018-01-02")
    monkeypatch.setenv("COUPONDESK_OPERATOR", "ana")
    return fresh_db_url


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def doc(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


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
    }
    assert plan["audience"]["lapsed_days"] == 20 and plan["budget"] == 300


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
        assert copy["source"] in ("llm", "template")
    sample = proposal["recipients_sample"][0]
    assert set(sample) == {"household_id", "p_redeem", "reason"} and 0 <= sample["p_redeem"] <= 1
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
