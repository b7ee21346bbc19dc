"""Scoring in household chunks gives exactly the scores of scoring the audience at once.

Every acceptance model kind the repo trains (logistic, LightGBM, transformer), 7 households a
chunk against one chunk: each Score field equal (floats bit for bit, the reason text
included), the fast probabilities and the send schedule too; and on the database (SQLite and
PostgreSQL) through HouseholdFrames, which reads only each chunk's households.
"""

from __future__ import annotations

from dataclasses import astuple, fields
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from coupondesk.models.frames import RetailFrames
from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.scoring.score import Score, Scorer, schedule_sends

OFFERS = [
    Offer(kind="percent_off", value=15, valid_days=14, categories=["COFFEE"]),
    Offer(kind="amount_off", value=5, valid_days=7),  # storewide
]
ACCEPTANCE = ["acceptance-logistic", "acceptance-lightgbm", "acceptance-transformer"]
NO_HISTORY = 999_999
"""A household id with no rows at all: scored as a household without history."""


def _audience(frames: RetailFrames, n: int) -> list[int]:
    ids = sorted(int(h) for h in frames.transactions["household_id"].unique())
    picked = ids[::2][:n]
    return [*reversed(picked), NO_HISTORY, picked[3]]  # any order, a repeat, no history


def _assert_same(a: list[Score], b: list[Score]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        for f, u, v in zip(fields(Score), astuple(x), astuple(y), strict=True):
            if isinstance(u, float):
                assert np.array_equal(np.float64(u), np.float64(v), equal_nan=True), (f.name, u, v)
            else:
                assert u == v, (f.name, u, v)


def _scorers(models_dir: Path, history: Any, **kwargs: Any) -> tuple[Scorer, Scorer]:
    return (Scorer(models_dir, history, chunk_households=7, **kwargs),
            Scorer(models_dir, history, chunk_households=100_000, **kwargs))


@pytest.mark.parametrize("acceptance", ACCEPTANCE)
def test_chunks_of_seven_score_exactly_like_one_chunk(
    trained: tuple[Path, dict[str, Any], float], small_frames: RetailFrames, acceptance: str
) -> None:
    models_dir, _, _ = trained
    households = _audience(small_frames, 33)
    chunked, whole = _scorers(models_dir, lambda: small_frames, acceptance_model=acceptance)
    assert len(chunked.chunks(households)) == 5 and len(whole.chunks(households)) == 1
    for a, b in zip(chunked.score_offers(households, OFFERS),
                    whole.score_offers(households, OFFERS), strict=True):
        _assert_same(a, b)
        assert [s.household_id for s in a] == households
    assert np.array_equal(chunked.probabilities(households, OFFERS[0]),
                          whole.probabilities(households, OFFERS[0]))
    if whole.timing is not None:
        assert (schedule_sends(chunked, households, OFFERS[0], window_days=14)
                == schedule_sends(whole, households, OFFERS[0], window_days=14))


def test_the_other_behaviour_model_chunks_exactly_too(
    trained: tuple[Path, dict[str, Any], float], small_frames: RetailFrames
) -> None:
    models_dir, card, _ = trained
    other = ("behaviour-lightgbm" if card["behavior"]["serving"] == "transformer"
             else "behaviour-transformer")
    households = _audience(small_frames, 20)
    chunked, whole = _scorers(models_dir, lambda: small_frames, behaviour_model=other)
    _assert_same(chunked.score(households, OFFERS[0]), whole.score(households, OFFERS[0]))


def test_reasons_measure_against_the_audience(
    trained: tuple[Path, dict[str, Any], float], small_frames: RetailFrames
) -> None:
    """The reference average is the audience's: one household alone is 1.0x it."""
    models_dir, _, _ = trained
    scorer = Scorer(models_dir, lambda: small_frames, chunk_households=7)
    households = _audience(small_frames, 10)
    scores = scorer.score(households, OFFERS[0])
    mean = np.mean([s.acceptance_probability for s in scores[:-1]])  # the last is a repeat
    for s in scores:
        ratio = float(s.reason.split(" (", 1)[1].split("x the audience's average); ", 1)[0])
        assert ratio == pytest.approx(s.acceptance_probability / mean, abs=0.051)
    alone = scorer.score(households[:1], OFFERS[0])[0]
    assert "(1.0x the audience's average)" in alone.reason


def test_database_chunks_score_exactly_like_one_chunk(
    trained: tuple[Path, dict[str, Any], float], small_frames: RetailFrames, db_url: str
) -> None:
    from coupondesk.tools.data.frames import HouseholdFrames
    from coupondesk.tools.db.session import get_engine

    models_dir, _, _ = trained
    history = HouseholdFrames(get_engine(db_url))
    households = _audience(small_frames, 30)
    chunked, whole = _scorers(models_dir, history, acceptance_model="acceptance-lightgbm")
    assert chunked.as_of == small_frames.default_as_of
    _assert_same(chunked.score(households, OFFERS[0]), whole.score(households, OFFERS[0]))


def test_reading_the_next_chunk_ahead_scores_exactly_like_reading_in_turn(
    trained: tuple[Path, dict[str, Any], float], small_frames: RetailFrames, db_url: str
) -> None:
    import threading

    from coupondesk.tools.data.frames import HouseholdFrames
    from coupondesk.tools.db.session import get_engine

    models_dir, _, _ = trained
    households = _audience(small_frames, 30)
    ahead, in_turn = HouseholdFrames(get_engine(db_url)), HouseholdFrames(get_engine(db_url))
    assert ahead.concurrent_reads
    in_turn.concurrent_reads = False
    readers: list[str] = []
    load = ahead.load

    def spied(chunk: Any) -> RetailFrames:
        readers.append(threading.current_thread().name)
        return load(chunk)

    ahead.load = spied  # type: ignore[method-assign]
    scores = [Scorer(models_dir, history, chunk_households=7,
                     acceptance_model="acceptance-lightgbm").score(households, OFFERS[0])
              for history in (ahead, in_turn)]
    _assert_same(*scores)
    assert len(readers) == 5 and all(name.startswith("coupondesk-read") for name in readers)


def test_a_failed_read_ahead_fails_the_scoring_with_its_error(
    trained: tuple[Path, dict[str, Any], float], small_frames: RetailFrames, db_url: str
) -> None:
    from coupondesk.tools.data.frames import HouseholdFrames
    from coupondesk.tools.db.session import get_engine

    models_dir, _, _ = trained
    history = HouseholdFrames(get_engine(db_url))
    load, calls = history.load, []

    def failing(chunk: Any) -> RetailFrames:
        calls.append(chunk)
        if len(calls) == 3:
            raise OSError("the database went away")
        return load(chunk)

    history.load = failing  # type: ignore[method-assign]
    scorer = Scorer(models_dir, history, chunk_households=7, acceptance_model="acceptance-logistic")
    with pytest.raises(OSError, match="went away"):
        scorer.score(_audience(small_frames, 30), OFFERS[0])
    assert len(calls) == 3  # nothing read past the failure


def test_an_in_memory_sqlite_is_read_in_turn() -> None:
    from coupondesk.tools.data.frames import HouseholdFrames
    from sqlalchemy import create_engine

    assert not HouseholdFrames(create_engine("sqlite://")).concurrent_reads


def test_chunk_households_setting_reaches_the_desk_scorer(
    monkeypatch: pytest.MonkeyPatch, isolated_home: Path
) -> None:
    from coupondesk.agent.service import CampaignDesk

    from coupondesk.settings import load_settings

    monkeypatch.setenv("COUPONDESK_CHUNK_HOUSEHOLDS", "7")
    settings = load_settings()
    assert settings.models.chunk_households == 7
    assert load_settings(models={"chunk_households": 500}).models.chunk_households == 500
    with CampaignDesk(settings) as desk:
        assert desk.scorer._chunk_households == 7  # type: ignore[attr-defined]


def _shuffled(frames: RetailFrames, seed: int) -> RetailFrames:
    """The same rows in another order: what a database may return without ORDER BY."""
    import dataclasses

    rng = np.random.default_rng(seed)
    changed = {}
    for field in dataclasses.fields(frames):
        frame = getattr(frames, field.name)
        changed[field.name] = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
    return dataclasses.replace(frames, **changed)


@pytest.mark.parametrize("acceptance", ACCEPTANCE)
def test_scores_do_not_depend_on_the_order_rows_arrive_in(
    trained: tuple[Path, dict[str, Any], float], small_frames: RetailFrames, acceptance: str
) -> None:
    """Row order from a database is unspecified (PostgreSQL's varied between two reads of
    100,000 households): the same rows shuffled give bit-identical scores and schedules."""
    models_dir, card, _ = trained
    households = _audience(small_frames, 40)
    shuffled = _shuffled(small_frames, seed=3)
    assert not shuffled.transactions.equals(small_frames.transactions)
    for behaviour in ("behaviour-transformer", "behaviour-lightgbm"):
        kwargs = {"acceptance_model": acceptance, "behaviour_model": behaviour}
        a = Scorer(models_dir, lambda: small_frames, chunk_households=9, **kwargs)
        b = Scorer(models_dir, lambda: shuffled, chunk_households=9, **kwargs)
        _assert_same(a.score(households, OFFERS[0]), b.score(households, OFFERS[0]))
        if a.timing is not None:
            assert (schedule_sends(a, households, OFFERS[0], window_days=14)
                    == schedule_sends(b, households, OFFERS[0], window_days=14))
