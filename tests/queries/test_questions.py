"""Free-question queries against pandas on the real slice; campaign summaries on scratch rows."""

from __future__ import annotations

from datetime import date

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
from coupondesk.tools.queries.questions import (
    campaign_summary,
    count_households_bought,
    data_period,
    list_retail_campaigns,
    retail_campaign_summary,
    sales_summary,
    top_categories,
)
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
