"""The database reads back into exactly the frames the models were written against."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from coupondesk.models.frames import RetailFrames
from coupondesk.tools.data.frames import load_frames
from coupondesk.tools.db.session import get_engine

from tests.conftest import SLICE_HOUSEHOLDS


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def test_load_frames_matches_the_package(db_url: str) -> None:
    households = sorted(SLICE_HOUSEHOLDS)[:60]
    ours = load_frames(get_engine(db_url), households=households)
    reference = RetailFrames.from_completejourney(households)
    for name, frame in ours.as_dict().items():
        expected = reference.as_dict()[name]
        assert list(frame.columns) == list(expected.columns), name
        assert [str(t) for t in frame.dtypes] == [str(t) for t in expected.dtypes], name
        pd.testing.assert_frame_equal(_sorted(frame), _sorted(expected), check_dtype=False)


def test_before_hides_later_rows(db_url: str) -> None:
    cutoff = datetime(2017, 6, 1)
    frames = load_frames(
        get_engine(db_url), households=sorted(SLICE_HOUSEHOLDS)[:30], before=cutoff
    )
    assert len(frames.transactions)
    assert frames.transactions["transaction_timestamp"].max() < cutoff
    assert (frames.coupon_redemptions["redemption_date"] < cutoff).all()


def test_postgresql_copy_reads_the_same_values_bit_for_bit(sqlite_url: str, pg_url: str) -> None:
    """Lines on PostgreSQL come through COPY as CSV; every value equals SQLite's exactly."""
    households = sorted(SLICE_HOUSEHOLDS)[:40]
    cutoff = datetime(2017, 9, 1)
    on_pg = load_frames(get_engine(pg_url), households=households, before=cutoff)
    on_sqlite = load_frames(get_engine(sqlite_url), households=households, before=cutoff)
    assert len(on_pg.transactions) > 1000
    for name, frame in on_pg.as_dict().items():
        pd.testing.assert_frame_equal(_sorted(frame), _sorted(on_sqlite.as_dict()[name]),
                                      check_exact=True)
