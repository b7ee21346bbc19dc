"""How many households one step holds in memory at once (defaults of the settings).

Kept apart from the loaders so the settings can name the defaults without importing pandas.
"""

CHUNK_HOUSEHOLDS = 1000
"""Households whose history the scorer reads and featurises at a time (`chunk_households`)."""

TRAIN_HOUSEHOLDS = 3000
"""Households `coupondesk train` samples (seeded) to learn from (`train_households`)."""
