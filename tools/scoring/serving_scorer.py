"""The production scorer: the serving acceptance + behaviour models, as allocation Candidates.

Loads the models and the retailer history once per process (the TUI keeps it warm between
campaigns) and rebuilds its day state only when the planning date changes. Without trained
models it raises NotReadyError with the command that fixes it; there is no heuristic fallback.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from coupondesk.tools.campaigns.allocation import Candidate
from coupondesk.tools.campaigns.offer import Offer
from sqlalchemy import Engine


class ModelScorer:
    """CandidateScorer backed by coupondesk.tools.scoring.score.Scorer on the given database."""

    def __init__(self, models_dir: Path, engine: Engine) -> None:
        self._models_dir = models_dir
        self._engine = engine
        self._scorers: dict[date, object] = {}
        self._lock = threading.Lock()

    def _scorer_for(self, today: date):  # type: ignore[no-untyped-def]
        from coupondesk.tools.data.frames import load_frames
        from coupondesk.tools.scoring.hf_quiet import quiet_loading
        from coupondesk.tools.scoring.score import Scorer

        with self._lock:
            scorer = self._scorers.get(today)
            if scorer is None:
                cutoff = datetime(today.year, today.month, today.day)
                with quiet_loading():  # the weights load here; no bars over the CLI or TUI
                    scorer = Scorer(
                        self._models_dir,
                        lambda: load_frames(self._engine, before=cutoff),
                        as_of=today,
                    )
                self._scorers = {today: scorer}  # one planning day at a time
            return scorer

    def close(self) -> None:
        """Drop the loaded models and day state (the desk calls this when it closes)."""
        with self._lock:
            self._scorers = {}

    def warm(self, today: date) -> None:
        """Load models and build the day's household state ahead of the first request."""
        self._scorer_for(today).warm()

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
