"""Send timing through the graph: per-household send dates reach the proposal and the codes."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from coupondesk.agent.service import CampaignDesk
from coupondesk.tools.campaigns.allocation import Candidate
from coupondesk.tools.campaigns.send_schedule import apply_timing, schedule_histogram
from coupondesk.tools.db.schema import IssuedCoupon
from coupondesk.tools.db.session import get_engine
from coupondesk.tools.llm.fake import FakeChatModel
from coupondesk.tools.policy.rules import Policy
from coupondesk.tools.scoring.score import SendTiming
from sqlalchemy import select
from sqlalchemy.orm import Session

from coupondesk.settings import Settings
from tests.agent.fakes import ScriptedScorer, TimedScorer

TODAY = date(2018, 1, 2)
REQUEST = "10% off soup to households that haven't shopped in 20 days, budget $300, valid 7 days"


def _desk(url: str, home: Path, scorer: object) -> CampaignDesk:
    settings = Settings(home=home, database_url=url, operator="ana", llm_backend="fake")
    return CampaignDesk(settings, llm=FakeChatModel(), scorer=scorer, today=TODAY)  # type: ignore[arg-type]


def _candidate(h: int) -> Candidate:
    return Candidate(household_id=h, p_redeem=0.2, scope_spend=10.0, window_spend=20.0)


def test_apply_timing_sets_offsets_and_the_cadence_allowance() -> None:
    policy = Policy()  # frequency cap 3 per 30 days
    timings = [
        SendTiming(1, 5, 0.4, 0.1, cadence_days=7.0),   # weekly: allowance 3
        SendTiming(2, 0, 0.2, 0.2, cadence_days=25.0),  # monthly-ish: allowance 1
        SendTiming(3, 2, 0.3, 0.1, cadence_days=12.0),  # allowance 2
    ]
    timed = apply_timing([_candidate(1), _candidate(2), _candidate(3)], timings,
                         recent_coupons={1: 2, 2: 1, 3: 1}, policy=policy, requested_mode=None)
    assert [c.household_id for c in timed.candidates] == [1, 3]
    assert [c.send_offset_days for c in timed.candidates] == [5, 2]
    assert timed.left_out_by_allowance == 1 and timed.mode == "per_household"
    assert "1 households already at theirs" in timed.note


def test_at_once_keeps_day_zero_and_no_model_says_so() -> None:
    policy = Policy()
    timings = [SendTiming(1, 5, 0.4, 0.1, cadence_days=7.0)]
    at_once = apply_timing([_candidate(1)], timings, recent_coupons={}, policy=policy,
                           requested_mode="at_once")
    assert at_once.candidates[0].send_offset_days == 0 and at_once.mode == "at_once"
    untimed = apply_timing([_candidate(1)], None, recent_coupons={}, policy=policy,
                           requested_mode=None)
    assert untimed.mode == "at_once" and "no timing model" in untimed.note


def test_schedule_histogram_counts_per_day_in_order() -> None:
    days = [date(2018, 1, 3), date(2018, 1, 2), date(2018, 1, 3)]
    assert schedule_histogram(days) == [
        {"date": "2018-01-02", "households": 1}, {"date": "2018-01-03", "households": 2}]


def test_timed_proposal_dispatches_codes_valid_from_their_send_day(
    fresh_db_url: str, isolated_home: Path
) -> None:
    desk = _desk(fresh_db_url, isolated_home, TimedScorer())
    proposal = desk.propose(REQUEST)
    assert proposal.send_timing == "per_household" and proposal.recipients
    expected = Counter(r.send_at for r in proposal.recipients)
    assert {d["date"]: d["households"] for d in proposal.send_schedule} == dict(expected)
    assert sum(d["households"] for d in proposal.send_schedule) == proposal.audience_size
    assert any("send timing" in a for a in proposal.assumptions)
    latest = max(date.fromisoformat(r.send_at or "") for r in proposal.recipients)
    assert proposal.valid_to == (latest + timedelta(days=6)).isoformat()

    outcome = desk.approve(proposal.campaign_id, operator="ana")
    assert outcome.status == "dispatched"
    sent = {r.household_id: r.send_at for r in proposal.recipients}
    with Session(get_engine(fresh_db_url)) as session:
        rows = session.execute(
            select(IssuedCoupon).where(IssuedCoupon.campaign_id == proposal.campaign_id)
        ).scalars().all()
        assert rows
        for row in rows:
            assert row.send_at is not None and row.send_at.isoformat() == sent[row.household_id]
            assert row.valid_from == row.send_at
            assert row.valid_to == row.send_at + timedelta(days=6)


def test_changing_a_send_date_voids_the_approval_hash(fresh_db_url: str,
                                                      isolated_home: Path) -> None:
    from coupondesk.tools.campaigns.proposal import proposal_hash

    proposal = _desk(fresh_db_url, isolated_home, TimedScorer()).propose(REQUEST)
    moved = proposal.model_copy(deep=True)
    first = moved.recipients[0]
    first.send_at = (date.fromisoformat(first.send_at or "") + timedelta(days=1)).isoformat()
    assert proposal_hash(moved) != proposal_hash(proposal)


def test_a_scorer_without_timing_sends_at_once(fresh_db_url: str, isolated_home: Path) -> None:
    proposal = _desk(fresh_db_url, isolated_home, ScriptedScorer()).propose(REQUEST)
    assert proposal.send_timing == "at_once"
    assert all(r.send_at is None for r in proposal.recipients)
    assert proposal.send_schedule == [{"date": proposal.valid_from,
                                       "households": proposal.audience_size}]


def test_requests_that_ask_for_one_send() -> None:
    from coupondesk.agent.planning.send_words import read_send_timing

    for text in ("10% off soup, send to everyone at once, budget $300",
                 "$2 off bread, all at once please", "send them today: 5% off milk",
                 "one single send of 10% off cheese", "给所有人同时发送9折券",
                 "饮料8折，今天全部发出"):
        assert read_send_timing(text) == "at_once", text
    for text in ("10% off soup, budget $300, valid 7 days",
                 "给45天未购物的用户发放满100减15优惠券", "send 10% off cheese to cheese buyers"):
        assert read_send_timing(text) is None, text
