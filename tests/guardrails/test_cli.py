"""`coupondesk check-offer` / `check-copy`: JSON contract and exit codes 0, 1 and 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from coupondesk.cli import main

TEA = json.dumps({"kind": "percent_off", "value": 12, "min_spend": None, "valid_days": 5,
                  "categories": ["TEAS"]})
SOUP = json.dumps({"kind": "amount_off", "value": 3, "min_spend": 25, "valid_days": 10,
                   "categories": ["SOUP"]})


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_check_offer_ok(runner: CliRunner) -> None:
    result = runner.invoke(main, ["check-offer", TEA, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"ok": True, "violations": []}


def test_check_offer_violations(runner: CliRunner) -> None:
    offer = '{"kind": "percent_off", "value": 45, "valid_days": 5, "departments": ["FUEL"]}'
    result = runner.invoke(main, ["check-offer", offer, "--json"])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False
    assert {v["rule"] for v in document["violations"]} == {
        "offer.max_percent", "offer.excluded_department"}
    assert all(set(v) == {"rule", "message", "value"} for v in document["violations"])


@pytest.mark.parametrize(
    "offer",
    ["{not json", '{"kind": "bogo", "value": 1, "valid_days": 5}', "[1, 2]",
     '{"kind": "percent_off", "value": "lots", "valid_days": 5}', '{"kind": "percent_off"}'],
)
def test_check_offer_bad_input_exits_2(runner: CliRunner, offer: str) -> None:
    result = runner.invoke(main, ["check-offer", offer, "--json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("coupondesk: ")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("offer", "field"),
    [
        ('{"kind": "percent_off", "value": 15, "valid_days": 7, "max_discount": 0}',
         "offer.max_discount"),
        ('{"kind": "percent_off", "value": 15, "valid_days": 7, "max_discount": 20}',
         "offer.max_discount"),  # above 15% of the policy's $100 basket
        ('{"kind": "amount_off", "value": 2, "valid_days": 7, "max_discount": 2}',
         "offer.max_discount"),
    ],
)
def test_a_bad_cap_is_one_line_naming_the_field(runner: CliRunner, offer: str, field: str) -> None:
    result = runner.invoke(main, ["check-offer", offer, "--json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"coupondesk: {field}: ")
    assert result.stderr.count("\n") == 1


def test_a_capped_offer_passes(runner: CliRunner) -> None:
    offer = '{"kind": "percent_off", "value": 15, "valid_days": 7, "max_discount": 5}'
    assert runner.invoke(main, ["check-offer", offer, "--json"]).exit_code == 0


def test_check_offer_reads_a_file(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "offer.json"
    path.write_text(TEA, encoding="utf-8")
    assert runner.invoke(main, ["check-offer", f"@{path}", "--json"]).exit_code == 0
    assert runner.invoke(main, ["check-offer", "-", "--json"], input=TEA).exit_code == 0


@pytest.mark.parametrize(
    ("offer", "text", "code"),
    [
        (TEA, "Tea time: 12% off teas, ends in 5 days.", 0),
        (TEA, "Enjoy 15% off tea for 5 days", 1),
        (TEA, "茶叶88折，5天内有效", 0),
        (SOUP, "Spend $25, save $3. Valid for 10 days.", 0),
        (SOUP, "Get $3 off! Valid 10 days.", 1),
    ],
)
def test_check_copy_exit_codes(runner: CliRunner, offer: str, text: str, code: int) -> None:
    result = runner.invoke(main, ["check-copy", "--offer", offer, "--text", text, "--json"])
    assert result.exit_code == code, result.output
    assert json.loads(result.stdout)["ok"] is (code == 0)


def test_check_copy_language_option(runner: CliRunner) -> None:
    args = ["check-copy", "--offer", TEA, "--text", "茶叶88折，5天内有效", "--json"]
    assert runner.invoke(main, [*args, "--language", "zh"]).exit_code == 0
    result = runner.invoke(main, [*args, "--language", "en"])
    assert result.exit_code == 1
    assert "copy.language" in {v["rule"] for v in json.loads(result.stdout)["violations"]}


def test_check_copy_bad_offer_exits_2(runner: CliRunner) -> None:
    result = runner.invoke(main, ["check-copy", "--offer", '{"kind": "x"}', "--text", "hi"])
    assert result.exit_code == 2


def test_readable_summary_without_json(runner: CliRunner) -> None:
    args = ["check-copy", "--offer", SOUP, "--text", "Get $3 off! Valid 10 days."]
    result = runner.invoke(main, args)
    assert result.exit_code == 1
    assert "copy: 1 violation" in result.stdout
    assert "[copy.min_spend_missing]" in result.stdout
    ok = runner.invoke(main, ["check-offer", TEA])
    assert (ok.exit_code, ok.stdout.strip()) == (0, "offer: ok")


def test_broken_policy_file_exits_2(runner: CliRunner, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("[offer]\nmax_percent = -3\n", encoding="utf-8")
    monkeypatch.setenv("COUPONDESK_POLICY", str(policy))
    result = runner.invoke(main, ["check-offer", TEA, "--json"])
    assert result.exit_code == 2
    assert str(policy) in result.stderr and "offer.max_percent" in result.stderr


def test_policy_override_changes_the_verdict(runner: CliRunner, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("[offer]\nmax_percent = 10\n", encoding="utf-8")
    monkeypatch.setenv("COUPONDESK_POLICY", str(policy))
    result = runner.invoke(main, ["check-offer", TEA, "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["violations"][0]["rule"] == "offer.max_percent"
