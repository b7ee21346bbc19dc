"""Training learns from a seeded sample of at most `train_households` households."""

from __future__ import annotations

from pathlib import Path

import pytest
from coupondesk.models.frames import RetailFrames, sample_households


def test_sample_is_bounded_and_seeded() -> None:
    ids = list(range(1000, 1300))
    first = sample_households(ids, 50, seed=0)
    assert len(first.households) == 50 and set(first.households) <= set(ids)
    assert list(first.households) == sorted(first.households)
    assert sample_households(list(reversed(ids)), 50, seed=0) == first
    assert sample_households(ids, 50, seed=1).households != first.households
    everyone = sample_households(ids, 3000, seed=0)
    assert everyone.households == tuple(ids) and everyone.to_json() == {
        "sampled": 300, "of": 300, "seed": 0}
    with pytest.raises(ValueError, match="at least 1"):
        sample_households(ids, 0, seed=0)


def test_training_frames_read_only_the_sample(db_url: str) -> None:
    from coupondesk.tools.data.frames import household_ids, training_frames
    from coupondesk.tools.db.session import get_engine

    engine = get_engine(db_url)
    frames, sample = training_frames(engine, limit=40, seed=0)
    assert sample.to_json() == {"sampled": 40, "of": len(household_ids(engine)), "seed": 0}
    assert set(frames.transactions["household_id"]) == set(sample.households)
    assert set(frames.demographics["household_id"]) <= set(sample.households)
    again, same = training_frames(engine, limit=40, seed=0)
    assert same == sample and len(again.transactions) == len(frames.transactions)


def test_model_card_states_the_sample(small_frames: RetailFrames, tmp_path: Path) -> None:
    import json

    from coupondesk.models.config import tiny_config
    from coupondesk.models.pipeline import train_all

    total = small_frames.transactions["household_id"].nunique()
    sample = sample_households(small_frames.transactions["household_id"].unique(), 150, 0)
    card = train_all(small_frames, tmp_path / "models", config=tiny_config(), sample=sample)
    assert card["training_households"] == {"sampled": 150, "of": total, "seed": 0}
    assert card["data_window"]["households"] == 150
    saved = json.loads((tmp_path / "models" / "card.json").read_text())
    assert saved["training_households"] == card["training_households"]


def test_train_households_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from coupondesk.settings import load_settings

    assert load_settings().models.train_households == 3000
    monkeypatch.setenv("COUPONDESK_TRAIN_HOUSEHOLDS", "120")
    assert load_settings().models.train_households == 120
