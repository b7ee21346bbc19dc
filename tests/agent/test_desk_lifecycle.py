"""The desk owns one scorer and its engine, and releases both when it closes."""

from __future__ import annotations

from pathlib import Path

from coupondesk.agent.service import CampaignDesk
from coupondesk.tools.db.session import make_engine
from coupondesk.tools.scoring.serving_scorer import ModelScorer

from coupondesk.settings import Settings


def _settings(home: Path) -> Settings:
    return Settings(home=home, database_url=f"sqlite:///{home / 'desk.db'}", llm_backend="fake")


def test_one_scorer_per_desk_and_close_disposes_the_engine(isolated_home: Path) -> None:
    desk = CampaignDesk(_settings(isolated_home))
    assert isinstance(desk.scorer, ModelScorer) and desk.scorer is desk.scorer
    assert CampaignDesk(_settings(isolated_home)).scorer is not desk.scorer
    with desk.engine.connect():
        pass
    assert desk.engine.pool.checkedin() == 1  # type: ignore[attr-defined]
    desk.close()
    assert desk.engine.pool.checkedin() == 0  # type: ignore[attr-defined]


def test_an_engine_handed_in_stays_the_callers(isolated_home: Path) -> None:
    engine = make_engine(f"sqlite:///{isolated_home / 'mine.db'}")
    with engine.connect():
        pass
    with CampaignDesk(_settings(isolated_home), engine=engine):
        pass
    assert engine.pool.checkedin() == 1  # type: ignore[attr-defined]
    engine.dispose()
