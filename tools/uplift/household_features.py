"""The household columns the depth-response learner sees, from the scorer's candidates.

One function for training (tools/outcomes/uplift_training.py, a past campaign's audience scored
as of its first validity day) and for proposing (tools/uplift/per_household.py, today's
audience): the learner predicts for a new audience from exactly what it was fitted on.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from coupondesk.tools.campaigns.allocation import Candidate

FEATURE_NAMES = ("p_redeem", "log_window_spend", "log_spend_per_visit", "log_spend_91d")


def household_features(candidates: Sequence[Candidate]) -> np.ndarray:
    """(n, 4): acceptance probability and the log of window, per-visit and 91-day spend."""
    return np.array([
        (c.p_redeem, np.log1p(max(c.window_spend, 0.0)), np.log1p(max(c.scope_spend, 0.0)),
         np.log1p(max(c.past_spend, 0.0)))
        for c in candidates
    ], dtype=float).reshape(len(candidates), len(FEATURE_NAMES))


def baseline_buy(candidates: Sequence[Candidate], *, stretch: float = 1.0
                 ) -> tuple[np.ndarray, np.ndarray]:
    """P(buy in scope without a coupon) and the expected in-scope spend without it.

    P = 1 - exp(-r/s): r the expected in-scope spend over the validity window, s the in-scope
    spend of one visit (a Poisson count of visits). `stretch` scales the window: a campaign
    whose sends were spread over days is read over a longer window than one code's validity,
    and its control households must be expected to buy over all of it."""
    per_visit = np.array([max(c.scope_spend, 1e-6) for c in candidates])
    window = np.array([max(c.window_spend, 0.0) for c in candidates]) * stretch
    return 1.0 - np.exp(-window / per_visit), window
