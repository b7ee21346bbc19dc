"""The policy file: the packaged default loads, and every broken file is one clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
from coupondesk.tools.errors import ConfigError
from coupondesk.tools.policy.rules import (
    DEFAULT_POLICY_PATH,
    RULES,
    load_policy,
)

from coupondesk.settings import Settings


def test_default_policy_loads_with_catalog_spelling() -> None:
    policy = load_policy()
    assert load_policy(DEFAULT_POLICY_PATH) == policy
    assert {"FUEL", "SPIRITS"} <= set(policy.offer.excluded_departments)
    assert {"CIGARETTES", "PHARMACY", "INFANT FORMULA", "LIQUOR"} <= set(
        policy.offer.excluded_categories
    )
    assert "free" in policy.copy_rules.banned_phrases_en
    assert "免费" in policy.copy_rules.banned_phrases_zh


def test_rule_ids_are_namespaced() -> None:
    assert all(rule.split(".")[0] in {"offer", "plan", "copy"} for rule in RULES)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("[offer\n", "not valid TOML"),
        ('[offer]\nmax_percent = "lots"\n', "field offer.max_percent"),
        ("[offer]\nmax_percent = 150\n", "field offer.max_percent"),
        ("[ofer]\nmax_percent = 10\n", "field ofer"),
        ("[offer]\nmax_percnt = 10\n", "field offer.max_percnt"),
        ("[audience]\nmin_size = 100\nmax_size = 10\n", "field audience"),
        ("[offer]\nmin_valid_days = 10\nmax_valid_days = 5\n", "field offer"),
        ('[copy]\nmachine_patterns = ["(unclosed"]\n', "field copy.machine_patterns"),
        ('[offer]\nallowed_kinds = ["bogo"]\n', "field offer.allowed_kinds"),
        ("version = 2\n", "field version"),
        ('[copy]\nbanned_phrases_en = [" "]\n', "field copy.banned_phrases_en"),
    ],
)
def test_broken_policy_file_is_one_line_config_error(
    tmp_path: Path, body: str, fragment: str
) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_policy(path)
    message = caught.value.message
    assert str(path) in message
    assert fragment in message
    assert "\n" not in message
    assert caught.value.exit_code == 2


def test_missing_and_undecodable_policy_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        load_policy(tmp_path / "nope.toml")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_policy(binary)


def test_settings_override_the_two_operator_threshold() -> None:
    policy = Settings(two_operator_threshold=123.0).guardrails.load_policy()
    assert policy.budget.two_operator_threshold == 123.0
    assert Settings().guardrails.load_policy().budget.two_operator_threshold == 5000


def test_every_rule_id_the_guardrails_emit_is_documented() -> None:
    import re

    import coupondesk.tools.policy.guardrails as guardrails

    source = Path(guardrails.__file__).read_text("utf-8")
    emitted = set(re.findall(r'"((?:offer|plan|copy)\.[a-z_]+)"', source))
    emitted |= {f"copy.{kind}" for kind in ("email", "url", "phone")}
    assert emitted
    assert emitted <= set(RULES), emitted - set(RULES)
    documented = (Path(__file__).resolve().parents[2] / "docs" / "policy.md")
    if documented.exists():
        text = documented.read_text("utf-8")
        assert all(rule in text for rule in RULES), [r for r in RULES if r not in text]
