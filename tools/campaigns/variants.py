"""Which approved copy variant a household receives: a stable hash, not a random draw.

Every variant that passed the copy checks was approved (the proposal hash binds them all), so
dispatch spreads households over them; the same (campaign, household) always gets the same
variant, so a re-run of dispatch or export agrees with the first, and the readout can compare
variants later.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def passing_variants(oks: Sequence[bool]) -> list[int]:
    """Indices of the copy variants that passed the checks, in order."""
    return [index for index, ok in enumerate(oks) if ok]


def assign_variant(campaign_id: int, household_id: int, passing: Sequence[int]) -> int | None:
    """The variant index for a household: sha256(campaign:household) mod the passing count."""
    if not passing:
        return None
    digest = hashlib.sha256(f"{campaign_id}:{household_id}".encode()).digest()
    return passing[int.from_bytes(digest[:8], "big") % len(passing)]
