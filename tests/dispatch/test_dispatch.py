"""Dispatch: only an approved, unchanged proposal issues codes; once; within the budget."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from coupondesk.tools.campaigns.dispatch import (
    CODE_ALPHABET,
    DispatchResult,
    mark_approved,
    new_code,
)
from coupondesk.tools.campaigns.dispatch import dispatch as dispatch_with
from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.campaigns.plan import BudgetMode, CampaignPlan
from coupondesk.tools.campaigns.proposal import CopyVariant, Proposal, RecipientRow
from coupondesk.tools.campaigns.records import (
    create_campaign,
    record_approval,
    reject,
    save_proposal,
)
from coupondesk.tools.db.schema import Campaign, Holdout, IssuedCoupon
from coupondesk.tools.db.session import get_engine
from coupondesk.tools.errors import RefusedError
from coupondesk.tools.policy.rules import BudgetRules, Policy
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.orm import Session

TODAY = date(2018, 1, 2)
POLICY = Policy()


def policy_with_monthly_limit(limit: float) -> Policy:
    return Policy(budget=BudgetRules(monthly_limit=limit))


def dispatch(engine: Engine, campaign_id: int, *, operator: str, policy: Policy = POLICY,
             today: date = TODAY, required_approvals: int = 1) -> DispatchResult:
    """Dispatch on the desk's day of the test proposals (2018-01-02) under the default policy."""
    return dispatch_with(engine, campaign_id, operator=operator, policy=policy, today=today,
                         required_approvals=required_approvals)


def households(url: str) -> list[int]:
    with get_engine(url).connect() as connection:
        return list(
            connection.execute(text("SELECT household_id FROM households ORDER BY 1")).scalars()
        )


def make_proposal(
    campaign_id: int,
    *,
    recipients: list[int],
    holdout: list[int],
    budget: float = 500.0,
    copy: str = "Spend $25, save $5. Valid for 7 days.",
    offer: Offer | None = None,
    budget_mode: BudgetMode = "service",
) -> Proposal:
    offer = offer or Offer(kind="amount_off", value=5, min_spend=25, valid_days=7)
    return Proposal(
        campaign_id=campaign_id,
        plan=CampaignPlan(request="r", offer=offer, budget=budget, budget_mode=budget_mode),
        budget_mode=budget_mode,
        audience_size=len(recipients),
        holdout_size=len(holdout),
        expected_cost=len(recipients) * 0.5,
        budget=budget,
        valid_from="2018-01-02",
        valid_to="2018-01-08",
        copy_variants=[CopyVariant(text=copy, source="template", ok=True)],
        selected_copy=0,
        recipients=[
            RecipientRow(household_id=h, p_redeem=0.1, expected_cost=0.5, reason="x")
            for h in recipients
        ],
        holdout=holdout,
    )


def proposed(url: str, *, budget: float = 500.0, n: int = 60, start: int = 0,
             budget_mode: BudgetMode = "service") -> int:
    engine = get_engine(url)
    ids = households(url)[start:]
    with Session(engine) as session, session.begin():
        campaign_id = create_campaign(session, request="test campaign", operator="ana")
        save_proposal(
            session,
            make_proposal(campaign_id, recipients=ids[:n], holdout=ids[n : n + 6], budget=budget,
                          budget_mode=budget_mode),
            actor="ana",
        )
    return campaign_id


def approve(url: str, campaign_id: int, operator: str = "ana") -> None:
    engine = get_engine(url)
    with Session(engine) as session, session.begin():
        record_approval(session, campaign_id, operator=operator)
    assert mark_approved(engine, campaign_id, policy=POLICY)


def issued(url: str, campaign_id: int) -> int:
    with Session(get_engine(url)) as session:
        return session.execute(
            select(func.count())
            .select_from(IssuedCoupon)
            .where(IssuedCoupon.campaign_id == campaign_id)
        ).scalar_one()


def status_of(url: str, campaign_id: int) -> str:
    with Session(get_engine(url)) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        return campaign.status


def test_codes_are_unguessable_format() -> None:
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in list(codes)[:50]:
        assert code.startswith("CD-") and len(code) == 17
        assert set(code[3:].replace("-", "")) <= set(CODE_ALPHABET)


def test_approved_proposal_dispatches_once(fresh_db_url: str) -> None:
    campaign_id = proposed(fresh_db_url)
    approve(fresh_db_url, campaign_id)
    result = dispatch(get_engine(fresh_db_url), campaign_id, operator="ana")
    assert result.issued == 60 and not result.already_dispatched
    again = dispatch(get_engine(fresh_db_url), campaign_id, operator="ana")
    assert again.issued == 0 and again.already_dispatched
    assert issued(fresh_db_url, campaign_id) == 60
    with Session(get_engine(fresh_db_url)) as session:
        coupon = session.execute(select(IssuedCoupon).limit(1)).scalar_one()
        assert (coupon.kind, coupon.value, coupon.min_spend) == ("amount_off", 5, 25)
        assert (coupon.valid_from, coupon.valid_to) == (date(2018, 1, 2), date(2018, 1, 8))
        holdouts = session.execute(
            select(func.count()).select_from(Holdout).where(Holdout.campaign_id == campaign_id)
        ).scalar_one()
        assert holdouts == 6
        status = session.get(Campaign, campaign_id).status  # type: ignore[union-attr]
    assert status == "dispatched"


@pytest.mark.parametrize("budget_mode", ["service", "export_only"])
def test_the_cap_and_the_budget_mode_are_stored_at_dispatch(
    fresh_db_url: str, budget_mode: BudgetMode
) -> None:
    engine = get_engine(fresh_db_url)
    ids = households(fresh_db_url)
    capped = Offer(kind="percent_off", value=15, valid_days=7, categories=["COFFEE"],
                   max_discount=5)
    with Session(engine) as session, session.begin():
        campaign_id = create_campaign(session, request="capped", operator="ana")
        save_proposal(session, make_proposal(
            campaign_id, recipients=ids[:55], holdout=[], offer=capped, budget_mode=budget_mode,
            copy="15% off coffee (max $5 off). No minimum purchase. Valid for 7 days."),
            actor="ana")
    approve(fresh_db_url, campaign_id)
    assert dispatch(engine, campaign_id, operator="ana").issued == 55
    with Session(engine) as session:
        caps = session.execute(
            select(IssuedCoupon.max_discount).where(IssuedCoupon.campaign_id == campaign_id)
        ).scalars().all()
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        assert set(caps) == {5.0} and campaign.budget_mode == budget_mode


def test_without_approval_nothing_is_issued(fresh_db_url: str) -> None:
    campaign_id = proposed(fresh_db_url)
    with pytest.raises(RefusedError, match="not approved"):
        dispatch(get_engine(fresh_db_url), campaign_id, operator="ana")
    assert issued(fresh_db_url, campaign_id) == 0


def test_change_after_approval_voids_it(fresh_db_url: str) -> None:
    campaign_id = proposed(fresh_db_url)
    approve(fresh_db_url, campaign_id)
    engine = get_engine(fresh_db_url)
    with Session(engine) as session, session.begin():
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        changed = dict(campaign.proposal_json or {})
        changed["copy_variants"] = [
            {**changed["copy_variants"][0], "text": "Spend $25, save $9. Valid for 7 days."}
        ]
        session.execute(
            update(Campaign).where(Campaign.id == campaign_id).values(proposal_json=changed)
        )
    with pytest.raises(RefusedError, match="changed after approval"):
        dispatch(engine, campaign_id, operator="ana")
    assert issued(fresh_db_url, campaign_id) == 0


def test_two_operators_needed_above_threshold(fresh_db_url: str) -> None:
    campaign_id = proposed(fresh_db_url)
    engine = get_engine(fresh_db_url)
    with Session(engine) as session, session.begin():
        record_approval(session, campaign_id, operator="ana")
        record_approval(session, campaign_id, operator="ana")  # same person twice counts once
    assert not mark_approved(engine, campaign_id, policy=POLICY, required_approvals=2)
    with Session(engine) as session, session.begin():
        _digest, names = record_approval(session, campaign_id, operator="bo")
    assert names == ["ana", "bo"]
    assert mark_approved(engine, campaign_id, policy=POLICY, required_approvals=2)
    assert dispatch(engine, campaign_id, operator="bo", required_approvals=2).issued == 60


def test_rejected_campaign_issues_nothing(fresh_db_url: str) -> None:
    campaign_id = proposed(fresh_db_url)
    engine = get_engine(fresh_db_url)
    with Session(engine) as session, session.begin():
        reject(session, campaign_id, operator="ana", reason="too generous")
    with pytest.raises(RefusedError), Session(engine) as session, session.begin():
        record_approval(session, campaign_id, operator="ana")
    with pytest.raises(RefusedError):
        dispatch(engine, campaign_id, operator="ana")
    assert issued(fresh_db_url, campaign_id) == 0


def test_budget_account_refuses_overspend(fresh_db_url: str) -> None:
    first = proposed(fresh_db_url, budget=600)
    second = proposed(fresh_db_url, budget=600, start=100)  # other households: no stacking
    approve(fresh_db_url, first)
    approve(fresh_db_url, second)
    engine = get_engine(fresh_db_url)
    limited = policy_with_monthly_limit(1000)
    assert dispatch(engine, first, operator="ana", policy=limited).issued == 60
    with pytest.raises(RefusedError, match=r"plan.monthly_limit.*has \$400.00 left"):
        dispatch(engine, second, operator="ana", policy=limited)
    assert issued(fresh_db_url, second) == 0
    assert status_of(fresh_db_url, second) == "blocked"
    with engine.connect() as connection:
        committed = connection.execute(text("SELECT committed FROM budget_accounts")).scalar_one()
    assert committed == 600


def test_concurrent_approvals_cannot_overspend(fresh_db_url: str) -> None:
    """Two dispatches race for one account with room for one: exactly one wins."""
    ids = [proposed(fresh_db_url, budget=600), proposed(fresh_db_url, budget=600, start=100)]
    for campaign_id in ids:
        approve(fresh_db_url, campaign_id)
    engine = get_engine(fresh_db_url)
    barrier = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def run(campaign_id: int) -> None:
        barrier.wait()
        try:
            dispatch(engine, campaign_id, operator="ana", policy=policy_with_monthly_limit(1000))
            outcomes[campaign_id] = "dispatched"
        except RefusedError:
            outcomes[campaign_id] = "refused"

    threads = [threading.Thread(target=run, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["dispatched", "refused"]
    assert sum(issued(fresh_db_url, i) for i in ids) == 60
