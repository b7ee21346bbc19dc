"""`coupondesk simulate ID`: play the market for a dispatched campaign and import what it did.

The simulator writes the same two files a store would send (`redemptions.csv`,
`transactions.csv`) under $COUPONDESK_HOME/outcomes/<id>-sim-<seed>/ and imports them through
`import-outcomes` marked `simulated`, so the readout and training read simulated outcomes by
exactly the path real ones take. The same seed gives the same files (and a second run imports
nothing); a second seed for the same campaign is refused, since two markets cannot both have
happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from coupondesk.tools.campaigns.proposal import Proposal
from coupondesk.tools.campaigns.records import get_campaign
from coupondesk.tools.db.schema import (
    CampaignReceipt,
    CouponRedemption,
    Holdout,
    IssuedCoupon,
    OutcomeImport,
    RetailCampaign,
)
from coupondesk.tools.errors import RefusedError
from coupondesk.tools.outcomes.market import CouponHolding, Market, MarketParams
from coupondesk.tools.outcomes.outcome_import import OutcomeImportReport, import_outcomes
from coupondesk.tools.policy.rules import RedemptionRules
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class SimulationReport:
    """Where the simulated files are, what the import did, and the market's expectations."""

    campaign_id: int
    seed: int
    directory: Path
    treated: int
    holdout: int
    redemptions: int
    transaction_lines: int
    expected_redemptions: float
    imported: OutcomeImportReport

    def to_json(self) -> dict[str, object]:
        """The `simulate --json` document."""
        return {
            "campaign_id": self.campaign_id, "seed": self.seed, "source": "simulated",
            "directory": str(self.directory), "treated": self.treated, "holdout": self.holdout,
            "redemptions": self.redemptions, "transaction_lines": self.transaction_lines,
            "expected_redemptions": round(self.expected_redemptions, 2),
            "import": self.imported.to_json(),
        }


def simulation_directory(home: Path, campaign_id: int, seed: int) -> Path:
    """$COUPONDESK_HOME/outcomes/<id>-sim-<seed>/."""
    return home / "outcomes" / f"{campaign_id}-sim-{seed}"


def simulate_campaign(
    engine: Engine,
    campaign_id: int,
    *,
    home: Path,
    seed: int = 0,
    params: MarketParams | None = None,
    rules: RedemptionRules | None = None,
) -> SimulationReport:
    """Play the campaign's window, write the outcome files, and import them as simulated."""
    with Session(engine) as session:
        campaign = get_campaign(session, campaign_id)
        if campaign.status != "dispatched" or campaign.proposal_json is None:
            raise RefusedError(
                f"campaign {campaign_id} is {campaign.status}; only a dispatched campaign "
                "can be simulated"
            )
        proposal = Proposal.model_validate(campaign.proposal_json)
        coupons = session.execute(
            select(IssuedCoupon).where(IssuedCoupon.campaign_id == campaign_id)
            .order_by(IssuedCoupon.household_id)
        ).scalars().all()
        holdout = [int(h) for h in session.execute(
            select(Holdout.household_id).where(Holdout.campaign_id == campaign_id)
            .order_by(Holdout.household_id)
        ).scalars()]
        directory = simulation_directory(home, campaign_id, seed)
        earlier = session.execute(
            select(OutcomeImport.directory).where(
                OutcomeImport.campaign_id == campaign_id, OutcomeImport.source == "simulated")
        ).scalars().all()
        other = [d for d in earlier if Path(d) != directory]
        if other:
            raise RefusedError(
                f"campaign {campaign_id} already has simulated outcomes from {other[0]}; "
                "a second market would mix with the first"
            )
        if campaign.valid_from is None or campaign.valid_to is None:
            raise RefusedError(f"campaign {campaign_id} has no validity window")
        window = (campaign.valid_from, campaign.valid_to)
        treated = [
            CouponHolding(int(c.household_id), c.code, c.valid_from, c.valid_to, c.send_at)
            for c in coupons
        ]
        caps = {c.max_discount for c in coupons}
    cap = next(iter(caps)) if len(caps) == 1 else None
    market = Market(engine, as_of=window[0], params=params)
    outcomes = market.play(
        proposal.plan.offer, window=window, treated=treated, holdout=holdout, seed=seed,
        campaign_id=campaign_id, cap=cap,
    )
    directory.mkdir(parents=True, exist_ok=True)
    redemptions = outcomes.redemptions.copy()
    redemptions["redeemed_at"] = pd.to_datetime(redemptions["redeemed_at"]).dt.strftime(
        "%Y-%m-%d %H:%M:%S")
    transactions = outcomes.transactions.copy()
    transactions["transaction_timestamp"] = pd.to_datetime(
        transactions["transaction_timestamp"]).dt.strftime("%Y-%m-%d %H:%M:%S")
    redemptions.to_csv(directory / "redemptions.csv", index=False, float_format="%.2f")
    transactions.to_csv(directory / "transactions.csv", index=False, float_format="%.2f")
    imported = import_outcomes(engine, directory, source="simulated", campaign_id=campaign_id,
                               rules=rules)
    return SimulationReport(
        campaign_id=campaign_id, seed=seed, directory=directory, treated=len(treated),
        holdout=len(holdout), redemptions=len(redemptions),
        transaction_lines=len(transactions),
        expected_redemptions=sum(t.p_redeem for t in outcomes.ground_truth),
        imported=imported,
    )


@dataclass(frozen=True)
class HistoricalRates:
    """Share of receiving households that redeemed, per historical retail campaign."""

    rates: dict[int, float]
    pooled: float

    def quantile(self, q: float) -> float:
        return float(pd.Series(list(self.rates.values())).quantile(q))


def historical_redemption_rates(engine: Engine) -> HistoricalRates:
    """Per retail campaign: households that redeemed ≥1 of its coupons / households that got it."""
    with Session(engine) as session:
        received: dict[int, int] = dict(session.execute(
            select(CampaignReceipt.campaign_id,
                   func.count(func.distinct(CampaignReceipt.household_id)))
            .group_by(CampaignReceipt.campaign_id)
        ).all())
        redeemed: dict[int, int] = dict(session.execute(
            select(CouponRedemption.campaign_id,
                   func.count(func.distinct(CouponRedemption.household_id)))
            .join(CampaignReceipt, (CampaignReceipt.campaign_id == CouponRedemption.campaign_id)
                  & (CampaignReceipt.household_id == CouponRedemption.household_id))
            .group_by(CouponRedemption.campaign_id)
        ).all())
        known = set(session.execute(select(RetailCampaign.campaign_id)).scalars())
    rates = {int(c): redeemed.get(c, 0) / n for c, n in received.items() if n and c in known}
    total = sum(received.values())
    return HistoricalRates(rates, sum(redeemed.values()) / total if total else 0.0)
