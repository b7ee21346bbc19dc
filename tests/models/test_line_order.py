"""History's line order is exactly pandas' stable sort on every key a model reads.

`line_order` sorts on three keys and then only the tied runs on the rest; this checks it
against `sort_values` on random tables built to tie often (the same product twice in a basket,
equal times, NaNs, negative zeros), of every size from empty up.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from coupondesk.models.history import _LINE_ORDER, line_order


def _lines(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "t": rng.integers(0, 20, n) / 4.0,
        "basket_id": rng.integers(0, max(n // 5, 1), n),
        "product_id": rng.integers(0, 6, n),
        "spend": rng.integers(0, 4, n) / 4.0,
        "retail_disc": rng.integers(0, 2, n) * -0.25,
        "coupon_disc": rng.choice([0.0, -0.0, -0.5], n),
        "coupon_match_disc": np.zeros(n),
        "household_id": rng.integers(0, 3, n),
    })
    if n > 10:
        frame.loc[frame.index[::7], "spend"] = np.nan
        frame.loc[frame.index[::11], "t"] = np.nan
    return frame


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("n", [0, 1, 2, 17, 400, 3000])
def test_line_order_is_the_stable_sort_on_every_key(seed: int, n: int) -> None:
    lines = _lines(seed, n)
    expected = lines.sort_values(_LINE_ORDER, kind="stable").index.to_numpy()
    assert np.array_equal(line_order(lines), expected)


def test_lines_without_ties_keep_the_three_key_order() -> None:
    lines = _lines(0, 50).drop_duplicates(["t", "basket_id", "product_id"])
    lines = lines.sample(frac=1.0, random_state=1)
    expected = lines.sort_values(_LINE_ORDER, kind="stable").index.to_numpy()
    assert np.array_equal(lines.index.to_numpy()[line_order(lines)], expected)
