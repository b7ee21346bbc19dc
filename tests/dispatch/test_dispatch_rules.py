"""Dispatch re-checks every campaign rule under its lock, against the database as it is then."""

from __future__ import annotations

import multiprocessing
from datetime import date
from typing import Any

import pytest
from coupondesk.tools.campaigns.dispatch import DispatchRefused, dispatch, mark_approved
from coupondesk.tools.campaigns.records import campaign_row, load_proposal, record_approval
from coupondesk.tools.db.schema import BudgetEntry, Campaign, Holdout, IssuedCoupon
from coupondesk.tools.db.session import get_engine
from coupondesk.tools.errors import RefusedError
from coupondesk.tools.policy.rules import Policy
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tests.dispatch.test_dispatch import TODAY, approve, households, issued, proposed

POLICY = Policy()


def written(url: str, campaign_id: int) -> tuple[int, int, int]:
    """(codes, holdout rows, budget entries) the campaign has in the database."""
    with Session(get_engine(url)) as session:
        counts = []
        for table in (IssuedCoupon, Holdout, BudgetEntry):
            counts.append(session.execute(
                select(func.count()).select_from(table).where(table.campaign_id == campaign_id)
            ).scalar_one())
        return counts[0], counts[1], counts[2]


def test_overlapping_campaign_is_refused_and_blocked(fresh_db_url: str) -> None:
    """Two campaigns for the same households and scope, both approved: the second refuses."""
    first, second = proposed(fresh_db_url), proposed(fresh_db_url)
    approve(fresh_db_url, first)
    approve(fresh_db_url, second)
    engine = get_engine(fresh_db_url)
    assert dispatch(engine, first, operator="ana", policy=POLICY, today=TODAY).issued == 60
    with pytest.raises(DispatchRefused) as caught:
        dispatch(engine, second, operator="ana", policy=POLICY, today=TODAY)
    assert caught.value.rules == ["plan.stacking"]
    assert "60 recipients" in caught.value.message
    assert written(fresh_db_url, second) == (0, 0, 0)
    with Session(engine) as session:
        row = campaign_row(session, second)
        stored = load_proposal(session, second)
    assert row.status == "blocked" and row.violations == ["plan.stacking"]
    assert stored is not None and [v.rule for v in stored.violations] == ["plan.stacking"]
    with pytest.raises(RefusedError, match="blocked by plan.stacking"), \
            Session(engine) as session, session.begin():
        record_approval(session, second, operator="bo")


def test_frequency_cap_is_rechecked(fresh_db_url: str) -> None:
    """Coupons issued since the proposal was built count against the cap at dispatch."""
    capped = Policy.model_validate({"frequency": {"max_coupons": 1, "window_days": 30},
                                    "stacking": {"allow_overlapping": True}})
    first, second = proposed(fresh_db_url), proposed(fresh_db_url)
    approve(fresh_db_url, first)
    approve(fresh_db_url, second)
    engine = get_engine(fresh_db_url)
    dispatch(engine, first, operator="ana", policy=capped, today=TODAY)
    with pytest.raises(DispatchRefused) as caught:
        dispatch(engine, second, operator="ana", policy=capped, today=TODAY)
    assert caught.value.rules == ["plan.frequency_cap"]
    assert written(fresh_db_url, second) == (0, 0, 0)


def test_expired_proposal_is_refused(fresh_db_url: str) -> None:
    """Codes valid from a day already gone are never issued (the desk's today moved on)."""
    campaign_id = proposed(fresh_db_url)  # valid from 2018-01-02
    approve(fresh_db_url, campaign_id)
    with pytest.raises(DispatchRefused) as caught:
        dispatch(get_engine(fresh_db_url), campaign_id, operator="ana", policy=POLICY,
                 today=date(2018, 1, 3))
    assert caught.value.rules == ["plan.valid_from_past"]
    assert written(fresh_db_url, campaign_id) == (0, 0, 0)


def test_budget_envelope_is_rechecked(fresh_db_url: str) -> None:
    """A stored proposal whose cost exceeds its budget (edited, or an older policy) refuses."""
    campaign_id = proposed(fresh_db_url, budget=20)  # 60 x $0.50 expected = $30 > $20
    approve(fresh_db_url, campaign_id)
    with pytest.raises(DispatchRefused) as caught:
        dispatch(get_engine(fresh_db_url), campaign_id, operator="ana", policy=POLICY,
                 today=TODAY)
    assert "plan.budget_exceeded" in caught.value.rules
    assert written(fresh_db_url, campaign_id) == (0, 0, 0)


@pytest.mark.parametrize(("mode", "refused"), [("service", False), ("export_only", True)])
def test_worst_case_liability_binds_only_codes_redeemed_elsewhere(
    fresh_db_url: str, mode: str, refused: bool
) -> None:
    """60 codes x $5 = $300 worst case against a $40 budget (3 x = $120): the service enforces
    the budget at redemption, so only export_only codes are refused on their worst case."""
    campaign_id = proposed(fresh_db_url, budget=40, budget_mode=mode)  # type: ignore[arg-type]
    approve(fresh_db_url, campaign_id)
    engine = get_engine(fresh_db_url)
    if refused:
        with pytest.raises(DispatchRefused) as caught:
            dispatch(engine, campaign_id, operator="ana", policy=POLICY, today=TODAY)
        assert "plan.liability" in caught.value.rules
        assert written(fresh_db_url, campaign_id) == (0, 0, 0)
    else:
        dispatch(engine, campaign_id, operator="ana", policy=POLICY, today=TODAY)
        assert written(fresh_db_url, campaign_id)[0] == 60


def _require_two(url: str, campaign_id: int) -> None:
    engine = get_engine(url)
    with Session(engine) as session, session.begin():
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None and campaign.proposal_json is not None
        campaign.proposal_json = {**campaign.proposal_json, "approvals_required": 2}


def test_caller_cannot_lower_the_stored_approvals(fresh_db_url: str) -> None:
    """The stored proposal needs two operators; a caller asking for one is refused."""
    campaign_id = proposed(fresh_db_url)
    _require_two(fresh_db_url, campaign_id)
    engine = get_engine(fresh_db_url)
    with Session(engine) as session, session.begin():
        record_approval(session, campaign_id, operator="ana")
    assert not mark_approved(engine, campaign_id, policy=POLICY, required_approvals=1)
    # Even a caller that moved the status itself gets nothing issued.
    with Session(engine) as session, session.begin():
        session.execute(update(Campaign).where(Campaign.id == campaign_id)
                        .values(status="approved"))
    with pytest.raises(RefusedError, match="needs 2 approvals .* has 1"):
        dispatch(engine, campaign_id, operator="ana", policy=POLICY, today=TODAY,
                 required_approvals=1)
    assert written(fresh_db_url, campaign_id) == (0, 0, 0)
    with Session(engine) as session:
        assert campaign_row(session, campaign_id).status == "approved"  # waits, not blocked


def test_policy_threshold_needs_two_even_if_the_proposal_says_one(fresh_db_url: str) -> None:
    """A budget above the policy's two-operator threshold needs two, whatever was stored."""
    strict = Policy.model_validate({"budget": {"two_operator_threshold": 100}})
    campaign_id = proposed(fresh_db_url)  # budget $500, approvals_required 1 stored
    engine = get_engine(fresh_db_url)
    with Session(engine) as session, session.begin():
        record_approval(session, campaign_id, operator="ana")
    assert not mark_approved(engine, campaign_id, policy=strict)
    with Session(engine) as session, session.begin():
        record_approval(session, campaign_id, operator="bo")
    assert mark_approved(engine, campaign_id, policy=strict)
    assert dispatch(engine, campaign_id, operator="bo", policy=strict, today=TODAY).issued == 60


def _approve_and_dispatch(url: str, campaign_id: int, start: Any, queue: Any) -> None:
    """One operator's process: its own engine and connections, waiting for the other."""
    engine = get_engine(url)
    with Session(engine) as session, session.begin():
        record_approval(session, campaign_id, operator=f"op{campaign_id}")
    start.wait()
    try:
        mark_approved(engine, campaign_id, policy=POLICY)
        result = dispatch(engine, campaign_id, operator=f"op{campaign_id}", policy=POLICY,
                          today=TODAY)
        queue.put((campaign_id, "dispatched", result.issued))
    except DispatchRefused as refused:
        queue.put((campaign_id, ",".join(refused.rules), 0))
    except Exception as error:  # reported to the parent, which fails the test
        queue.put((campaign_id, f"error: {error!r}", 0))
    finally:
        engine.dispose()


def test_two_processes_dispatching_overlapping_campaigns(fresh_db_url: str) -> None:
    """Separate processes approve and dispatch overlapping campaigns at once: one issues."""
    ids = [proposed(fresh_db_url), proposed(fresh_db_url, start=30)]  # 30 households shared
    get_engine(fresh_db_url).dispose()
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    queue = context.Queue()
    workers = [
        context.Process(target=_approve_and_dispatch, args=(fresh_db_url, i, start, queue))
        for i in ids
    ]
    for worker in workers:
        worker.start()
    outcomes = sorted(queue.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
    kinds = sorted(outcome for _, outcome, _ in outcomes)
    assert kinds == ["dispatched", "plan.stacking"], outcomes
    assert sum(n for *_rest, n in outcomes) == 60
    with Session(get_engine(fresh_db_url)) as session:
        most = session.execute(
            select(func.count()).select_from(IssuedCoupon)
            .group_by(IssuedCoupon.household_id).order_by(func.count().desc()).limit(1)
        ).scalar_one()
    assert most == 1  # no household holds two overlapping codes
    assert sum(issued(fresh_db_url, i) for i in ids) == 60
    assert len(households(fresh_db_url)) > 90
