"""Every example the empty chat screen suggests works as typed: a proposal with recipients.

Run with the real serving models (tiny ones trained on the slice) and the fake LLM, so the
whole path a new user takes is exercised: plan, audience, scoring, allocation, copy, checks.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from coupondesk.agent.questions import is_question
from coupondesk.agent.service import CampaignDesk
from coupondesk.tools.llm.fake import FakeChatModel
from coupondesk.tui.widgets.proposal_panel import EMPTY_HINT, EXAMPLE_QUESTION, EXAMPLE_REQUESTS

from coupondesk.settings import Settings

TODAY = date(2018, 1, 2)


def test_the_hint_shows_every_example() -> None:
    assert all(example in EMPTY_HINT for example in [*EXAMPLE_REQUESTS, EXAMPLE_QUESTION])


@pytest.mark.parametrize("fresh_db_url", ["sqlite"], indirect=True)
def test_every_example_request_gets_recipients(home_with_models: Path, fresh_db_url: str) -> None:
    settings = Settings(home=home_with_models, database_url=fresh_db_url, operator="ana",
                        llm_backend="fake")
    desk = CampaignDesk(settings, llm=FakeChatModel(), today=TODAY)
    for example in EXAMPLE_REQUESTS:
        assert not is_question(example), example
        proposal = desk.propose(example)
        assert proposal.plan.questions == [], (example, proposal.plan.questions)
        assert proposal.status == "proposed" and not proposal.violations, (
            example, proposal.status, proposal.violations)
        assert proposal.audience_size > 0 and proposal.recipients, example


@pytest.mark.parametrize("fresh_db_url", ["sqlite"], indirect=True)
def test_the_example_question_is_answered(home_with_models: Path, fresh_db_url: str) -> None:
    settings = Settings(home=home_with_models, database_url=fresh_db_url, operator="ana",
                        llm_backend="fake")
    desk = CampaignDesk(settings, llm=FakeChatModel(), today=TODAY)
    assert is_question(EXAMPLE_QUESTION)
    answer = desk.ask(EXAMPLE_QUESTION)
    assert answer["source"] == "rules" and answer["tool"], answer
