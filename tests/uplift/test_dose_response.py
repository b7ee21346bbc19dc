"""Thornton (2008): the learner recovers the published effect of any incentive and the curve."""

from __future__ import annotations

import numpy as np
from coupondesk.models.uplift.dose_response import fit_dose_response


def test_thornton_published_rates_and_a_monotone_concave_curve_inside_the_intervals() -> None:
    from causaldata import thornton_hiv

    data = thornton_hiv.load_pandas().data.dropna(subset=["got", "tinc"])
    result = fit_dose_response(data["tinc"].to_numpy(float), data["got"].to_numpy(float),
                               draws=500)
    # Published: 33.9% without an incentive, 78.9% with any (+45 points).
    assert abs(result.none.observed - 0.339) < 0.001 and abs(result.any.observed - 0.789) < 0.001
    assert abs(result.none.fitted - 0.339) < 0.005 and abs(result.any.fitted - 0.789) < 0.005
    assert 0.43 < result.any.fitted - result.none.fitted < 0.47
    assert result.none.covered and result.any.covered
    assert len(result.by_amount) == 6 and all(b.covered for b in result.by_amount)
    assert result.monotone and result.concave
    assert np.isclose(sum(b.n for b in result.by_amount), result.any.n)
