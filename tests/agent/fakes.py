"""Test doubles for the agent: a scripted scorer (the real one needs trained models)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from coupondesk.tools.campaigns.allocation import Candidate
from coupondesk.tools.campaigns.offer import Offer


class ScriptedScorer:
    """Deterministic scores from the household id; records what it was asked."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[int], Offer, date]] = []

    def candidates(
        self, household_ids: Sequence[int], offer: Offer, *, today: date
    ) -> list[Candidate]:
        self.calls.append((list(household_ids), offer, today))
        return [
            Candidate(
                household_id=h,
                p_redeem=0.04 + (h % 17) / 50,
                scope_spend=8.0 + h % 13,
                window_spend=20.0 + h % 29,
                reason=f"scripted score for {h % 17}",
                past_spend=float(h % 101),
            )
            for h in household_ids
        ]


class TimedScorer(ScriptedScorer):
    """ScriptedScorer plus a send schedule: offset = household id mod 8, cadence from the id."""

    def schedule(self, household_ids: Sequence[int], offer: Offer, *, today: date,
                 window_days: int) -> list[object]:
        from coupondesk.tools.scoring.score import SendTiming

        last = max(0, window_days - offer.valid_days)
        return [
            SendTiming(household_id=h, send_offset_days=min(h % 8, last), coverage=0.3,
                       coverage_day0=0.2, cadence_days=float(4 + h % 30))
            for h in household_ids
        ]
