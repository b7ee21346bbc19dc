"""The loop after dispatch, through the product's own path, against the simulator's ground truth.

    python bench/learning_loop.py --home DIR [--campaigns 5] [--seed 2000] [--json]

DIR is a COUPONDESK_HOME with the database set up and the models trained (`coupondesk setup`);
the bench works on a COPY of it (DIR is never written). Per campaign k = 1..N, in order:

1. `propose` a depth-range request (10-25% off, one scope per campaign), `approve` it: the
   dispatched codes carry each household's arm and its assignment probability.
2. What the product believed: its depth response at that moment (the stated prior for k = 1,
   then the learner `import-outcomes` refitted) predicts each recipient's uplift at its arm.
3. The truth: Market.ground_truth for the same households and arms (the market's expected
   values; bench-only, never seen by a model).
4. `simulate` plays the market and imports the outcome files; the CLI refits the learner.

A proposal the policy blocks (too few households worth a coupon: plan.audience_min) is
recorded as blocked, with no codes and no profit. Printed per campaign: recipients,
predicted vs true incremental buyers, the stated prior's
prediction for the same recipients and arms, and the true incremental profit (margin on
incremental in-scope spend - expected discount paid by every redeemer - send cost).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

REQUESTS = (
    "10-25% off soup for soup buyers, budget $300, valid 7 days",
    "10-25% off coffee for coffee buyers, budget $300, valid 7 days",
    "10-25% off cheese for cheese buyers, budget $300, valid 7 days",
    "10-25% off frozen pizza for frozen pizza buyers, budget $300, valid 7 days",
    "10-25% off yogurt for yogurt buyers, budget $300, valid 7 days",
    "10-25% off bacon for bacon buyers, budget $300, valid 7 days",
)


def _cli(*args: str) -> dict[str, Any]:
    from click.testing import CliRunner

    from coupondesk.cli import main

    result = CliRunner().invoke(main, [*args, "--json"], catch_exceptions=False)
    if result.exit_code != 0:
        raise SystemExit(f"coupondesk {' '.join(args)} failed: {result.output.strip()}")
    return json.loads(result.stdout)


def _campaign_figures(home: Path, campaign_id: int) -> dict[str, Any]:
    import numpy as np
    from coupondesk.models.uplift.arms import Arm
    from coupondesk.models.uplift.prior import THORNTON_SHAPE
    from coupondesk.tools.campaigns.proposal import Proposal
    from coupondesk.tools.db.schema import Campaign, IssuedCoupon
    from coupondesk.tools.db.session import get_engine
    from coupondesk.tools.outcomes.market import Market
    from coupondesk.tools.outcomes.uplift_training import load_learner
    from coupondesk.tools.scoring.serving_scorer import ModelScorer
    from coupondesk.tools.uplift.household_features import baseline_buy, household_features
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    engine = get_engine(f"sqlite:///{home / 'coupondesk.db'}")
    with Session(engine) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None and campaign.proposal_json is not None
        offer = Proposal.model_validate(campaign.proposal_json).plan.offer
        coupons = session.execute(select(IssuedCoupon).where(
            IssuedCoupon.campaign_id == campaign_id).order_by(IssuedCoupon.household_id)
        ).scalars().all()
        codes = [(int(c.household_id), float(c.value), c.valid_from, c.valid_to,
                  float(c.max_discount) if c.max_discount else None) for c in coupons]
    households = [h for h, *_ in codes]
    scorer = ModelScorer(home / "models", engine)
    candidates = scorer.candidates(households, offer, today=campaign.valid_from)
    scorer.close()
    p0, _s0 = baseline_buy(candidates)
    arms = [Arm("percent_off", v, float(offer.min_spend or 0.0), offer.valid_days)
            for _h, v, *_ in codes]
    menu = sorted(set(arms))
    column = np.array([menu.index(a) for a in arms])
    rows = np.arange(len(arms))
    learner = load_learner(home / "models")
    if learner is not None:
        believed = learner.predict(household_features(candidates), menu, baseline=p0).uplift
        predicted = float(believed[rows, column].sum())
    else:
        predicted = float("nan")
    prior = float((THORNTON_SHAPE.buy_probability(p0, np.array([a.depth for a in arms]))
                   - p0).sum())
    market = Market(engine, as_of=campaign.valid_from)
    histories = market.histories(offer, households)
    true_buyers = true_profit = 0.0
    for h, value, *_rest, cap in codes:
        truth = market.ground_truth(histories[h], offer.model_copy(update={"value": value}),
                                    cap=cap)
        true_buyers += truth.uplift
        true_profit += 0.30 * (truth.spend_with - truth.spend_without) \
            - truth.expected_discount - 0.05
    mix: dict[str, int] = {}
    for _h, value, *_ in codes:
        mix[f"{value:g}%"] = mix.get(f"{value:g}%", 0) + 1
    return {"campaign_id": campaign_id, "recipients": len(codes), "depth_mix": mix,
            "learned": learner is not None,
            "predicted_incremental_buyers": round(predicted if learner else prior, 2),
            "prior_incremental_buyers": round(prior, 2),
            "true_incremental_buyers": round(true_buyers, 2),
            "true_incremental_profit": round(true_profit, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--campaigns", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not (args.home / "models" / "card.json").is_file():
        raise SystemExit(f"{args.home} has no trained models; run `coupondesk setup` there")
    work = Path(tempfile.mkdtemp(prefix="learning-loop-"))
    try:
        shutil.copy2(args.home / "coupondesk.db", work / "coupondesk.db")
        shutil.copytree(args.home / "models", work / "models")
        os.environ.update({"COUPONDESK_HOME": str(work), "COUPONDESK_LLM_BACKEND": "fake",
                           "COUPONDESK_OPERATOR": "bench"})
        os.environ.pop("COUPONDESK_DATABASE_URL", None)
        rows = []
        for k in range(args.campaigns):
            started = time.perf_counter()
            proposal = _cli("propose", REQUESTS[k % len(REQUESTS)])
            campaign_id = int(proposal["campaign_id"])
            if proposal["status"] != "proposed":
                # What the product learned can leave too few households worth a coupon.
                rows.append({"campaign_id": campaign_id, "blocked": sorted(
                    {v["rule"] for v in proposal["violations"]}), "recipients": 0,
                    "true_incremental_profit": 0.0,
                    "seconds": round(time.perf_counter() - started, 1)})
                continue
            _cli("approve", str(campaign_id), "--operator", "bench")
            figures = _campaign_figures(work, campaign_id)
            simulated = _cli("simulate", str(campaign_id), "--seed", str(args.seed + k))
            figures["refit_rows"] = (simulated.get("depth_response") or {}).get("rows")
            figures["seconds"] = round(time.perf_counter() - started, 1)
            rows.append(figures)
            if not args.json:
                print(json.dumps(figures), file=sys.stderr, flush=True)
        doc = {"campaigns": rows}
        print(json.dumps(doc, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
