"""Hypothesis strategies shared by the guardrail property tests."""

from __future__ import annotations

from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.policy.rules import Policy
from hypothesis import strategies as st

ALLOWED_CATEGORIES = [
    "TEAS", "SOUP", "BREAD", "BEEF", "COOKIES/CONES", "FLUID MILK PRODUCTS", "BABY FOODS",
    "HAIR CARE PRODUCTS", "FRZN MEAT/MEAT DINNERS", "POTATOES", "CRACKERS/MISC BKD FD",
]
ALLOWED_DEPARTMENTS = ["GROCERY", "DELI", "PASTRY", "PRODUCE", "MEAT", "DRUG GM"]
EN_LABELS = ["teas", "soup", "bread", "beef", "cookies", "fluid milk", "baby foods",
             "hair care", "frozen meat dinners", "potatoes", "crackers", "deli", "pastry"]
ZH_LABELS = ["茶叶", "汤品", "面包", "牛肉", "饼干", "牛奶", "婴儿食品", "护发产品", "冷冻肉类",
             "土豆", "熟食", "糕点", "TEAS", "SOUP"]


def _cap_percent(policy: Policy, departments: list[str], categories: list[str]) -> float:
    caps = [policy.offer.max_percent]
    caps += [lim.max_percent for _, lim in policy.scope_limits(departments, categories)
             if lim.max_percent is not None]
    return min(caps)


def _cap_amount(policy: Policy, departments: list[str], categories: list[str]) -> float:
    caps = [policy.offer.max_amount]
    caps += [lim.max_amount for _, lim in policy.scope_limits(departments, categories)
             if lim.max_amount is not None]
    return min(caps)


@st.composite
def valid_offers(draw: st.DrawFn, policy: Policy) -> Offer:
    """Any offer the policy allows, built rule by rule (so check_offer must accept it)."""
    rules = policy.offer
    departments = draw(st.lists(st.sampled_from(ALLOWED_DEPARTMENTS), max_size=2, unique=True))
    categories = draw(st.lists(st.sampled_from(ALLOWED_CATEGORIES), max_size=2, unique=True))
    kind = draw(st.sampled_from(list(rules.allowed_kinds)))
    valid_days = draw(st.integers(rules.min_valid_days, rules.max_valid_days))
    if kind == "percent_off":
        steps = int(_cap_percent(policy, departments, categories) / rules.percent_step)
        value = draw(st.integers(1, steps)) * rules.percent_step
        min_spend = draw(st.none() | st.integers(1, int(rules.max_min_spend * 100)).map(
            lambda c: c / 100))
        worst = max(policy.budget.percent_liability_basket, min_spend or 0.0) * value / 100
        max_discount = draw(st.none() | st.integers(1, max(1, int(worst * 100))).map(
            lambda c: c / 100))
        return Offer(kind=kind, value=value, min_spend=min_spend, valid_days=valid_days,
                     departments=departments, categories=categories, max_discount=max_discount)
    else:
        cents = draw(st.integers(1, int(round(_cap_amount(policy, departments, categories) * 100))))
        value = cents / 100
        lowest = value / rules.max_amount_share_of_min_spend
        need_min = value > rules.min_spend_required_above
        floor_cents = int(-(-lowest * 100 // 1))
        spend = st.integers(floor_cents, int(rules.max_min_spend * 100)).map(lambda c: c / 100)
        min_spend = draw(spend if need_min else st.none() | spend)
    return Offer(kind=kind, value=value, min_spend=min_spend, valid_days=valid_days,
                 departments=departments, categories=categories)


@st.composite
def any_offers(draw: st.DrawFn) -> Offer:
    """Offers across and beyond every policy bound, including excluded scopes."""
    kind = draw(st.sampled_from(["percent_off", "amount_off"]))
    value = draw(st.one_of(
        st.integers(-5, 120).map(float),
        st.floats(min_value=-10, max_value=150, allow_nan=False, allow_infinity=False),
        st.integers(1, 80).map(lambda h: h / 2),
        st.integers(1, 4000).map(lambda c: c / 100),
    ))
    min_spend = draw(st.none() | st.sampled_from([0.0, 5.0, 10.0, 12.0, 20.0, 25.0, 40.0, 100.0,
                                                   249.99, 250.0, 300.0, -1.0])
                     | st.floats(min_value=0, max_value=400, allow_nan=False))
    valid_days = draw(st.integers(-2, 60))
    departments = draw(st.lists(st.sampled_from([*ALLOWED_DEPARTMENTS, "FUEL", "SPIRITS",
                                                 "fuel", "COUPON"]), max_size=2, unique=True))
    categories = draw(st.lists(st.sampled_from([*ALLOWED_CATEGORIES, "CIGARETTES", "PHARMACY",
                                                "INFANT FORMULA", "liquor", "BEERS/ALES"]),
                               max_size=2, unique=True))
    return Offer(kind=kind, value=value, min_spend=min_spend, valid_days=valid_days,
                 departments=departments, categories=categories)
