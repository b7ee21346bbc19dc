"""propose -> approve -> simulate -> results through the CLI, then an outcome file from outside."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from coupondesk.tools.db.schema import Holdout, IssuedCoupon, Product, Redemption
from coupondesk.tools.db.session import get_engine
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.cli_run import doc, run

REQUEST = (
    "Give 10% off soup to households that haven't shopped in 20 days, budget $300, valid 7 days"
)
READOUT_KEYS = {
    "campaign_id", "source", "sent", "holdout", "redeemed", "redemption_rate",
    "predicted_redemptions", "predicted_interval", "discount_cost", "expected_cost", "budget",
    "budget_used", "refusals", "treated", "control", "lift", "incremental_margin",
    "incremental_roi", "conclusive", "minimum_detectable_lift",
}


@pytest.fixture
def cli_env(home_with_models: Path, fresh_db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COUPONDESK_DATABASE_URL", fresh_db_url)
    monkeypatch.setenv("COUPONDESK_TODAY", "2018-01-02")
    monkeypatch.setenv("COUPONDESK_OPERATOR", "ana")
    return fresh_db_url


def test_propose_approve_simulate_results(cli_env: str, home_with_models: Path,
                                          tmp_path: Path) -> None:
    proposal = doc(run("propose", REQUEST, "--json"))
    campaign_id = proposal["campaign_id"]
    missing = run("results", str(campaign_id), "--json")
    assert missing.exit_code == 1 and "dispatched" in missing.stderr
    doc(run("approve", str(campaign_id), "--operator", "ana", "--json"))
    none_yet = run("results", str(campaign_id), "--json")
    assert none_yet.exit_code == 1 and f"coupondesk simulate {campaign_id}" in none_yet.stderr
    assert doc(run("results", "--json")) == []

    simulated = doc(run("simulate", str(campaign_id), "--seed", "3", "--json"))
    directory = home_with_models / "outcomes" / f"{campaign_id}-sim-3"
    assert Path(simulated["directory"]) == directory
    assert (directory / "redemptions.csv").is_file() and (directory / "transactions.csv").is_file()
    assert simulated["source"] == "simulated" and not simulated["import"]["skipped"]
    again = doc(run("simulate", str(campaign_id), "--seed", "3", "--json"))
    assert again["import"]["skipped"] and again["redemptions"] == simulated["redemptions"]
    other = run("simulate", str(campaign_id), "--seed", "4", "--json")
    assert other.exit_code == 1 and "already has simulated outcomes" in other.stderr

    readout = doc(run("results", str(campaign_id), "--json"))
    assert set(readout) == READOUT_KEYS
    assert readout["source"] == "simulated"
    assert readout["sent"] == proposal["audience_size"]
    assert readout["holdout"] == proposal["holdout_size"] > 0
    assert readout["redeemed"] == simulated["redemptions"]
    low, high = readout["predicted_interval"]
    assert low <= readout["predicted_redemptions"] <= high
    assert readout["predicted_redemptions"] == pytest.approx(proposal["expected_redemptions"],
                                                             abs=0.05)
    lift = readout["lift"]
    assert lift["ci95"][0] <= lift["buy_rate_abs"] <= lift["ci95"][1]
    assert lift["spend_ci95"][0] <= lift["spend_per_household_abs"] + 1e-9
    assert readout["conclusive"] == (lift["ci95"][0] > 0 or lift["ci95"][1] < 0)
    assert readout["minimum_detectable_lift"] > 0.05  # a ~10% holdout of a small cut
    assert readout["budget"] == 300 and set(readout["refusals"]) == {"total", "by_reason"}
    assert readout["treated"]["buy_rate"] == pytest.approx(
        readout["treated"]["buyers"] / readout["sent"], abs=1e-4)
    with Session(get_engine(cli_env)) as session:
        paid = sum(session.execute(select(Redemption.discount)).scalars())
    assert readout["discount_cost"] == pytest.approx(paid, abs=0.01)
    expected_margin = (0.30 * lift["spend_per_household_abs"] * readout["sent"]
                       - readout["discount_cost"])
    # spend per household is printed to the cent: 0.3 x 0.005 x sent at most, plus rounding
    tolerance = 0.0015 * readout["sent"] + 0.02
    assert readout["incremental_margin"] == pytest.approx(expected_margin, abs=tolerance)
    assert [r["campaign_id"] for r in doc(run("results", "--json"))] == [campaign_id]
    text = run("results", str(campaign_id))
    assert text.exit_code == 0 and "SIMULATED" in text.stdout

    # An outcome file from outside: a held-out household buys soup in the window.
    with Session(get_engine(cli_env)) as session:
        held = session.execute(select(Holdout.household_id).where(
            Holdout.campaign_id == campaign_id)).scalars().all()
        soup = session.execute(select(Product.product_id).where(
            Product.product_category == "SOUP").order_by(Product.product_id)).scalars().first()
        coupon = session.execute(select(IssuedCoupon).where(
            IssuedCoupon.campaign_id == campaign_id)).scalars().first()
        assert coupon is not None
        valid_from: date = coupon.valid_from
    buyers = readout["control"]["buyers"]
    bought = {int(h) for h in held}
    simulated_buyers = _buyers(directory, bought)
    fresh = next(h for h in held if h not in simulated_buyers)
    observed = tmp_path / "observed"
    observed.mkdir()
    at = valid_from + timedelta(days=1)
    (observed / "transactions.csv").write_text(
        "household_id,store_id,basket_id,product_id,quantity,sales_value,retail_disc,"
        "coupon_disc,coupon_match_disc,week,transaction_timestamp\n"
        f"{fresh},1,42,{soup},1,40.00,0,0,0,54,{at} 12:00:00\n"
    )
    imported = doc(run("import-outcomes", str(observed), "--json"))
    assert imported["transactions"] == 1 and imported["source"] == "observed"
    changed = doc(run("results", str(campaign_id), "--json"))
    assert changed["control"]["buyers"] == buyers + 1 and changed["source"] == "mixed"
    assert changed["lift"]["buy_rate_abs"] < readout["lift"]["buy_rate_abs"]
    assert doc(run("import-outcomes", str(observed), "--json"))["skipped"]


def _buyers(directory: Path, households: set[int]) -> set[int]:
    import pandas as pd

    lines = pd.read_csv(directory / "transactions.csv")
    return set(int(h) for h in lines["household_id"] if int(h) in households)
