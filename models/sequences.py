"""Basket token sequences: a household's most recent baskets before a cutoff, as arrays.

Each basket is one token: the set of product categories in it (up to MAX_BASKET_CATEGORIES,
largest spend first) plus numeric facts (spend, size, coupon and discount use, time gap, age at
the cutoff). Only baskets strictly before the cutoff are ever gathered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from coupondesk.models.history import History

MAX_BASKET_CATEGORIES = 16
"""Categories kept per basket token (the largest by spend); 96% of baskets have fewer."""
BASKET_NUMERIC = (
    "log_spend",
    "log_lines",
    "coupon_used",
    "log_coupon_disc",
    "retail_disc_share",
    "log_gap_prev",
    "dow_sin",
    "dow_cos",
)
"""Cutoff-independent numeric facts of a basket; the age at the cutoff is added per sequence."""
N_NUMERIC = len(BASKET_NUMERIC) + 1
"""Numeric inputs per token: BASKET_NUMERIC plus log1p(days before the cutoff)."""


@dataclass(frozen=True)
class BasketTable:
    """Every basket's category tokens and numeric facts, aligned with History.baskets rows."""

    category_tokens: np.ndarray
    """(n_baskets, MAX_BASKET_CATEGORIES) int64; category code + 1, 0 = padding."""
    numeric: np.ndarray
    """(n_baskets, len(BASKET_NUMERIC)) float32."""
    t: np.ndarray
    """(n_baskets,) float days of each basket."""
    household_start: dict[int, int]
    """First row of each household's baskets (rows are sorted by household, then time)."""
    household_end: dict[int, int]
    n_categories: int

    @classmethod
    def from_history(cls, history: History) -> BasketTable:
        """Tokenise every basket once; sequences at any cutoff are then index arithmetic."""
        baskets = history.baskets
        row_of = pd.Series(np.arange(len(baskets)), index=baskets["basket_id"].to_numpy())
        per_cat = (
            history.lines.groupby(["basket_id", "cat"], sort=False)["spend"].sum().reset_index()
        )
        per_cat["row"] = row_of.reindex(per_cat["basket_id"]).to_numpy()
        per_cat = per_cat.sort_values(["row", "spend"], ascending=[True, False], kind="stable")
        rank = per_cat.groupby("row").cumcount().to_numpy()
        keep = rank < MAX_BASKET_CATEGORIES
        tokens = np.zeros((len(baskets), MAX_BASKET_CATEGORIES), dtype=np.int64)
        tokens[per_cat["row"].to_numpy()[keep], rank[keep]] = per_cat["cat"].to_numpy()[keep] + 1

        spend = baskets["spend"].to_numpy()
        t = baskets["t"].to_numpy()
        hh = baskets["household_id"].to_numpy()
        gap = np.diff(t, prepend=np.nan)
        # First basket of each household (none when a chunk of households has no history).
        first = np.r_[True, hh[1:] != hh[:-1]] if len(hh) else np.zeros(0, dtype=bool)
        gap[first] = np.nan
        dow = np.floor(t) % 7
        numeric = np.stack(
            [
                np.log1p(spend.clip(0)),
                np.log1p(baskets["n_lines"].to_numpy()),
                (baskets["coupon_lines"].to_numpy() > 0).astype(float),
                np.log1p(baskets["coupon_disc"].to_numpy().clip(0)),
                baskets["retail_disc"].to_numpy() / np.maximum(spend, 1.0),
                np.log1p(np.nan_to_num(gap, nan=60.0).clip(0)),
                np.sin(2 * np.pi * dow / 7),
                np.cos(2 * np.pi * dow / 7),
            ],
            axis=1,
        ).astype(np.float32)
        boundaries = np.flatnonzero(np.r_[first, True])
        starts = {int(hh[s]): int(s) for s in boundaries[:-1]}
        ends = {int(hh[s]): int(e) for s, e in zip(boundaries[:-1], boundaries[1:], strict=True)}
        return cls(tokens, numeric, t, starts, ends, len(history.categories))

    def rows_before(self, household_id: int, cutoff: float, max_len: int) -> np.ndarray:
        """Rows of the household's last `max_len` baskets strictly before cutoff, newest first."""
        start = self.household_start.get(int(household_id))
        if start is None:
            return np.zeros(0, dtype=np.int64)
        end = self.household_end[int(household_id)]
        stop = start + int(np.searchsorted(self.t[start:end], cutoff, side="left"))
        return np.arange(stop - 1, max(start, stop - max_len) - 1, -1, dtype=np.int64)


@dataclass(frozen=True)
class SequenceBatch:
    """Padded basket sequences of several (household, cutoff) rows, newest basket first."""

    category_tokens: np.ndarray
    """(n, max_len, MAX_BASKET_CATEGORIES) int64."""
    numeric: np.ndarray
    """(n, max_len, N_NUMERIC) float32."""
    mask: np.ndarray
    """(n, max_len) 1 where a basket is present."""
    basket_rows: np.ndarray
    """(n, max_len) row in the BasketTable (-1 = padding), for masked-basket targets."""


def build_sequences(
    table: BasketTable, households: np.ndarray, cutoffs: np.ndarray, max_len: int
) -> SequenceBatch:
    """Sequences of each (household, cutoff) pair: only baskets strictly before its cutoff."""
    n = len(households)
    rows = np.full((n, max_len), -1, dtype=np.int64)
    for i, (household, cutoff) in enumerate(zip(households, cutoffs, strict=True)):
        found = table.rows_before(int(household), float(cutoff), max_len)
        rows[i, : len(found)] = found
    present = rows >= 0
    if not len(table.t):  # no household here has a basket (a chunk without history)
        return SequenceBatch(np.zeros((n, max_len, MAX_BASKET_CATEGORIES), dtype=np.int64),
                             np.zeros((n, max_len, N_NUMERIC), dtype=np.float32),
                             present.astype(np.int64), rows)
    safe = np.where(present, rows, 0)
    tokens = np.where(present[..., None], table.category_tokens[safe], 0)
    age = np.log1p(np.clip(np.asarray(cutoffs, dtype=np.float64)[:, None] - table.t[safe], 0, None))
    numeric = np.concatenate([table.numeric[safe], age[..., None].astype(np.float32)], axis=2)
    numeric = np.where(present[..., None], numeric, 0.0).astype(np.float32)
    return SequenceBatch(tokens, numeric, present.astype(np.int64), rows)
