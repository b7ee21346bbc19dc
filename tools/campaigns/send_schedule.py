"""Send dates and contact allowance: when each household's code goes out, and how often.

The timing model (models/timing.py, through the scorer) gives each household the send day in
the policy's send window whose validity best covers its next purchase in the offer's scope.
This module applies that to the scored candidates, and the contact allowance that follows the
household's cadence: within the policy's frequency cap, a household is contacted at most as
often as it shops (a weekly shopper may get the full cap in a month, a monthly one gets one).
Pure functions: the graph nodes call them with what the scorer and the database returned.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Protocol

import numpy as np
from coupondesk.tools.campaigns.allocation import Candidate
from coupondesk.tools.policy.rules import Policy


class Timing(Protocol):
    """What the scorer says about one household's timing (tools.scoring.score.SendTiming)."""

    household_id: int
    send_offset_days: int
    coverage: float
    coverage_day0: float
    cadence_days: float


@dataclass(frozen=True)
class TimedCandidates:
    """Candidates with their send offsets, and what the timing step did, for the operator."""

    candidates: list[Candidate]
    mode: str
    """"per_household" or "at_once" (asked for, set in the policy, or no timing model)."""
    left_out_by_allowance: int = 0
    mean_coverage: float | None = None
    """Mean predicted coverage of the next in-scope purchase with the chosen dates."""
    mean_coverage_day0: float | None = None
    """The same had every code been sent on the planning day."""
    note: str = ""
    """One line for the proposal's assumptions."""


def allowance(cadence_days: float, policy: Policy) -> int:
    """Coupons per frequency window this household may hold: its purchase occasions in the
    window, at least one, at most the policy's cap (models.timing.contact_allowance)."""
    from coupondesk.models.timing import contact_allowance

    rules = policy.frequency
    return int(contact_allowance(np.array([cadence_days]), cap=rules.max_coupons,
                                 per_days=rules.window_days)[0])


def apply_timing(
    candidates: Sequence[Candidate], timings: Sequence[Timing] | None, *,
    recent_coupons: Mapping[int, int], policy: Policy, requested_mode: str | None,
) -> TimedCandidates:
    """Give each candidate its send offset and drop those past their cadence allowance.

    `timings` is None when the scorer has no timing model: every code then goes out at once,
    and the note says why (it is never presented as a timed send).
    """
    mode = requested_mode or policy.timing.mode
    window = policy.timing.send_window_days
    if timings is None:
        note = ("send timing: all codes on the first day (no timing model trained; "
                "run `coupondesk train`)") if mode == "per_household" else \
            "send timing: all codes on the first day (asked for)"
        return TimedCandidates(list(candidates), "at_once", note=note)
    by_household = {t.household_id: t for t in timings}
    kept: list[Candidate] = []
    dropped = 0
    coverage: list[float] = []
    coverage_day0: list[float] = []
    for candidate in candidates:
        timing = by_household.get(candidate.household_id)
        if timing is None:
            kept.append(candidate)
            continue
        if policy.timing.adapt_frequency and recent_coupons.get(candidate.household_id, 0) >= \
                allowance(timing.cadence_days, policy):
            dropped += 1
            continue
        if mode == "per_household":
            kept.append(replace(candidate, send_offset_days=int(timing.send_offset_days),
                                timing_coverage=float(timing.coverage)))
            coverage.append(timing.coverage)
        else:
            kept.append(replace(candidate, send_offset_days=0,
                                timing_coverage=float(timing.coverage_day0)))
            coverage.append(timing.coverage_day0)
        coverage_day0.append(timing.coverage_day0)
    mean = float(np.mean(coverage)) if coverage else None
    mean0 = float(np.mean(coverage_day0)) if coverage_day0 else None
    cap = policy.frequency
    parts = []
    if mode == "per_household":
        parts.append(
            f"send timing: each code goes out on the day within the first {window} days when "
            f"the household is most likely to buy in scope next (timing model)"
        )
        if mean is not None and mean0 is not None:
            parts.append(f"predicted next-purchase coverage {mean:.0%} vs {mean0:.0%} if all "
                         f"were sent on day 1")
    else:
        parts.append("send timing: all codes on the first day (asked for)")
    if policy.timing.adapt_frequency:
        parts.append(
            f"contact allowance: at most one coupon per purchase occasion in {cap.window_days} "
            f"days (median gap between visits), never more than {cap.max_coupons}"
            + (f"; {dropped:,} households already at theirs left out" if dropped else "")
        )
    return TimedCandidates(kept, mode, dropped, mean, mean0, "; ".join(parts))


def send_day(today: date, offset_days: int) -> date:
    """The calendar day of a send offset."""
    return today + timedelta(days=int(offset_days))


def schedule_histogram(send_days: Sequence[date]) -> list[dict[str, object]]:
    """Codes per send day, in date order: [{"date": ISO day, "households": n}]."""
    counts = Counter(send_days)
    return [{"date": day.isoformat(), "households": counts[day]} for day in sorted(counts)]
