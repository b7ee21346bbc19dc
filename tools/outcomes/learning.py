"""Learning from outcomes: the product's own campaigns become acceptance training rows.

A dispatched campaign with outcomes (observed, through the service, or simulated) is added to
the retail frames the models train on, described as a new offer is described when it is
scored: its scope is every catalog product in its departments/categories (one coupon row per
product), its validity is its window, and its kind and depth ride along in two extra columns of
`campaign_descriptions` (`offer_kind`, `offer_value`) that the historical campaigns leave
empty. Receipts are the treated households (holdout households received nothing, so they are
no acceptance rows; they are the uplift model's control data); a label is a redemption.
The time split applies unchanged (models/tasks.py), and the model card lists every campaign
used with its source, so simulated outcomes in a training run are never hidden.
Outcome transaction lines are not added to the purchase history: simulated purchases must
never mix into the retailer's real history.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from coupondesk.models.frames import RetailFrames
from coupondesk.models.tasks import OWN_CAMPAIGN_OFFSET
from coupondesk.tools.db.schema import (
    Campaign,
    IssuedCoupon,
    OutcomeImport,
    Redemption,
)
from coupondesk.tools.outcomes.readout import campaigns_with_outcomes
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OwnCampaign:
    """One of the product's campaigns as training data."""

    campaign_id: int
    source: str
    kind: str
    value: float
    departments: tuple[str, ...]
    categories: tuple[str, ...]
    start: pd.Timestamp
    end: pd.Timestamp
    receivers: tuple[int, ...]
    redeemed: dict[int, pd.Timestamp]


def own_campaigns(engine: Engine) -> list[OwnCampaign]:
    """Every dispatched campaign with outcomes, with its terms, receivers and redemptions."""
    found: list[OwnCampaign] = []
    with Session(engine) as session:
        for campaign_id in campaigns_with_outcomes(session):
            campaign = session.get(Campaign, campaign_id)
            coupons = session.execute(
                select(IssuedCoupon).where(IssuedCoupon.campaign_id == campaign_id)
                .order_by(IssuedCoupon.household_id)
            ).scalars().all()
            if campaign is None or not coupons or campaign.valid_from is None \
                    or campaign.valid_to is None:
                continue
            redemptions = session.execute(
                select(Redemption.household_id, Redemption.redeemed_at, Redemption.source)
                .where(Redemption.campaign_id == campaign_id)
            ).all()
            sources = {"observed" if r.source == "service" else str(r.source)
                       for r in redemptions}
            sources |= set(session.execute(
                select(OutcomeImport.source).where(OutcomeImport.campaign_id == campaign_id)
            ).scalars())
            first = coupons[0]
            found.append(OwnCampaign(
                campaign_id=campaign_id,
                source="mixed" if len(sources) > 1 else (next(iter(sources)) if sources
                                                         else "observed"),
                kind=first.kind, value=float(first.value),
                departments=tuple(first.departments or ()),
                categories=tuple(first.categories or ()),
                start=pd.Timestamp(campaign.valid_from), end=pd.Timestamp(campaign.valid_to),
                receivers=tuple(int(c.household_id) for c in coupons),
                redeemed={int(h): pd.Timestamp(at).normalize() for h, at, _s in redemptions},
            ))
    return found


def with_own_campaigns(frames: RetailFrames, campaigns: list[OwnCampaign]) -> RetailFrames:
    """`frames` plus the campaigns as retail campaigns (ids offset by OWN_CAMPAIGN_OFFSET)."""
    if not campaigns:
        return frames
    products = frames.products
    descriptions = [frames.campaign_descriptions.assign(
        offer_kind=None, offer_value=np.nan, outcome_source=None)]
    receipts, coupons, redemptions = [frames.campaigns], [frames.coupons], [
        frames.coupon_redemptions]
    for own in campaigns:
        campaign_id = OWN_CAMPAIGN_OFFSET + own.campaign_id
        upc = OWN_CAMPAIGN_OFFSET + own.campaign_id
        if own.departments or own.categories:
            mask = products["department"].isin(own.departments) | products[
                "product_category"].isin(own.categories)
            scope = products.loc[mask, "product_id"]
        else:
            scope = products["product_id"]
        descriptions.append(pd.DataFrame({
            "campaign_id": [campaign_id], "campaign_type": ["Type B"],
            "start_date": [own.start], "end_date": [own.end], "offer_kind": [own.kind],
            "offer_value": [own.value], "outcome_source": [own.source],
        }))
        receipts.append(pd.DataFrame({"campaign_id": campaign_id,
                                      "household_id": list(own.receivers)}))
        coupons.append(pd.DataFrame({"coupon_upc": upc, "product_id": scope.to_numpy(),
                                     "campaign_id": campaign_id}))
        redemptions.append(pd.DataFrame({
            "household_id": list(own.redeemed), "coupon_upc": upc, "campaign_id": campaign_id,
            "redemption_date": list(own.redeemed.values()),
        }))
    logger.info("training rows from %d own campaigns", len(campaigns))

    def joined(parts: list[pd.DataFrame], like: pd.DataFrame) -> pd.DataFrame:
        frame = pd.concat(parts, ignore_index=True)
        for column in like.columns:
            frame[column] = frame[column].astype(like[column].dtype)
        return frame

    return replace(
        frames,
        campaign_descriptions=joined(descriptions, frames.campaign_descriptions),
        campaigns=joined(receipts, frames.campaigns),
        coupons=joined(coupons, frames.coupons),
        coupon_redemptions=joined(redemptions, frames.coupon_redemptions),
    )


def training_frames(engine: Engine) -> RetailFrames:
    """The retailer history plus the product's own campaigns with outcomes, for `train`."""
    from coupondesk.tools.data.frames import load_frames

    return with_own_campaigns(load_frames(engine), own_campaigns(engine))
