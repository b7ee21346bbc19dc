"""Thornton (2008) dose-response check of the depth-response learner, on the real experiment.

    python bench/dose_response.py [--json] [--draws 2000]

Reads thornton_hiv from the `causaldata` package (dev extra), fits the learner with the
incentive amount (dollars) as depth and `got` (learned the HIV result) as the outcome, and prints
the observed and fitted rates: no incentive, any incentive, and per amount bin, each observed
rate with its 95% bootstrap interval. Published (Thornton 2008, AER): 33.9% without an
incentive, 78.9% with any.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from coupondesk.models.uplift.dose_response import DoseResponse, fit_dose_response  # noqa: E402

PUBLISHED = {"none": 0.339, "any": 0.789}


def load_thornton() -> tuple[list[float], list[float]]:
    """(amount, got) for everyone with both recorded."""
    from causaldata import thornton_hiv

    data = thornton_hiv.load_pandas().data.dropna(subset=["got", "tinc"])
    return data["tinc"].astype(float).tolist(), data["got"].astype(float).tolist()


def as_json(result: DoseResponse) -> dict[str, object]:
    """The documented shape plus intervals, coverage, shape flags and the published figures."""
    def rate(r: object) -> dict[str, object]:
        return {"n": r.n, "observed": round(r.observed, 4), "ci95": [round(v, 4) for v in r.ci95],
                "fitted": round(r.fitted, 4), "covered": r.covered}  # type: ignore[attr-defined]

    return {
        "none": round(result.none.fitted, 4),
        "any": round(result.any.fitted, 4),
        "observed": {"none": rate(result.none), "any": rate(result.any)},
        "published": PUBLISHED,
        "effect_of_any": round(result.any.fitted - result.none.fitted, 4),
        "by_amount": [
            {"lo": b.lo, "hi": b.hi, **rate(b)} for b in result.by_amount
        ],
        "monotone": result.monotone,
        "concave": result.concave,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--draws", type=int, default=2000, help="bootstrap resamples")
    args = parser.parse_args(argv)
    import numpy as np

    amount, got = load_thornton()
    result = fit_dose_response(np.array(amount), np.array(got), draws=args.draws)
    doc = as_json(result)
    if args.json:
        print(json.dumps(doc))
        return 0
    print(f"no incentive: fitted {result.none.fitted:.3f}, observed {result.none.observed:.3f} "
          f"(published {PUBLISHED['none']})")
    print(f"any incentive: fitted {result.any.fitted:.3f}, observed {result.any.observed:.3f} "
          f"(published {PUBLISHED['any']})")
    for b in result.by_amount:
        print(f"  ${b.lo:.1f}-{b.hi:.1f}  n={b.n:4d}  observed {b.observed:.3f} "
              f"[{b.ci95[0]:.3f}, {b.ci95[1]:.3f}]  fitted {b.fitted:.3f}"
              f"{'' if b.covered else '  OUTSIDE'}")
    print(f"monotone: {result.monotone}  concave: {result.concave}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
