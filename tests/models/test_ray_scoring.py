"""The Ray backend scores exactly like the local one (issue #13: batch scoring on Ray Data).

A local Ray (`ray.init(num_cpus=2)`, bound to 127.0.0.1, shut down after the module) runs the
chunks on two actors; every Score field is compared bit for bit with the local backend's, for
each acceptance model kind the repo trains, with history in memory and on the database
(SQLite and PostgreSQL, each worker opening its own engine from the URL).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from coupondesk.models.frames import RetailFrames
from coupondesk.tools.scoring.score import Scorer

from tests.models.test_chunked_scoring import ACCEPTANCE, OFFERS, _assert_same, _audience

ray = pytest.importorskip("ray", reason="the ray extra is not installed")


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    from coupondesk.tools.scoring.ray_backend import ensure_ray

    ensure_ray("local", 2)
    yield
    ray.shutdown()


@pytest.mark.parametrize(("acceptance", "chunk"), [
    *((a, 7) for a in ACCEPTANCE),
    ("acceptance-transformer", 1000),  # whole batches: the GEMMs' thread split shows here
])
def test_ray_scores_exactly_like_local(
    local_ray: None, trained: tuple[Path, dict[str, Any], float], small_frames: RetailFrames,
    acceptance: str, chunk: int,
) -> None:
    from coupondesk.tools.scoring.ray_backend import FramesHistory, RayChunks

    models_dir, _, _ = trained
    households = _audience(small_frames, 33 if chunk == 7 else 10_000)
    local = Scorer(models_dir, lambda: small_frames, chunk_households=chunk,
                   acceptance_model=acceptance)
    on_ray = Scorer(models_dir, lambda: small_frames, chunk_households=chunk,
                    acceptance_model=acceptance,
                    chunk_backend=RayChunks(FramesHistory(small_frames), workers=2))
    assert len(on_ray.chunks(households)) == (5 if chunk == 7 else 1)
    for a, b in zip(on_ray.score_offers(households, OFFERS),
                    local.score_offers(households, OFFERS), strict=True):
        _assert_same(a, b)
        assert [s.household_id for s in a] == households


def test_ray_workers_read_the_database_themselves(
    local_ray: None, trained: tuple[Path, dict[str, Any], float], small_frames: RetailFrames,
    db_url: str,
) -> None:
    from coupondesk.tools.data.frames import HouseholdFrames
    from coupondesk.tools.db.session import get_engine
    from coupondesk.tools.scoring.ray_backend import DatabaseHistory, RayChunks

    models_dir, _, _ = trained
    households = _audience(small_frames, 30)
    local = Scorer(models_dir, HouseholdFrames(get_engine(db_url)), chunk_households=10)
    on_ray = Scorer(models_dir, HouseholdFrames(get_engine(db_url)), chunk_households=10,
                    chunk_backend=RayChunks(DatabaseHistory(db_url), workers=2))
    _assert_same(on_ray.score(households, OFFERS[0]), local.score(households, OFFERS[0]))


def test_the_ray_address_or_engine_selects_ray_for_the_desk(
    monkeypatch: pytest.MonkeyPatch, isolated_home: Path
) -> None:
    from coupondesk.agent.service import CampaignDesk

    from coupondesk.commands.campaigns import _with_engine
    from coupondesk.settings import load_settings

    assert load_settings().models.resolved_ray_address is None  # local stays the default
    assert load_settings(models={"engine": "ray"}).models.resolved_ray_address == "local"
    monkeypatch.setenv("COUPONDESK_RAY_ADDRESS", "ray://head:10001")
    monkeypatch.setenv("COUPONDESK_RAY_WORKERS", "4")
    settings = load_settings()
    assert settings.models.resolved_ray_address == "ray://head:10001"
    with CampaignDesk(settings) as desk:
        assert desk.scorer._ray == ("ray://head:10001", 4)  # type: ignore[attr-defined]
    local = _with_engine(settings, "local")  # propose --engine local
    assert local.models.resolved_ray_address is None
    with CampaignDesk(local) as desk:
        assert desk.scorer._ray is None  # type: ignore[attr-defined]
