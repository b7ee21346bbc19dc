"""The production scorer: the serving acceptance + behaviour models, as allocation Candidates.

Loads the models once per process and planning date (the TUI keeps them warm between
campaigns); each audience's history is read from the database when it is scored, in chunks of
`chunk_households`, so memory stays bounded by one chunk, not the retailer's whole history.
Without trained models it raises NotReadyError with the command that fixes it; there is no
heuristic fallback.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from coupondesk.tools.campaigns.allocation import Candidate
from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.data.limits import CHUNK_HOUSEHOLDS
from sqlalchemy import Engine

if TYPE_CHECKING:
    from coupondesk.tools.scoring.score import SendTiming


class ModelScorer:
    """CandidateScorer backed by coupondesk.tools.scoring.score.Scorer on the given database."""

    def __init__(self, models_dir: Path, engine: Engine, *,
                 chunk_households: int = CHUNK_HOUSEHOLDS, ray_address: str | None = None,
                 ray_workers: int = 2) -> None:
        self._models_dir = models_dir
        self._engine = engine
        self._chunk_households = chunk_households
        self._ray = (ray_address, ray_workers) if ray_address else None
        """(address, workers) when the chunks are scored on Ray, else None (here)."""
        self._scorers: dict[date, object] = {}
        self._lock = threading.Lock()

    def _scorer_for(self, today: date):  # type: ignore[no-untyped-def]
        from coupondesk.tools.data.frames import HouseholdFrames
        from coupondesk.tools.scoring.hf_quiet import quiet_loading
        from coupondesk.tools.scoring.score import Scorer

        with self._lock:
            scorer = self._scorers.get(today)
            if scorer is None:
                cutoff = datetime(today.year, today.month, today.day)
                with quiet_loading():  # the weights load here; no bars over the CLI or TUI
                    scorer = Scorer(
                        self._models_dir,
                        HouseholdFrames(self._engine, before=cutoff),
                        as_of=today,
                        chunk_households=self._chunk_households,
                        chunk_backend=self._ray_backend(cutoff),
                    )
                self._scorers = {today: scorer}  # one planning day at a time
            return scorer

    def _ray_backend(self, cutoff: datetime):  # type: ignore[no-untyped-def]
        """RayChunks on this database (each worker opens it from the URL), or None."""
        if self._ray is None:
            return None
        from coupondesk.tools.scoring.ray_backend import DatabaseHistory, RayChunks

        url = self._engine.url.render_as_string(hide_password=False)
        address, workers = self._ray
        return RayChunks(DatabaseHistory(url, before=cutoff), address=address, workers=workers)

    def close(self) -> None:
        """Drop the loaded models (the desk calls this when it closes)."""
        with self._lock:
            self._scorers = {}

    def warm(self, today: date) -> None:
        """Load the models ahead of the first request (no history: that is read per
        audience, chunk by chunk)."""
        self._scorer_for(today).warm()

    def schedule(
        self, household_ids: Sequence[int], offer: Offer, *, today: date, window_days: int
    ) -> list[SendTiming] | None:
        """Per household the send day that best covers its next in-scope purchase (None when
        no timing model was trained)."""
        from coupondesk.tools.scoring.score import schedule_sends

        return schedule_sends(self._scorer_for(today), list(household_ids), offer,
                              window_days=window_days)

    def candidates(
        self, household_ids: Sequence[int], offer: Offer, *, today: date
    ) -> list[Candidate]:
        """Scores of every household, as the allocation step's candidates."""
        scores = self._scorer_for(today).score(list(household_ids), offer)
        return [
            Candidate(
                household_id=s.household_id,
                p_redeem=s.acceptance_probability,
                scope_spend=s.scope_spend_per_visit,
                window_spend=s.expected_scope_spend,
                reason=s.reason,
                past_spend=s.past_spend_91d,
            )
            for s in scores
        ]
