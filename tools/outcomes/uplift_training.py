"""The depth-response learner fitted on the product's own randomised outcomes.

Each dispatched campaign with outcomes (imported from a store, or simulated) gives one row per
household: its holdout households are the control arm (drawn at random from everyone eligible,
with the holdout share as their probability), its treated households the arm they were sent
(with the assignment probability stored at dispatch: exploration arms are randomised, the rest
chosen by the dual on the same features the learner sees, so selection is on observables). The
outcome is a purchase in the offer's scope during the campaign's window, read from the outcome
transaction lines exactly as the readout reads them, with the in-scope spend and whether the
code was redeemed.

The household features are the serving scorer's at the campaign's first validity day (history
strictly before it): the same numbers `propose` hands the allocator, so a learner fitted here
predicts for a new audience from what that audience's proposal knows. Until a campaign has come
back nothing is saved, and propose keeps the stated prior (models/uplift/prior.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from coupondesk.models.uplift.arms import CONTROL, Arm
from coupondesk.models.uplift.prior import THORNTON_SHAPE, DepthPrior
from coupondesk.models.uplift.response import DepthResponseLearner
from coupondesk.tools.campaigns.allocation import Candidate
from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.campaigns.proposal import Proposal
from coupondesk.tools.db.schema import Campaign, Holdout, IssuedCoupon, Redemption
from coupondesk.tools.outcomes.market import in_scope
from coupondesk.tools.outcomes.readout import campaigns_with_outcomes, outcome_lines
from coupondesk.tools.uplift.household_features import (
    FEATURE_NAMES,
    baseline_buy,
    household_features,
)
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

LEARNER_FILE = "depth_response.pt"
SUMMARY_FILE = "uplift.json"
class CandidateSource(Protocol):
    """What scores households as of a day; ModelScorer satisfies it (agent/context.py)."""

    def candidates(self, household_ids: Sequence[int], offer: Offer, *, today: date
                   ) -> list[Candidate]: ...


@dataclass
class UpliftRows:
    """Randomised rows, one per household and campaign."""

    households: list[int] = field(default_factory=list)
    features: list[np.ndarray] = field(default_factory=list)
    baseline: list[np.ndarray] = field(default_factory=list)
    arms: list[Arm] = field(default_factory=list)
    bought: list[float] = field(default_factory=list)
    spend: list[float] = field(default_factory=list)
    propensity: list[float] = field(default_factory=list)
    redeemed: list[float] = field(default_factory=list)
    campaigns: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.arms)


def _arm(coupon: IssuedCoupon) -> Arm:
    days = (coupon.valid_to - coupon.valid_from).days + 1
    return Arm(coupon.kind, float(coupon.value),  # type: ignore[arg-type]
               float(coupon.min_spend or 0.0), int(days))


def campaign_rows(engine: Engine, scorer: CandidateSource,
                  rows: UpliftRows | None = None) -> UpliftRows:
    """The randomised rows of every dispatched campaign with outcomes."""
    rows = rows if rows is not None else UpliftRows()
    with Session(engine) as session:
        for campaign_id in campaigns_with_outcomes(session):
            campaign = session.get(Campaign, campaign_id)
            if campaign is None or campaign.proposal_json is None \
                    or campaign.valid_from is None or campaign.valid_to is None:
                continue
            offer = Proposal.model_validate(campaign.proposal_json).plan.offer
            coupons = session.execute(
                select(IssuedCoupon).where(IssuedCoupon.campaign_id == campaign_id)
                .order_by(IssuedCoupon.household_id)).scalars().all()
            control = [int(h) for h in session.execute(
                select(Holdout.household_id).where(Holdout.campaign_id == campaign_id)
                .order_by(Holdout.household_id)).scalars()]
            if not coupons or not control:
                log.info("campaign %d has no holdout or no codes: no uplift rows", campaign_id)
                continue
            redeemed = {int(h) for h in session.execute(
                select(Redemption.household_id).where(Redemption.campaign_id == campaign_id)
            ).scalars()}
            treated = [int(c.household_id) for c in coupons]
            households = treated + control
            lines = outcome_lines(session, households, campaign.valid_from, campaign.valid_to)
            if not lines.empty:
                lines = lines[in_scope(lines["department"], lines["category"], offer).to_numpy()]
            spend = lines.groupby("household_id")["sales_value"].sum()
            scored = scorer.candidates(households, offer, today=campaign.valid_from)
            by_id = {c.household_id: c for c in scored}
            kept = [h for h in households if h in by_id]
            ordered = [by_id[h] for h in kept]
            held_share = len(control) / len(households)
            arm_of = {int(c.household_id): (_arm(c), c.assignment_probability) for c in coupons}
            rows.features.append(household_features(ordered))
            # Every household is read over the whole campaign window (the readout's, equal for
            # both arms); the no-coupon baseline is stretched to that window's length.
            days = (campaign.valid_to - campaign.valid_from).days + 1
            rows.baseline.append(baseline_buy(ordered, stretch=days / offer.valid_days)[0])
            rows.households.extend(kept)
            for h in kept:
                arm, probability = arm_of.get(h, (CONTROL, held_share))
                s = float(spend.get(h, 0.0))
                rows.arms.append(arm)
                rows.bought.append(float(h in spend.index))
                rows.spend.append(s)
                rows.propensity.append(float(probability) if probability else 1.0)
                rows.redeemed.append(float(h in redeemed and h in spend.index))
            rows.campaigns.append({
                "campaign_id": campaign_id, "treated": sum(1 for h in kept if h in arm_of),
                "control": sum(1 for h in kept if h not in arm_of),
                "arms": sorted({arm_of[h][0].name for h in kept if h in arm_of}),
                "from": campaign.valid_from.isoformat(), "to": campaign.valid_to.isoformat(),
            })
    return rows


@dataclass(frozen=True)
class UpliftTraining:
    """What `train_uplift` did, for the CLI, the card and the proposal's assumptions."""

    rows: int
    campaigns: list[dict[str, Any]]
    learned: bool
    curve: dict[str, dict[str, float]] | None
    path: Path | None

    def to_json(self) -> dict[str, Any]:
        return {"rows": self.rows, "campaigns": self.campaigns, "learned": self.learned,
                "curve": self.curve, "features": list(FEATURE_NAMES),
                "path": str(self.path) if self.path else None,
                "depth_response": "learned from randomised outcomes" if self.learned
                else f"stated prior, not learned: {THORNTON_SHAPE.source}"}


def train_uplift(engine: Engine, scorer: CandidateSource, models_dir: Path, *,
                 prior: DepthPrior = THORNTON_SHAPE) -> UpliftTraining:
    """Fit the depth-response learner on every campaign's outcomes and save it beside the
    serving models; with no randomised rows remove any stale learner (the prior serves)."""
    models_dir = Path(models_dir)
    rows = campaign_rows(engine, scorer)
    path = models_dir / LEARNER_FILE
    treated = sum(1 for a in rows.arms if not a.is_control)
    if not rows.arms or treated == 0 or treated == len(rows.arms):
        path.unlink(missing_ok=True)
        result = UpliftTraining(len(rows), rows.campaigns, False, None, None)
    else:
        features = np.vstack(rows.features)
        learner = DepthResponseLearner(prior).fit(
            features, rows.arms, np.array(rows.bought), spend=np.array(rows.spend),
            propensity=np.array(rows.propensity), baseline=np.concatenate(rows.baseline),
            redeemed=np.array(rows.redeemed))
        models_dir.mkdir(parents=True, exist_ok=True)
        torch.save({"learner": learner.state(), "features": list(FEATURE_NAMES)}, path)
        result = UpliftTraining(len(rows), rows.campaigns, True, learner.curve_parameters(),
                                path)
    (models_dir / SUMMARY_FILE).write_text(json.dumps(result.to_json(), indent=2) + "\n")
    _card_section(models_dir, result)
    log.info("uplift stage: %d rows from %d campaigns, learned=%s", result.rows,
             len(result.campaigns), result.learned)
    return result


def _card_section(models_dir: Path, result: UpliftTraining) -> None:
    """The model card names what the depth response was fitted on (or that it is the prior)."""
    card_path = models_dir / "card.json"
    if not card_path.is_file():
        return
    card = json.loads(card_path.read_text())
    card["uplift"] = result.to_json()
    card_path.write_text(json.dumps(card, indent=2) + "\n")


def load_learner(models_dir: Path) -> DepthResponseLearner | None:
    """The saved learner, or None while only the prior exists (or its file is unreadable)."""
    path = Path(models_dir) / LEARNER_FILE
    if not path.is_file():
        return None
    try:
        saved = torch.load(path, weights_only=False)
    except Exception as exc:  # a corrupt file must not stop a proposal: the prior serves
        log.warning("cannot read %s (%s); the stated prior serves", path, exc)
        return None
    if saved.get("features") != list(FEATURE_NAMES):
        log.warning("%s was fitted on other features; the stated prior serves", path)
        return None
    return DepthResponseLearner.from_state(saved["learner"])
