"""check_offer: unit cases for each rule, and a property test against an independent oracle."""

from __future__ import annotations

import math

import pytest
from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.policy.guardrails import check_offer
from coupondesk.tools.policy.rules import Policy, load_policy
from hypothesis import given, settings

from tests.guardrails.strategies import any_offers, valid_offers

POLICY = load_policy()


def _rules(offer: Offer) -> set[str]:
    return {v.rule for v in check_offer(offer, POLICY).violations}


@pytest.mark.parametrize(
    ("offer", "rules"),
    [
        (Offer(kind="percent_off", value=12, valid_days=5, categories=["TEAS"]), set()),
        (Offer(kind="amount_off", value=3, min_spend=25, valid_days=10), set()),
        (Offer(kind="amount_off", value=5, valid_days=10, categories=["BEEF"]), set()),
        (Offer(kind="amount_off", value=15, min_spend=100, valid_days=10), set()),
        (Offer(kind="percent_off", value=31, valid_days=5), {"offer.max_percent"}),
        (Offer(kind="percent_off", value=12.3, valid_days=5), {"offer.value_step"}),
        (Offer(kind="percent_off", value=0, valid_days=5), {"offer.value_positive"}),
        (Offer(kind="percent_off", value=-5, valid_days=5), {"offer.value_positive"}),
        (Offer(kind="percent_off", value=float("nan"), valid_days=5), {"offer.value_positive"}),
        (Offer(kind="amount_off", value=25, min_spend=200, valid_days=5), {"offer.max_amount"}),
        (Offer(kind="amount_off", value=6, valid_days=5), {"offer.min_spend_required"}),
        (Offer(kind="amount_off", value=8, min_spend=30, valid_days=5), {"offer.amount_share"}),
        (Offer(kind="amount_off", value=3.333, min_spend=30, valid_days=5), {"offer.value_step"}),
        (Offer(kind="percent_off", value=10, min_spend=300, valid_days=5), {"offer.min_spend_max"}),
        (Offer(kind="percent_off", value=10, valid_days=1), {"offer.validity_min"}),
        (Offer(kind="percent_off", value=10, valid_days=31), {"offer.validity_max"}),
        (Offer(kind="percent_off", value=10, valid_days=5, departments=["fuel"]),
         {"offer.excluded_department"}),
        (Offer(kind="percent_off", value=10, valid_days=5, categories=["CIGARETTES"]),
         {"offer.excluded_category"}),
        (Offer(kind="percent_off", value=16, valid_days=5, categories=["FLUID MILK PRODUCTS"]),
         {"offer.scope_max_percent"}),
        (Offer(kind="amount_off", value=12, min_spend=60, valid_days=5, departments=["DRUG GM"]),
         {"offer.scope_max_amount"}),
    ],
)
def test_offer_rules(offer: Offer, rules: set[str]) -> None:
    verdict = check_offer(offer, POLICY)
    assert {v.rule for v in verdict.violations} == rules
    assert verdict.ok is (not rules)
    for violation in verdict.violations:
        assert violation.message


def test_kind_not_allowed_by_policy() -> None:
    policy = Policy.model_validate({"offer": {"allowed_kinds": ["percent_off"]}})
    verdict = check_offer(Offer(kind="amount_off", value=1, valid_days=5), policy)
    assert [v.rule for v in verdict.violations] == ["offer.kind"]


def _breaks_a_rule(offer: Offer, policy: Policy) -> bool:
    """An independent reading of the offer rules, written from the policy file's comments."""
    r = policy.offer
    value = offer.value
    if not (math.isfinite(value) and value > 0) or offer.kind not in r.allowed_kinds:
        return True
    if offer.min_spend is not None and offer.min_spend < 0:
        return True
    minimum = offer.min_spend or 0
    if not r.min_valid_days <= offer.valid_days <= r.max_valid_days:
        return True
    if {d.upper() for d in offer.departments} & set(r.excluded_departments):
        return True
    if {c.upper() for c in offer.categories} & set(r.excluded_categories):
        return True
    if minimum > r.max_min_spend:
        return True
    limits = policy.scope_limits(offer.departments, offer.categories)
    if offer.kind == "percent_off":
        cap = min([r.max_percent, *[lim.max_percent for _, lim in limits if lim.max_percent]])
        return value > cap or abs(value / r.percent_step - round(value / r.percent_step)) > 1e-6
    cap = min([r.max_amount, *[lim.max_amount for _, lim in limits if lim.max_amount]])
    if value > cap or abs(value * 100 - round(value * 100)) > 1e-6:
        return True
    if value > r.min_spend_required_above and minimum <= 0:
        return True
    return minimum > 0 and value > r.max_amount_share_of_min_spend * minimum + 1e-9


@settings(max_examples=250, deadline=None)
@given(any_offers())
def test_random_offers_pass_exactly_when_no_rule_is_broken(offer: Offer) -> None:
    verdict = check_offer(offer, POLICY)
    assert verdict.ok is (not _breaks_a_rule(offer, POLICY)), verdict.violations


@settings(max_examples=100, deadline=None)
@given(valid_offers(POLICY))
def test_generated_valid_offers_pass(offer: Offer) -> None:
    assert check_offer(offer, POLICY).ok
