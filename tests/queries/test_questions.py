"""Free-question queries against pandas on the real slice; campaign summaries on scratch rows;
the typed QuestionQuery's semantics (spend strictness, scope lapse, grouping, validation)."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
from coupondesk.tools.catalog.text import is_merchandise
from coupondesk.tools.db.schema import (
    Approval,
    BudgetAccount,
    BudgetEntry,
    Campaign,
    Holdout,
    IssuedCoupon,
)
from coupondesk.tools.errors import BadInputError, NotFoundError
from coupondesk.tools.queries.question_query import QuestionQuery, run_question_query
from coupondesk.tools.queries.questions import (
    campaign_summary,
    count_households_bought,
    data_period,
    list_retail_campaigns,
    retail_campaign_summary,
    sales_summary,
    top_categories,
)
from pydantic import ValidationError
from sqlalchemy.orm import Session

from tests.queries.conftest import Slice

START, END = date(2017, 12, 1), date(2017, 12, 31)  # December, both ends included


def _period(cj: Slice, start: date, end: date) -> pd.DataFrame:
    lines = cj.lines
    after_end = pd.Timestamp(end) + pd.Timedelta(days=1)
    return lines[(lines.ts >= pd.Timestamp(start)) & (lines.ts < after_end)]


@pytest.mark.parametrize(
    ("departments", "categories"),
    [([], ["COFFEE"]), (["PRODUCE"], []), ([], []), (["DELI"], ["SOUP", "BEEF"])],
)
def test_count_households_bought(
    session: Session, cj: Slice, departments: list[str], categories: list[str]
) -> None:
    answer = count_households_bought(session, departments, categories, start=START, end=END)
    lines = _period(cj, start=START, end=END)
    if departments or categories:
        lines = cj.in_scope(lines, departments, categories)
    assert answer.households == lines.household_id.nunique() > 0
    assert answer.total_households == len(cj.households)
    assert answer.period.start == START and answer.categories == categories


def test_the_period_includes_its_last_day(session: Session, cj: Slice) -> None:
    day = date(2017, 12, 24)
    answer = count_households_bought(session, start=day, end=day)
    assert answer.households == _period(cj, day, day).household_id.nunique() > 0
    with pytest.raises(BadInputError):
        count_households_bought(session, start=day, end=date(2017, 12, 1))


@pytest.mark.parametrize(("departments", "categories"), [(["PRODUCE"], []), ([], [])])
def test_sales_summary(
    session: Session, cj: Slice, departments: list[str], categories: list[str]
) -> None:
    answer = sales_summary(session, departments, categories, start=START, end=END)
    lines = _period(cj, start=START, end=END)
    if departments:
        lines = cj.in_scope(lines, departments, categories)
    assert answer.sales == pytest.approx(lines.sales_value.sum(), abs=0.05)
    assert answer.units == lines.quantity.sum()
    assert answer.lines == len(lines)
    assert answer.baskets == lines.basket_id.nunique()
    assert answer.households == lines.household_id.nunique()
    assert answer.retail_discount == pytest.approx(lines.retail_disc.sum(), abs=0.05)
    coupons = lines.coupon_disc.sum() + lines.coupon_match_disc.sum()
    assert answer.coupon_discount == pytest.approx(coupons, abs=0.05)
    by_category = lines.groupby("product_category").sales_value.sum().sort_values(ascending=False)
    by_category = by_category[[is_merchandise(n) for n in by_category.index]]  # no fuel coupons
    assert answer.top_categories[0].name == by_category.index[0]
    assert answer.top_categories[0].sales == pytest.approx(by_category.iloc[0], abs=0.05)


def test_top_categories_within_a_department(session: Session, cj: Slice) -> None:
    got = top_categories(session, departments=["MEAT"], n=3, start=START, end=END)
    lines = cj.in_scope(_period(cj, start=START, end=END), ["MEAT"])
    expected = lines.groupby("product_category").sales_value.sum().sort_values(ascending=False)
    assert [c.name for c in got] == list(expected.index[:3])


def test_data_period(session: Session, cj: Slice) -> None:
    period = data_period(session)
    assert period.first_transaction == cj.lines.ts.min().to_pydatetime()
    assert period.last_transaction == cj.lines.ts.max().to_pydatetime()
    assert period.transaction_lines == len(cj.lines)
    assert period.households == len(cj.households)


def test_retail_campaign_summary(session: Session, cj: Slice) -> None:
    campaign_id = int(cj.redemptions.campaign_id.value_counts().index[0])
    summary = retail_campaign_summary(session, campaign_id)
    receipts = cj.receipts[cj.receipts.campaign_id == campaign_id]
    redemptions = cj.redemptions[cj.redemptions.campaign_id == campaign_id]
    coupons = cj.coupons[cj.coupons.campaign_id == campaign_id]
    described = cj.campaigns.set_index("campaign_id").loc[campaign_id]
    assert summary.campaign_type == described.campaign_type
    assert summary.start_date == described.start_date.date()
    assert summary.households_received == len(receipts)
    assert summary.redemptions == len(redemptions)
    assert summary.households_redeemed == redemptions.household_id.nunique()
    assert summary.redemption_rate == pytest.approx(
        redemptions.household_id.nunique() / len(receipts), abs=1e-4
    )
    assert summary.coupons == coupons.coupon_upc.nunique()
    assert summary.products_covered == coupons.product_id.nunique()
    covered = cj.products[cj.products.product_id.isin(coupons.product_id)]
    assert summary.top_categories[0] == covered.product_category.value_counts().index[0]


def test_list_retail_campaigns_covers_all_27(session: Session) -> None:
    campaigns = list_retail_campaigns(session)
    assert len(campaigns) == 27
    assert [c.start_date for c in campaigns] == sorted(c.start_date for c in campaigns)


def test_unknown_campaigns_are_not_found(session: Session) -> None:
    with pytest.raises(NotFoundError):
        retail_campaign_summary(session, 999)
    with pytest.raises(NotFoundError):
        campaign_summary(session, 999_999)


def test_campaign_summary_of_a_dispatched_campaign(session: Session, cj: Slice) -> None:
    households = sorted(cj.households)[:4]
    offer = {"kind": "percent_off", "value": 15, "valid_days": 7, "categories": ["COFFEE"]}
    campaign = Campaign(
        request="15% off coffee for lapsed coffee buyers",
        status="dispatched",
        plan_json={"offer": offer, "budget": 500},
        budget=500.0,
        expected_cost=123.45,
        audience_size=3,
        valid_from=date(2018, 1, 2),
        valid_to=date(2018, 1, 8),
        created_by="ana",
    )
    session.add(campaign)
    session.flush()
    for index, household in enumerate(households[:3]):
        session.add(
            IssuedCoupon(
                code=f"TESTCODE{index}",
                campaign_id=campaign.id,
                household_id=household,
                kind="percent_off",
                value=15.0,
                categories=["COFFEE"],
                valid_from=date(2018, 1, 2),
                valid_to=date(2018, 1, 8),
                status="redeemed" if index == 0 else "issued",
            )
        )
    session.add(Holdout(campaign_id=campaign.id, household_id=households[3]))
    session.add(Approval(campaign_id=campaign.id, operator="ana", proposal_hash="h" * 64))
    session.add(BudgetAccount(name="test-q1", limit_amount=1000.0, committed=123.45))
    session.flush()
    session.add(BudgetEntry(account="test-q1", campaign_id=campaign.id, amount=123.45))
    session.flush()

    summary = campaign_summary(session, campaign.id)
    assert summary.status == "dispatched"
    assert summary.issued_codes == 3
    assert summary.codes_by_status == {"issued": 2, "redeemed": 1}
    assert summary.holdout_households == 1
    assert summary.offer == offer
    assert summary.budget == 500.0 and summary.expected_cost == pytest.approx(123.45)
    assert summary.budget_committed == pytest.approx(123.45)
    assert summary.approvals and summary.approvals[0].startswith("ana at ")
    assert "TESTCODE" not in summary.model_dump_json()


# --------------------------------------------------------------------------- the typed query


def _q(**fields: object) -> QuestionQuery:
    return QuestionQuery.model_validate(fields)


def test_spend_filter_strict_and_inclusive(session: Session, cj: Slice) -> None:
    spend = cj.window(None).groupby("household_id").sales_value.sum()
    amount = float(round(spend.median(), 2))
    for inclusive, expected in ((True, (spend >= amount).sum()), (False, (spend > amount).sum())):
        query = _q(measure="households",
                   filters={"min_spend": amount, "min_spend_inclusive": inclusive})
        assert run_question_query(session, query, today=cj.today).value == expected


def test_lapsed_from_a_scope_is_not_lapsed_from_the_store(session: Session, cj: Slice) -> None:
    cutoff = pd.Timestamp(cj.today) - pd.Timedelta(days=60)
    soup = cj.in_scope(cj.window(None), categories=["SOUP"])
    expected = set(soup[soup.ts < cutoff].household_id) - set(soup[soup.ts >= cutoff].household_id)
    query = _q(measure="households", scope={"categories": ["SOUP"]},
               filters={"lapsed_days": 60, "lapsed_from_scope": True})
    assert run_question_query(session, query, today=cj.today).value == len(expected)
    store = _q(measure="households", filters={"lapsed_days": 60})
    everyone = cj.window(None)
    lapsed = set(everyone[everyone.ts < cutoff].household_id) - set(
        everyone[everyone.ts >= cutoff].household_id)
    assert run_question_query(session, store, today=cj.today).value == len(lapsed)


def test_grouped_households_among_active(session: Session, cj: Slice) -> None:
    query = _q(measure="households", group_by="department", top_n=3,
               window={"start": START, "end": END}, filters={"active_days": 14})
    result = run_question_query(session, query, today=cj.today)
    recent = set(cj.window(14).household_id)
    lines = _period(cj, START, END)
    lines = lines[lines.household_id.isin(recent)]
    expected = lines.groupby("department").household_id.nunique()
    expected = sorted(expected.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    assert [(r.name, r.value) for r in result.rows] == [(n, float(v)) for n, v in expected]


def test_coupons_issued_counts_coupondesk_codes(session: Session, cj: Slice) -> None:
    campaign = Campaign(request="r", status="dispatched", plan_json={}, created_by="ana")
    session.add(campaign)
    session.flush()
    for index, household in enumerate(sorted(cj.households)[:3]):
        session.add(IssuedCoupon(code=f"Q{index}", campaign_id=campaign.id,
                                 household_id=household, kind="percent_off", value=10.0,
                                 valid_from=START, valid_to=END,
                                 issued_at=datetime(2017, 12, 5 + index)))
    session.flush()
    query = _q(measure="coupons_issued", window={"start": START, "end": END})
    assert run_question_query(session, query, today=cj.today).value == 3


@pytest.mark.parametrize(
    "fields",
    [
        {"measure": "campaigns", "scope": {"categories": ["COFFEE"]}},
        {"measure": "redemptions", "group_by": "category"},
        {"measure": "campaigns", "filters": {"lapsed_days": 30}},
        {"measure": "households", "filters": {"lapsed_days": 30, "lapsed_from_scope": True}},
        {"measure": "households", "window": {"start": END, "end": START}},
        {"measure": "tickets"},
    ],
)
def test_inexpressible_queries_are_rejected(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        QuestionQuery.model_validate(fields)


def test_a_window_after_the_data_is_bad_input(session: Session, cj: Slice) -> None:
    query = _q(measure="spend", window={"start": cj.today, "end": cj.today})
    with pytest.raises(BadInputError):
        run_question_query(session, query, today=cj.today)
