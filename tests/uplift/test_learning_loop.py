"""The loop after dispatch closes: outcomes come back, the depth response is learned from them,
and the next proposal is priced by what was learned rather than by the stated prior.

The learner sees only the outcome files `simulate` writes and imports (the `import-outcomes`
path), never the market's parameters; its figures are checked against the outcomes' own
treated-minus-holdout difference (the simulator's ground truth: bench/learning_loop.py).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from coupondesk.models.uplift.prior import THORNTON_SHAPE
from coupondesk.tools.db.schema import Campaign, Holdout, Product
from coupondesk.tools.db.session import get_engine
from coupondesk.tools.outcomes.statistics import newcombe_interval
from coupondesk.tools.outcomes.uplift_training import (
    LEARNER_FILE,
    campaign_rows,
    load_learner,
)
from coupondesk.tools.scoring.serving_scorer import ModelScorer
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.cli_run import doc, run

REQUESTS = (
    "Give 10-25% off soup to households that haven't shopped in 20 days, budget $300, "
    "valid 7 days",
    "10 to 25% off soup for soup buyers, budget $400, valid 7 days",
)


@pytest.fixture
def cli_env(home_with_models: Path, fresh_db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COUPONDESK_DATABASE_URL", fresh_db_url)
    monkeypatch.setenv("COUPONDESK_TODAY", "2018-01-02")
    monkeypatch.setenv("COUPONDESK_OPERATOR", "ana")
    monkeypatch.setenv("COUPONDESK_LLM_BACKEND", "fake")
    return fresh_db_url


def _dispatch_and_simulate(request: str, seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    proposal = doc(run("propose", request, "--json"))
    assert proposal["depth_mix"], proposal
    doc(run("approve", str(proposal["campaign_id"]), "--operator", "ana", "--json"))
    simulated = doc(run("simulate", str(proposal["campaign_id"]), "--seed", str(seed),
                        "--json"))
    return proposal, simulated


def test_outcomes_teach_the_depth_response(cli_env: str, home_with_models: Path,
                                           tmp_path: Path) -> None:
    models = home_with_models / "models"
    first, simulated = _dispatch_and_simulate(REQUESTS[0], seed=11)
    assert first["depth_response"]["learned"] is False
    assert "stated prior" in first["depth_response"]["source"]
    refit = simulated["depth_response"]
    assert refit["learned"] is True and (models / LEARNER_FILE).is_file()
    assert refit["rows"] == first["audience_size"] + first["holdout_size"]
    assert json.loads((models / "card.json").read_text())["uplift"]["rows"] == refit["rows"]

    second, simulated = _dispatch_and_simulate(REQUESTS[1], seed=12)
    assert second["depth_response"]["learned"] is True
    assert "randomised rows" in second["depth_response"]["source"]
    assert any("depth response: learned" in a for a in second["assumptions"])
    assert all("without" in r["reason"] and "(learned)" in r["reason"]
               for r in second["recipients_sample"])
    refit = simulated["depth_response"]
    assert [c["campaign_id"] for c in refit["campaigns"]] == [first["campaign_id"],
                                                              second["campaign_id"]]

    # The learner follows the outcomes it is given: over the treated households at the arms
    # they were sent, its uplift lies inside the 95% interval of the observed treated-minus-
    # holdout difference in buying, and it has moved off the stated prior. (The simulator's
    # ground truth is too close to the slice's sampling noise to test against here: ~15
    # holdout households per campaign; bench/learning_loop.py measures it on the full data.)
    engine = get_engine(cli_env)
    scorer = ModelScorer(models, engine)
    rows = campaign_rows(engine, scorer)
    learner = load_learner(models)
    assert learner is not None and learner.n_rows == len(rows) == refit["rows"]
    with Session(engine) as session:
        campaign = session.get(Campaign, second["campaign_id"])
        assert campaign is not None
    control = np.array([a.is_control for a in rows.arms])
    bought = np.array(rows.bought)
    features = np.vstack(rows.features)
    baseline = np.concatenate(rows.baseline)
    menu = sorted({a for a in rows.arms if not a.is_control})
    effects = learner.predict(features, menu, baseline=baseline)
    column = [menu.index(a) if not a.is_control else 0 for a in rows.arms]
    uplift = effects.uplift[np.arange(len(column)), column][~control].mean()
    low, high = newcombe_interval(int(bought[~control].sum()), int((~control).sum()),
                                  int(bought[control].sum()), int(control.sum()))
    assert low <= uplift <= high, (low, uplift, high)
    prior = (THORNTON_SHAPE.buy_probability(baseline, np.array([a.depth for a in rows.arms]))
             - baseline)[~control].mean()
    assert abs(uplift - prior) > 1e-3
    assert (np.diff(effects.uplift, axis=1) >= 0).all()  # monotone in depth by construction

    # A store's own outcome file refits too (the documented import path): one more buyer.
    with Session(engine) as session:
        held = session.execute(select(Holdout.household_id).where(
            Holdout.campaign_id == second["campaign_id"]).order_by(Holdout.household_id)
        ).scalars().first()
        soup = session.execute(select(Product.product_id).where(
            Product.product_category == "SOUP").order_by(Product.product_id)).scalars().first()
    observed = tmp_path / "observed"
    observed.mkdir()
    at = campaign.valid_from + timedelta(days=1)
    (observed / "transactions.csv").write_text(
        "household_id,store_id,basket_id,product_id,quantity,sales_value,retail_disc,"
        "coupon_disc,coupon_match_disc,week,transaction_timestamp\n"
        f"{held},1,987654,{soup},1,40.00,0,0,0,54,{at} 12:00:00\n")
    imported = doc(run("import-outcomes", str(observed), "--json"))
    assert imported["transactions"] == 1
    assert imported["depth_response"]["learned"] is True
    assert imported["depth_response"]["rows"] == refit["rows"]
    after = campaign_rows(engine, scorer)
    assert after.households == rows.households
    changed = [i for i, (b, a) in enumerate(zip(rows.bought, after.bought, strict=True)) if a != b]
    # Only the buyer's rows move, to bought: its holdout row in the second campaign, and its
    # row in the first campaign too when that campaign's window also covers the purchase.
    assert all(after.households[i] == held and after.bought[i] == 1.0 for i in changed)
    second_rows = range(len(after) - sum(after.campaigns[-1][k] for k in ("treated", "control")),
                        len(after))
    held_row = next(i for i in second_rows if after.households[i] == held)
    assert after.arms[held_row].is_control and after.bought[held_row] == 1.0
    scorer.close()


def test_no_outcomes_means_the_prior_serves(cli_env: str, home_with_models: Path) -> None:
    models = home_with_models / "models"
    (models / LEARNER_FILE).write_bytes(b"not a learner")  # a stale or corrupt file
    assert load_learner(models) is None
    summary = doc(run("train", "--stage", "uplift", "--json"))
    assert summary["learned"] is False and summary["rows"] == 0
    assert not (models / LEARNER_FILE).exists()
    assert "stated prior" in summary["depth_response"]
