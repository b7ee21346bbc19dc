"""Reading chosen households' history: IN lists batched under SQLite's parameter limit."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from coupondesk.models.frames import RetailFrames
from coupondesk.tools.data.frames import (
    IN_BATCH,
    HouseholdFrames,
    household_ids,
    load_frames,
)
from coupondesk.tools.db.session import get_engine

from tests.conftest import SLICE_HOUSEHOLDS


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def _assert_same(a: RetailFrames, b: RetailFrames) -> None:
    for name, frame in a.as_dict().items():
        pd.testing.assert_frame_equal(_sorted(frame), _sorted(b.as_dict()[name]), obj=name)


def test_more_ids_than_one_in_list_holds(db_url: str) -> None:
    """2,500 ids (most without rows) read in batches: the same rows as reading everything."""
    engine = get_engine(db_url)
    ids = list(range(1, 2501))
    assert len(ids) > IN_BATCH
    _assert_same(load_frames(engine, households=ids), load_frames(engine))


def test_batched_equals_one_in_list_on_a_small_set(db_url: str) -> None:
    engine = get_engine(db_url)
    households = sorted(SLICE_HOUSEHOLDS)[:40]
    one = load_frames(engine, households=households)
    batched = load_frames(engine, households=households, in_batch=7)
    assert len(one.transactions) and one.transactions["household_id"].nunique() > 7
    _assert_same(batched, one)
    cutoff = datetime(2017, 6, 1)
    _assert_same(HouseholdFrames(engine, before=cutoff, in_batch=7).load(households),
                 load_frames(engine, households=households, before=cutoff))


def test_household_ids_and_the_default_day(db_url: str) -> None:
    engine = get_engine(db_url)
    everything = load_frames(engine)
    assert household_ids(engine) == sorted(
        int(h) for h in everything.transactions["household_id"].unique())
    assert HouseholdFrames(engine).default_as_of() == everything.default_as_of
    cutoff = datetime(2017, 6, 1)
    early = load_frames(engine, before=cutoff)
    assert HouseholdFrames(engine, before=cutoff).default_as_of() == early.default_as_of
