"""Batch scoring on Ray Data: an audience's chunks are read and featurised on Ray's workers.

The local Scorer turns each chunk of households into per-household rows (reading that chunk's
history is the step whose cost grows with the audience) and then computes every model output
and every comparison between households on the joined rows. This backend runs the first step on
Ray: the chunks become a Ray dataset with one row per chunk, and `map_batches` runs
`ChunkRowsWorker`, a callable class that loads the serving models and opens its own history
source once per actor, over them. The driver joins what comes back exactly as the local loop
does, so the scores are identical to the local backend's (tests/models/test_ray_scoring.py).

Where it runs: `ray_address = "local"` starts Ray in this process's machine with
`ray_workers` CPUs (bound to 127.0.0.1; it stops with the process); any other address
(`ray://head:10001`, `auto`) joins that cluster. Workers on other machines need the same
coupondesk version installed, the models directory at the same path (shared storage), and the
database reachable at the same URL.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.errors import NotReadyError

if TYPE_CHECKING:
    from coupondesk.models.frames import RetailFrames
    from coupondesk.tools.scoring.score import ChunkRows, HistorySource, Scorer

HistoryFactory = Callable[[], "HistorySource"]
"""Makes a worker's own history source (it is sent to the workers, so it must pickle)."""


@dataclass(frozen=True)
class DatabaseHistory:
    """The database's history as a recipe each worker opens itself (an engine does not
    travel between processes; a URL does)."""

    url: str
    before: datetime | None = None

    def __call__(self) -> HistorySource:
        from coupondesk.tools.data.frames import HouseholdFrames
        from coupondesk.tools.db.session import get_engine

        return HouseholdFrames(get_engine(self.url), before=self.before)


@dataclass(frozen=True)
class FramesHistory:
    """History already in memory (the package data, tests), sent to every worker once."""

    frames: RetailFrames

    def __call__(self) -> HistorySource:
        from coupondesk.tools.scoring.score import FramesInMemory

        frames = self.frames
        return FramesInMemory(lambda: frames)


class ChunkRowsWorker:
    """What map_batches runs: one Scorer (the serving models) per actor, one chunk per batch."""

    def __init__(self, *, models_dir: str, history: HistoryFactory, as_of: Any,
                 chunk_households: int, acceptance_model: str, behaviour_model: str,
                 offers: Sequence[Offer], behaviour: bool, threads: int) -> None:
        import torch
        from coupondesk.tools.scoring.score import Scorer

        # Ray gives a one-CPU actor one thread; the driver's thread count splits the matrix
        # products the same way, so the transformer's floats come out the same bits.
        torch.set_num_threads(threads)

        self.scorer = Scorer(Path(models_dir), history(), as_of=as_of,
                             acceptance_model=acceptance_model, behaviour_model=behaviour_model,
                             chunk_households=chunk_households)
        self.offers = list(offers)
        self.behaviour = behaviour

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        indices, rows = [], []
        for index, households in zip(batch["index"], batch["households"], strict=True):
            chunk = np.asarray(households, dtype=np.int64)
            rows.append(pickle.dumps(self.scorer.chunk_rows(chunk, self.offers,
                                                            behaviour=self.behaviour)))
            indices.append(int(index))
        return {"index": np.asarray(indices, dtype=np.int64),
                "rows": np.asarray(rows, dtype=object)}


def ensure_ray(address: str, workers: int) -> None:
    """Connect to Ray once per process: "local" starts it here on loopback."""
    try:
        import ray
    except ImportError as exc:
        raise NotReadyError("the Ray backend needs the ray extra: pip install "
                            "'coupondesk[ray]'") from exc
    if ray.is_initialized():
        return
    if address == "local":
        ray.init(num_cpus=workers, include_dashboard=False, _node_ip_address="127.0.0.1",
                 log_to_driver=False, configure_logging=False)
    else:
        ray.init(address=address, log_to_driver=False, configure_logging=False)


@dataclass(frozen=True)
class RayChunks:
    """A Scorer chunk backend on Ray Data (see the module docstring)."""

    history: HistoryFactory
    address: str = "local"
    workers: int = 2

    def chunk_rows(self, scorer: Scorer, chunks: list[np.ndarray], offers: Sequence[Offer],
                   *, behaviour: bool) -> list[ChunkRows]:
        """Scorer.chunk_rows of every chunk, computed on Ray's actors, in the chunks' order."""
        ensure_ray(self.address, self.workers)
        import ray.data
        import torch

        items = [{"index": i, "households": chunk.tolist()} for i, chunk in enumerate(chunks)]
        dataset = ray.data.from_items(items, override_num_blocks=len(items))
        done = dataset.map_batches(
            ChunkRowsWorker,
            fn_constructor_kwargs={
                "models_dir": str(scorer.models_dir), "history": self.history,
                "as_of": scorer.as_of, "chunk_households": scorer.chunk_households,
                "acceptance_model": scorer.acceptance.name,
                "behaviour_model": scorer.behaviour.name, "offers": list(offers),
                "behaviour": behaviour, "threads": torch.get_num_threads(),
            },
            batch_size=1, batch_format="numpy", num_cpus=1,
            concurrency=max(1, min(self.workers, len(items))),
        )
        rows = sorted(done.take_all(), key=lambda row: int(row["index"]))
        if [int(row["index"]) for row in rows] != list(range(len(items))):
            raise RuntimeError("Ray returned an incomplete set of chunks")
        return [pickle.loads(row["rows"]) for row in rows]
