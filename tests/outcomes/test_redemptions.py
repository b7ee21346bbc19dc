"""Validate and redeem: every refusal reason, the discount on in-scope lines, the budget rule."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from coupondesk.tools.db.schema import (
    AuditEntry,
    Campaign,
    IssuedCoupon,
    Redemption,
    RedemptionRefusal,
)
from coupondesk.tools.db.session import get_engine
from coupondesk.tools.outcomes.redemptions import (
    REASONS,
    Basket,
    BasketLine,
    RedemptionOutcome,
    discount_for,
    money,
    redeem_code,
    validate_code,
)
from coupondesk.tools.policy.rules import RedemptionRules
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.outcomes.issued import Catalog, catalog, issue

AT = datetime(2018, 1, 4, 12, 0)


# ------------------------------------------------------------------ pure terms


@pytest.mark.parametrize(
    ("kind", "value", "scoped", "cap", "expected"),
    [
        ("percent_off", 15, 40.0, None, 6.0),
        ("percent_off", 15, 40.0, 5.0, 5.0),  # "15% off, up to $5"
        ("percent_off", 15, 20.0, 5.0, 3.0),  # under the cap
        ("percent_off", 10, 0.0, None, 0.0),
        ("amount_off", 5, 12.0, None, 5.0),
        ("amount_off", 5, 3.2, None, 3.2),  # never more than the in-scope amount
        ("percent_off", 15, 17.83, None, 2.67),  # 2.6745 rounds half-up to the cent
    ],
)
def test_discount_for(kind: str, value: float, scoped: float, cap: float | None,
                      expected: float) -> None:
    assert discount_for(kind, value, in_scope_amount=scoped, max_discount=cap) == expected


def test_money_rounds_half_up() -> None:
    assert money(2.675) == 2.68 and money(0.125) == 0.13 and money(1.0) == 1.0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"total": -1, "lines": []}, "total"),
        ({"total": 10, "lines": [{"product_id": 1, "quantity": 0, "amount": 1}]}, "quantity"),
        ({"total": 10, "lines": [{"product_id": 1, "quantity": 1, "amount": -2}]}, "amount"),
        ({"total": 5, "lines": [{"product_id": 1, "quantity": 1, "amount": 5.02}]}, "total"),
        ({"total": float("nan"), "lines": []}, "total"),
        ({"total": 5, "lines": [], "extra": 1}, "extra"),
    ],
)
def test_basket_rejects_bad_input(body: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Basket.model_validate(body)
    assert field in str(caught.value)


def test_basket_total_may_exceed_lines_and_round() -> None:
    Basket(total=10.0, lines=[BasketLine(product_id=1, quantity=1, amount=10.004)])
    Basket(total=50.0, lines=[BasketLine(product_id=1, quantity=2, amount=10.0)])


# ------------------------------------------------------------------ against the database


def basket(products: Catalog, coffee: float, other: float = 0.0) -> Basket:
    lines = [BasketLine(product_id=products.coffee, quantity=1, amount=coffee)]
    if other:
        lines.append(BasketLine(product_id=products.other, quantity=1, amount=other))
    return Basket(total=coffee + other + 3.0, lines=lines)


def redeem(url: str, code: str, household: int | None, items: Basket, *,
           at: datetime = AT, rules: RedemptionRules | None = None,
           reported: float | None = None, order: str = "o-1") -> RedemptionOutcome:
    with Session(get_engine(url)) as session, session.begin():
        return redeem_code(
            session, code, household_id=household, basket=items, at=at, source="service",
            order_id=order, rules=rules, reported_discount=reported,
        )


def check(url: str, code: str, household: int | None, items: Basket, at: datetime = AT):  # type: ignore[no-untyped-def]
    with Session(get_engine(url)) as session:
        return validate_code(session, code, household_id=household, basket=items, at=at)


def test_valid_code_discounts_in_scope_lines_only(fresh_db_url: str) -> None:
    products = catalog(fresh_db_url)
    _campaign, [(code, household), *_] = issue(fresh_db_url, value=15)
    result = check(fresh_db_url, code, household, basket(products, coffee=20.0, other=80.0))
    assert result.valid and result.reasons == []
    assert result.in_scope_amount == 20.0 and result.discount == 3.0


def test_redeem_writes_redemption_status_totals_and_audit(fresh_db_url: str) -> None:
    products = catalog(fresh_db_url)
    campaign_id, [(code, household), *_] = issue(fresh_db_url, budget=100.0)
    outcome = redeem(fresh_db_url, code, household, basket(products, coffee=40.0))
    assert outcome.redeemed and outcome.discount == 6.0 and outcome.budget_remaining == 94.0
    with Session(get_engine(fresh_db_url)) as session:
        coupon = session.execute(select(IssuedCoupon).where(IssuedCoupon.code == code)).scalar_one()
        assert coupon.status == "redeemed" and coupon.redeemed_at == AT
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        assert (campaign.redeemed_discount, campaign.redeemed_count) == (6.0, 1)
        row = session.execute(select(Redemption).where(Redemption.code == code)).scalar_one()
        assert (row.discount, row.source, row.order_id, row.household_id) == (
            6.0, "service", "o-1", household)
        actions = session.execute(
            select(AuditEntry.action, AuditEntry.detail).where(
                AuditEntry.campaign_id == campaign_id)
        ).all()
        assert [a for a, _d in actions] == ["redeemed"] and actions[0][1]["code"] == code


def test_second_redemption_is_refused_and_recorded(fresh_db_url: str) -> None:
    products = catalog(fresh_db_url)
    campaign_id, [(code, household), *_] = issue(fresh_db_url)
    assert redeem(fresh_db_url, code, household, basket(products, 40.0)).redeemed
    again = redeem(fresh_db_url, code, household, basket(products, 40.0), order="o-2")
    assert not again.redeemed and again.reasons == ["already_redeemed"]
    assert check(fresh_db_url, code, household, basket(products, 40.0)).reasons == [
        "already_redeemed"]
    with Session(get_engine(fresh_db_url)) as session:
        refusals = session.execute(
            select(RedemptionRefusal.reason, RedemptionRefusal.campaign_id)).all()
        assert refusals == [("already_redeemed", campaign_id)]
        assert session.execute(select(func.count()).select_from(Redemption)).scalar_one() == 1


@pytest.mark.parametrize(
    ("reason", "coupon_terms", "attempt"),
    [
        ("unknown_code", {}, {"code": "CD-NOPE-NOPE-NOPE"}),
        ("wrong_household", {}, {"household": -1}),
        ("not_yet_valid", {}, {"at": datetime(2018, 1, 1, 23, 59)}),
        ("expired", {}, {"at": datetime(2018, 1, 9, 0, 0)}),
        ("min_spend_not_met", {"kind": "amount_off", "value": 2, "min_spend": 10},
         {"coffee": 9.99}),
        ("nothing_in_scope", {}, {"coffee": 0.0, "other": 30.0}),
        ("budget_exhausted", {"budget": 5.0}, {"coffee": 40.0}),
    ],
)
def test_each_refusal_reason(fresh_db_url: str, reason: str, coupon_terms: dict[str, object],
                             attempt: dict[str, object]) -> None:
    assert reason in REASONS
    products = catalog(fresh_db_url)
    _campaign, [(code, household), *_] = issue(fresh_db_url, **coupon_terms)  # type: ignore[arg-type]
    code = str(attempt.get("code", code))
    who = attempt.get("household", household)
    at = attempt.get("at", AT)
    coffee, other = float(attempt.get("coffee", 40.0)), float(attempt.get("other", 0.0))  # type: ignore[arg-type]
    lines = [BasketLine(product_id=products.coffee, quantity=1, amount=coffee)] if coffee else []
    if other:
        lines.append(BasketLine(product_id=products.other, quantity=1, amount=other))
    items = Basket(total=coffee + other, lines=lines)
    validated = check(fresh_db_url, code, who, items, at)  # type: ignore[arg-type]
    assert not validated.valid and validated.reasons == [reason] and validated.discount == 0
    outcome = redeem(fresh_db_url, code, who, items, at=at)  # type: ignore[arg-type]
    assert not outcome.redeemed and outcome.reasons == [reason]
    with Session(get_engine(fresh_db_url)) as session:
        assert session.execute(select(func.count()).select_from(Redemption)).scalar_one() == 0
        assert session.execute(select(RedemptionRefusal.reason)).scalars().all() == [reason]


def test_void_code_is_refused(fresh_db_url: str) -> None:
    products = catalog(fresh_db_url)
    _campaign, [(code, household), *_] = issue(fresh_db_url)
    with Session(get_engine(fresh_db_url)) as session, session.begin():
        coupon = session.execute(select(IssuedCoupon).where(IssuedCoupon.code == code)).scalar_one()
        coupon.status = "void"
    assert redeem(fresh_db_url, code, household, basket(products, 40.0)).reasons == ["void"]


def test_several_reasons_are_all_listed(fresh_db_url: str) -> None:
    products = catalog(fresh_db_url)
    _campaign, [(code, _household), *_] = issue(fresh_db_url)
    late = datetime(2018, 2, 1)
    result = check(fresh_db_url, code, -1, Basket(total=5, lines=[
        BasketLine(product_id=products.other, quantity=1, amount=5)]), late)
    assert result.reasons == ["wrong_household", "expired", "nothing_in_scope"]


def test_storewide_coupon_covers_the_whole_total(fresh_db_url: str) -> None:
    _campaign, [(code, household), *_] = issue(
        fresh_db_url, kind="amount_off", value=5, min_spend=25, categories=())
    assert check(fresh_db_url, code, household, Basket(total=24.99)).reasons == [
        "min_spend_not_met"]
    result = check(fresh_db_url, code, household, Basket(total=25.0))
    assert result.valid and result.discount == 5.0


def test_department_scope(fresh_db_url: str) -> None:
    products = catalog(fresh_db_url)
    _campaign, [(code, household), *_] = issue(
        fresh_db_url, value=10, categories=(), departments=("GROCERY",))
    result = check(fresh_db_url, code, household, basket(products, coffee=30.0, other=50.0))
    assert result.valid and result.in_scope_amount == 30.0 and result.discount == 3.0


def test_percent_discount_is_capped(fresh_db_url: str) -> None:
    products = catalog(fresh_db_url)
    _campaign, [(code, household), *_] = issue(fresh_db_url, value=15, max_discount=5.0)
    outcome = redeem(fresh_db_url, code, household, basket(products, coffee=200.0))
    assert outcome.redeemed and outcome.discount == 5.0


def test_aware_time_is_compared_in_utc(fresh_db_url: str) -> None:
    products = catalog(fresh_db_url)
    _campaign, [(code, household), *_] = issue(fresh_db_url)
    at = datetime(2018, 1, 8, 23, 30, tzinfo=UTC)
    assert check(fresh_db_url, code, household, basket(products, 10.0), at).valid


def test_budget_refuses_the_redemption_that_would_overspend(fresh_db_url: str) -> None:
    products = catalog(fresh_db_url)
    campaign_id, codes = issue(fresh_db_url, n=3, budget=10.0)  # 15% of $40 = $6 each
    results = [redeem(fresh_db_url, c, h, basket(products, 40.0)) for c, h in codes]
    assert [r.redeemed for r in results] == [True, False, False]
    assert results[1].reasons == ["budget_exhausted"] and results[1].budget_remaining == 4.0
    # a smaller basket still fits what is left
    assert redeem(fresh_db_url, codes[1][0], codes[1][1], basket(products, 20.0)).discount == 3.0
    with Session(get_engine(fresh_db_url)) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        assert (campaign.redeemed_discount, campaign.redeemed_count) == (9.0, 2)


def test_grant_remainder_policy_gives_what_is_left(fresh_db_url: str) -> None:
    products = catalog(fresh_db_url)
    rules = RedemptionRules(over_budget="grant_remainder")
    campaign_id, codes = issue(fresh_db_url, n=3, budget=10.0)
    results = [redeem(fresh_db_url, c, h, basket(products, 40.0), rules=rules) for c, h in codes]
    assert [(r.redeemed, r.discount, r.partial) for r in results] == [
        (True, 6.0, False), (True, 4.0, True), (False, 0.0, False)]
    assert results[2].reasons == ["budget_exhausted"]
    with Session(get_engine(fresh_db_url)) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None and campaign.redeemed_discount == 10.0


def test_reported_discount_replaces_the_computed_one_within_budget(fresh_db_url: str) -> None:
    campaign_id, codes = issue(fresh_db_url, n=2, budget=10.0)
    (first, h1), (second, h2) = codes
    reported = Basket(total=52.3)  # an outcome file has no lines: scope is the store's call
    with Session(get_engine(fresh_db_url)) as session, session.begin():
        one = redeem_code(session, first, household_id=h1, basket=reported, at=AT,
                          source="observed", order_id="store-1", reported_discount=7.5)
        two = redeem_code(session, second, household_id=h2, basket=reported, at=AT,
                          source="observed", order_id="store-2", reported_discount=7.5)
    assert (one.redeemed, one.discount) == (True, 7.5)
    assert (two.redeemed, two.reasons) == (False, ["budget_exhausted"])
    with Session(get_engine(fresh_db_url)) as session:
        assert session.execute(select(Redemption.source)).scalars().all() == ["observed"]


def test_rolled_back_transaction_leaves_nothing(fresh_db_url: str) -> None:
    products = catalog(fresh_db_url)
    campaign_id, [(code, household), *_] = issue(fresh_db_url)
    with Session(get_engine(fresh_db_url)) as session:
        session.begin()
        assert redeem_code(session, code, household_id=household, basket=basket(products, 40.0),
                           at=AT, source="service", order_id=None).redeemed
        session.rollback()
    assert check(fresh_db_url, code, household, basket(products, 40.0)).valid


def test_concurrent_redemptions_never_overspend(fresh_db_url: str) -> None:
    """12 threads, each its own code, budget room for 4: exactly 4 redeem."""
    products = catalog(fresh_db_url)
    campaign_id, codes = issue(fresh_db_url, n=12, budget=24.0)  # $6 each
    barrier = threading.Barrier(len(codes))
    results: list[RedemptionOutcome] = []
    lock = threading.Lock()

    def run(code: str, household: int) -> None:
        barrier.wait()
        outcome = redeem(fresh_db_url, code, household, basket(products, 40.0))
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=pair) for pair in codes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.redeemed for r in results) == 4
    assert {tuple(r.reasons) for r in results if not r.redeemed} == {("budget_exhausted",)}
    with Session(get_engine(fresh_db_url)) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None and campaign.redeemed_discount == 24.0


@pytest.mark.parametrize("reported", [-1.0, float("nan"), float("inf")])
def test_reported_discount_must_be_a_real_amount(sqlite_url: str, reported: float) -> None:
    from coupondesk.tools.errors import BadInputError

    with Session(get_engine(sqlite_url)) as session, pytest.raises(BadInputError):
        redeem_code(session, "CD-X", household_id=None, basket=Basket(total=1), at=AT,
                    source="observed", order_id=None, reported_discount=reported)
