"""Send timing on real held-out history: does the chosen send date catch the next purchase?

At the behaviour model's test cutoffs (2017-10-08, 11-05, 12-03) and for categories the timing
model never trained on, each household that has bought in the category before the cutoff gets
a send date inside a 14-day campaign window; its code is valid 7 days from then. Covered = its
actual next purchase in the category falls inside that validity. Three policies in the same
run: the model's chosen date, "send on the cutoff day" (day0), and "send when the household's
median gap since its last purchase runs out" (median_gap); and the MAE of the predicted days to
the next purchase against the same two baselines. Training cutoffs end 2017-09-10 (their labels
end before the first test cutoff). Same code path as `coupondesk train`'s timing stage.

    python bench/timing.py [--json] [--scopes 40] [--test-scopes 20] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import time

from coupondesk.models.frames import RetailFrames
from coupondesk.models.history import History, to_days
from coupondesk.models.tasks import BEHAVIOUR_CUTOFFS, BEHAVIOUR_LAST_TRAIN_CUTOFF
from coupondesk.models.timing import train_and_evaluate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--scopes", type=int, default=40)
    parser.add_argument("--test-scopes", type=int, default=20)
    parser.add_argument("--window-days", type=int, default=14)
    parser.add_argument("--valid-days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    started = time.perf_counter()
    history = History.from_frames(RetailFrames.from_completejourney())
    train = [float(to_days(c)) for c in BEHAVIOUR_CUTOFFS if c <= BEHAVIOUR_LAST_TRAIN_CUTOFF]
    test = [float(to_days(c)) for c in BEHAVIOUR_CUTOFFS if c > BEHAVIOUR_LAST_TRAIN_CUTOFF]
    run = train_and_evaluate(history, train_cutoffs=train, test_cutoffs=test,
                             window_days=args.window_days, valid_days=args.valid_days,
                             scopes=args.scopes, test_scopes=args.test_scopes, seed=args.seed)
    result = {**run.card, "seconds": round(time.perf_counter() - started, 1)}
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:30} {value}")


if __name__ == "__main__":
    main()
