"""The campaign graph end to end with a scripted LLM and scorer, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from coupondesk.agent.graph import build_graph
from coupondesk.agent.service import CampaignDesk
from coupondesk.tools.db.schema import Campaign, Holdout, IssuedCoupon
from coupondesk.tools.db.session import get_engine
from coupondesk.tools.errors import BadInputError, RefusedError
from coupondesk.tools.llm.fake import FakeChatModel
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from coupondesk.settings import Settings
from tests.agent.fakes import ScriptedScorer

TODAY = date(2018, 1, 2)
REQUEST = "10% off soup to households that haven't shopped in 20 days, budget $300, valid 7 days"


def make_desk(url: str, home: Path, *, operator: str = "ana", **kwargs) -> CampaignDesk:  # type: ignore[no-untyped-def]
    settings = Settings(home=home, database_url=url, operator=operator, llm_backend="fake")
    return CampaignDesk(
        settings, llm=FakeChatModel(), scorer=ScriptedScorer(), today=TODAY, **kwargs
    )


def issued(url: str, campaign_id: int) -> int:
    with Session(get_engine(url)) as session:
        return session.execute(
            select(func.count())
            .select_from(IssuedCoupon)
            .where(IssuedCoupon.campaign_id == campaign_id)
        ).scalar_one()


def test_graph_shape(snapshot) -> None:  # type: ignore[no-untyped-def]
    assert build_graph().get_graph().draw_mermaid(with_styles=False) == snapshot


def test_propose_then_approve_dispatches(fresh_db_url: str, isolated_home: Path) -> None:
    desk = make_desk(fresh_db_url, isolated_home)
    events: list[dict[str, str]] = []
    proposal = desk.propose(REQUEST, on_event=events.append)
    steps = [e["step"] for e in events]
    assert list(dict.fromkeys(steps)) == [
        "plan",
        "audience",
        "score",
        "allocate",
        "copy",
        "check",
        "propose",
    ]
    copy_lines = [e["message"] for e in events if e["step"] == "copy"]
    assert copy_lines[0].startswith("variant 1 of 3") and copy_lines[-1].startswith("copy: 3")
    assert proposal.status == "proposed" and not proposal.violations
    assert proposal.plan.offer.categories == ["SOUP"]
    assert proposal.plan.audience.lapsed_days == 20
    assert proposal.audience_size > 0 and proposal.expected_cost <= 300
    assert proposal.copy_variants and proposal.selected_copy is not None
    assert issued(fresh_db_url, proposal.campaign_id) == 0

    outcome = desk.approve(proposal.campaign_id, operator="ana")
    assert outcome.status == "dispatched" and outcome.issued == proposal.audience_size
    assert issued(fresh_db_url, proposal.campaign_id) == proposal.audience_size
    with Session(get_engine(fresh_db_url)) as session:
        held = set(
            session.execute(
                select(Holdout.household_id).where(Holdout.campaign_id == proposal.campaign_id)
            ).scalars()
        )
        coded = set(
            session.execute(
                select(IssuedCoupon.household_id).where(
                    IssuedCoupon.campaign_id == proposal.campaign_id
                )
            ).scalars()
        )
    assert held == set(proposal.holdout) and not held & coded

    again = desk.approve(proposal.campaign_id, operator="ana")
    assert again.issued == 0 and "already dispatched" in again.message
    assert issued(fresh_db_url, proposal.campaign_id) == proposal.audience_size
    actions = [entry["action"] for entry in desk.show(proposal.campaign_id)["audit"]]
    assert actions == ["created", "proposed", "approved", "dispatched"]


def test_paused_proposal_survives_a_restart(fresh_db_url: str, isolated_home: Path) -> None:
    proposal = make_desk(fresh_db_url, isolated_home).propose(REQUEST)
    restarted = make_desk(fresh_db_url, isolated_home, operator="bo")  # a new process, new objects
    assert [c.id for c in restarted.campaigns()] == [proposal.campaign_id]
    outcome = restarted.approve(proposal.campaign_id, operator="bo")
    assert outcome.issued == proposal.audience_size


def test_revise_reruns_on_the_same_campaign(fresh_db_url: str, isolated_home: Path) -> None:
    desk = make_desk(fresh_db_url, isolated_home)
    first = desk.propose(REQUEST)
    second = desk.revise(first.campaign_id, "make it 5% and only 60 households")
    assert second.campaign_id == first.campaign_id
    assert second.plan.offer.value == 5
    assert second.audience_size <= 60
    assert desk.approve(first.campaign_id, operator="ana").issued == second.audience_size


def test_rejected_campaign_issues_nothing(fresh_db_url: str, isolated_home: Path) -> None:
    desk = make_desk(fresh_db_url, isolated_home)
    proposal = desk.propose(REQUEST)
    row = desk.reject(proposal.campaign_id, operator="ana", reason="wrong season")
    assert row.status == "rejected" and row.rejected_reason == "wrong season"
    with pytest.raises(RefusedError):
        desk.approve(proposal.campaign_id, operator="ana")
    assert issued(fresh_db_url, proposal.campaign_id) == 0


def test_change_after_first_approval_voids_it(fresh_db_url: str, isolated_home: Path) -> None:
    desk = make_desk(fresh_db_url, isolated_home)
    proposal = desk.propose(
        "10% off soup to households that haven't shopped in 20 days, budget $6,000, valid 7 days"
    )
    assert proposal.approvals_required == 2
    first = desk.approve(proposal.campaign_id, operator="ana")
    assert first.status == "proposed" and first.issued == 0
    with Session(get_engine(fresh_db_url)) as session, session.begin():
        stored = session.get(Campaign, proposal.campaign_id)
        assert stored is not None
        changed = dict(stored.proposal_json or {})
        changed["recipients"] = changed["recipients"][:-1]
        session.execute(
            update(Campaign)
            .where(Campaign.id == proposal.campaign_id)
            .values(proposal_json=changed)
        )
    with pytest.raises(RefusedError, match="changed"):
        desk.approve(proposal.campaign_id, operator="bo")
    assert issued(fresh_db_url, proposal.campaign_id) == 0


def test_forbidden_offer_is_proposed_blocked(fresh_db_url: str, isolated_home: Path) -> None:
    desk = make_desk(fresh_db_url, isolated_home)
    proposal = desk.propose("50% off cigarettes for everyone, budget $500, valid 7 days")
    rules = {v.rule for v in proposal.violations}
    assert "offer.max_percent" in rules
    assert proposal.audience_size == 0 and proposal.blocking
    with pytest.raises(RefusedError, match="cannot be approved"):
        desk.approve(proposal.campaign_id, operator="ana")
    fixed = desk.revise(proposal.campaign_id, "make it 10% off soup instead")
    assert fixed.plan.offer.value == 10
    assert "offer.max_percent" not in {v.rule for v in fixed.violations}


def test_blank_operator_is_refused_not_replaced(fresh_db_url: str, isolated_home: Path) -> None:
    """An explicit blank name must not turn into the configured operator's approval."""
    desk = make_desk(fresh_db_url, isolated_home)
    proposal = desk.propose(
        "10% off soup to households that haven't shopped in 20 days, budget $6,000, valid 7 days"
    )
    assert proposal.approvals_required == 2
    first = desk.approve(proposal.campaign_id, operator=" bo ")
    assert first.approvers == ["bo"] and first.status == "proposed"
    for blank in ("", "   "):
        with pytest.raises(BadInputError, match="operator name is empty"):
            desk.approve(proposal.campaign_id, operator=blank)
    assert desk.row(proposal.campaign_id).approvers == ["bo"]
    assert issued(fresh_db_url, proposal.campaign_id) == 0
    with pytest.raises(BadInputError):
        desk.reject(proposal.campaign_id, operator="", reason="no")
    with pytest.raises(BadInputError, match="reason is required"):
        desk.reject(proposal.campaign_id, operator="bo", reason="  ")
    assert desk.row(proposal.campaign_id).status == "proposed"

    done = desk.approve(proposal.campaign_id, operator="ana")
    assert done.status == "dispatched" and done.approvals_required == 2
    again = desk.approve(proposal.campaign_id, operator="ana")
    assert again.issued == 0 and again.approvals_required == 2


def test_bad_revision_text_keeps_the_proposal_revisable(
    fresh_db_url: str, isolated_home: Path
) -> None:
    desk = make_desk(fresh_db_url, isolated_home)
    proposal = desk.propose(REQUEST)
    for change in ("", "   ", "make it 5% " * 300):
        with pytest.raises(BadInputError, match="change"):
            desk.revise(proposal.campaign_id, change)
    revised = desk.revise(proposal.campaign_id, "make it 5%")
    assert revised.plan.offer.value == 5


def test_oversized_request_writes_nothing(fresh_db_url: str, isolated_home: Path) -> None:
    desk = make_desk(fresh_db_url, isolated_home)
    with pytest.raises(BadInputError, match="characters"):
        desk.propose(REQUEST + " x" * 2000)
    assert desk.campaigns() == []


def test_the_cut_respects_the_policys_liability_limit(
    fresh_db_url: str, isolated_home: Path
) -> None:
    """Allocation and the policy check count the worst case the same way, so a cut that the
    budget allows is trimmed to the liability limit instead of being proposed blocked."""
    desk = make_desk(fresh_db_url, isolated_home)
    proposal = desk.propose(
        "10% off soup to households that bought anything in the last 60 days, budget $200, "
        "valid 7 days"
    )
    limit = desk.policy.budget.liability_multiple * 200
    assert "plan.liability" not in {v.rule for v in proposal.violations}
    assert 0 < proposal.worst_case_liability <= limit
    assert proposal.audience_size == int(
        limit // (desk.policy.budget.percent_liability_basket * 10 / 100)
    )


class FlakyScorer(ScriptedScorer):
    """Fails the scoring calls it is told to fail (a crash in the middle of a revision)."""

    def __init__(self) -> None:
        super().__init__()
        self.failures = 0

    def candidates(self, household_ids, offer, *, today):  # type: ignore[no-untyped-def]
        if self.failures:
            self.failures -= 1
            raise RuntimeError("scoring crashed")
        return super().candidates(household_ids, offer, today=today)


def test_a_revision_that_crashed_can_be_tried_again(fresh_db_url: str, isolated_home: Path) -> None:
    """The TUI keeps the change and says "try again": the retry must reach the plan."""
    scorer = FlakyScorer()
    settings = Settings(
        home=isolated_home, database_url=fresh_db_url, operator="ana", llm_backend="fake"
    )
    desk = CampaignDesk(settings, llm=FakeChatModel(), scorer=scorer, today=TODAY)
    proposal = desk.propose(REQUEST)
    scorer.failures = 1
    with pytest.raises(RuntimeError, match="scoring crashed"):
        desk.revise(proposal.campaign_id, "make it 5%")
    assert desk.proposal(proposal.campaign_id).plan.offer.value == 10  # the stored one stands
    revised = desk.revise(proposal.campaign_id, "make it 5%")
    assert revised.plan.offer.value == 5 and revised.status == "proposed"
    assert desk.approve(proposal.campaign_id, operator="ana").issued == revised.audience_size


class SlowWarmScorer(ScriptedScorer):
    """A scorer whose models are still loading when the request arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.warmed: list[date] = []

    def warm(self, today: date) -> None:
        import time

        time.sleep(1.1)
        self.warmed.append(today)


def test_waiting_for_the_models_is_reported_apart_from_scoring(
    fresh_db_url: str, isolated_home: Path
) -> None:
    scorer = SlowWarmScorer()
    settings = Settings(home=isolated_home, database_url=fresh_db_url, operator="ana",
                        llm_backend="fake")
    desk = CampaignDesk(settings, llm=FakeChatModel(), scorer=scorer, today=TODAY)
    events: list[dict[str, str]] = []
    desk.propose(REQUEST, on_event=events.append)
    [line] = [e["message"] for e in events if e["step"] == "score"]
    assert scorer.warmed == [TODAY]
    assert line.startswith("scored ") and line.endswith("s loading the models")
