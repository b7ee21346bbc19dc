"""The TUI over the real CampaignDesk: the real graph on the slice database, with the
scripted LLM and a scripted scorer injected (no model weights, no network).

These prove the app calls the same typed API as the CLI and that what the operator sees
ends in the database: issued codes after approval, a paused proposal approved after a
restart, and a database error in plain words with the request kept.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from coupondesk.tools.campaigns.allocation import Candidate
from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.db.schema import IssuedCoupon
from coupondesk.tools.db.session import get_engine
from coupondesk.tools.llm.fake import FakeChatModel
from coupondesk.tui.app import CampaignApp, make_app
from coupondesk.tui.screens.approve_dialog import ApproveDialog
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from textual.widgets import Input

from coupondesk.settings import Settings
from tests.tui.conftest import settle, type_and_send
from tests.tui.test_pilot import chat_text

REAL_REQUEST = ("15% off COFFEE for households that bought coffee in the last 90 days, "
                "budget $2,000, valid 7 days")


class ScriptedScorer:
    """Deterministic acceptance scores, so the test needs no trained model."""

    def candidates(
        self, household_ids: Sequence[int], offer: Offer, *, today: date
    ) -> list[Candidate]:
        return [Candidate(household_id=h, p_redeem=0.05 + (h % 97) / 400, scope_spend=20.0,
                          window_spend=25.0, reason="scripted score") for h in household_ids]


@pytest.fixture
def real_settings(sqlite_url: str, isolated_home: Path, tmp_path: Path) -> Settings:
    """A private copy of the SQLite slice (PostgreSQL is the desk's own tests' business)."""
    source = make_url(sqlite_url).database
    assert source is not None
    shutil.copyfile(source, tmp_path / "tui.db")
    return Settings(operator="alice", llm_backend="fake", home=isolated_home,
                    database_url=f"sqlite:///{tmp_path / 'tui.db'}")


def real_app(settings: Settings) -> CampaignApp:
    from coupondesk.agent.service import CampaignDesk

    desk = CampaignDesk(settings, llm=FakeChatModel(default="Good things are waiting for you."),
                        scorer=ScriptedScorer())
    return make_app(settings, desk, needs_setup=lambda: False)  # type: ignore[arg-type]


def issued_codes(settings: Settings, campaign_id: int) -> int:
    with Session(get_engine(settings.resolved_database_url)) as session:
        return int(session.execute(
            select(func.count()).select_from(IssuedCoupon)
            .where(IssuedCoupon.campaign_id == campaign_id)).scalar_one())


async def approve_current(pilot: Any) -> None:
    await pilot.press("ctrl+y")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ApproveDialog)
    await pilot.press("enter")
    await settle(pilot)


async def test_real_desk_request_to_codes_in_the_database(real_settings: Settings) -> None:
    async with real_app(real_settings).run_test(size=(140, 45)) as pilot:
        await type_and_send(pilot, REAL_REQUEST)
        await settle(pilot)
        proposal = pilot.app.screen.proposal
        assert proposal is not None and not proposal.blocking, chat_text(pilot.app)
        assert "households that bought COFFEE in the last 90 days" in chat_text(pilot.app)
        await approve_current(pilot)
        assert issued_codes(real_settings, proposal.campaign_id) == proposal.audience_size > 0
        assert f"{proposal.audience_size:,} codes issued" in chat_text(pilot.app)


async def test_real_desk_paused_proposal_approved_after_restart(real_settings: Settings) -> None:
    async with real_app(real_settings).run_test() as pilot:
        await type_and_send(pilot, REAL_REQUEST)
        await settle(pilot)
        campaign_id = pilot.app.screen.proposal.campaign_id
    assert issued_codes(real_settings, campaign_id) == 0

    async with real_app(real_settings).run_test(size=(140, 45)) as pilot:  # a new process
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        detail = pilot.app.screen
        assert detail.proposal is not None and detail.proposal.status == "proposed"
        await approve_current(pilot)
        assert issued_codes(real_settings, campaign_id) == detail.proposal.audience_size
        assert detail.proposal.status == "dispatched"


async def test_unreachable_database_keeps_request(isolated_home: Path) -> None:
    settings = Settings(operator="alice", llm_backend="fake", home=isolated_home,
                        database_url="postgresql+psycopg://op:s3cret@127.0.0.1:9/coupons")
    async with real_app(settings).run_test() as pilot:
        await type_and_send(pilot, REAL_REQUEST)
        await settle(pilot)
        text = chat_text(pilot.app)
        assert "unreachable" in text and "s3cret" not in text
        assert pilot.app.screen.query_one("#prompt", Input).value == REAL_REQUEST
