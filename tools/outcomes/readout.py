"""`coupondesk results ID`: a campaign against its holdout, in the offer's scope and window.

Treated = households that were issued a code; control = the campaign's holdout (drawn from the
same cut, sent nothing). A buyer is a household with at least one in-scope outcome line
(`outcome_transactions` joined to `products` for the scope; storewide = every line) with a
timestamp in [valid_from, valid_to]. Spend is the sum of those lines' sales_value.

  lift.buy_rate_abs      buy_rate(treated) - buy_rate(control); ci95 Newcombe hybrid score
                         (from the two Wilson intervals), p_value the pooled two-proportion z
  lift.spend_...         spend per household difference; ci95 a seeded household bootstrap
  incremental_margin     margin_rate x spend lift per household x sent - discount_cost: the
                         in-scope margin the coupon caused, minus every discount it paid (the
                         redeemers who would have bought anyway are paid too)
  incremental_roi        incremental_margin / discount_cost
  conclusive             the buy-rate interval excludes 0
  minimum_detectable_lift  the buy-rate lift a two-sided 5% test finds with 80% power at these
                         group sizes and the control's rate
  predicted_redemptions  sum of the stored proposal's per-recipient p_redeem; its interval the
                         Poisson-binomial normal approximation
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from coupondesk.tools.campaigns.allocation import AllocationConfig
from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.campaigns.proposal import Proposal
from coupondesk.tools.campaigns.records import get_campaign
from coupondesk.tools.db.schema import (
    Campaign,
    Holdout,
    IssuedCoupon,
    OutcomeImport,
    OutcomeTransaction,
    Product,
    Redemption,
    RedemptionRefusal,
)
from coupondesk.tools.errors import NotReadyError
from coupondesk.tools.outcomes.market import in_scope
from coupondesk.tools.outcomes.statistics import (
    bootstrap_mean_difference,
    minimum_detectable_lift,
    newcombe_interval,
    poisson_binomial_interval,
    two_proportion_z,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

CHUNK = 500
BOOTSTRAP_SEED = 0


@dataclass(frozen=True)
class GroupOutcome:
    """Buyers, buy rate and in-scope spend per household of one group."""

    households: int
    buyers: int
    spend: float

    @property
    def buy_rate(self) -> float:
        return self.buyers / self.households if self.households else 0.0

    @property
    def spend_per_household(self) -> float:
        return self.spend / self.households if self.households else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"buyers": self.buyers, "buy_rate": round(self.buy_rate, 4),
                "spend_per_household": round(self.spend_per_household, 2)}


@dataclass(frozen=True)
class Readout:
    """Everything `results ID --json` prints, plus the daily series the TUI charts."""

    campaign_id: int
    source: str
    sent: int
    holdout: int
    redeemed: int
    predicted_redemptions: float
    predicted_interval: tuple[float, float]
    discount_cost: float
    expected_cost: float
    budget: float | None
    refusals: dict[str, int]
    treated: GroupOutcome
    control: GroupOutcome
    buy_rate_ci95: tuple[float, float]
    p_value: float
    spend_ci95: tuple[float, float]
    margin_rate: float
    minimum_detectable_lift: float
    window: tuple[date, date]
    daily: list[dict[str, Any]] = field(default_factory=list)
    """Per day of the window: cumulative in-scope buyers, treated and control (and rates)."""

    @property
    def redemption_rate(self) -> float:
        return self.redeemed / self.sent if self.sent else 0.0

    @property
    def buy_rate_lift(self) -> float:
        return self.treated.buy_rate - self.control.buy_rate

    @property
    def spend_lift(self) -> float:
        return self.treated.spend_per_household - self.control.spend_per_household

    @property
    def incremental_margin(self) -> float:
        return self.margin_rate * self.spend_lift * self.sent - self.discount_cost

    @property
    def incremental_roi(self) -> float | None:
        return self.incremental_margin / self.discount_cost if self.discount_cost > 0 else None

    @property
    def conclusive(self) -> bool:
        low, high = self.buy_rate_ci95
        return bool(self.control.households and self.treated.households
                    and (low > 0 or high < 0))

    @property
    def budget_used(self) -> float | None:
        return self.discount_cost / self.budget if self.budget else None

    @property
    def simulated(self) -> bool:
        return self.source in ("simulated", "mixed")

    def to_json(self) -> dict[str, Any]:
        """The `results ID --json` document (the issue's keys, plus budget_used and refusals)."""
        roi = self.incremental_roi
        return {
            "campaign_id": self.campaign_id,
            "source": self.source,
            "sent": self.sent,
            "holdout": self.holdout,
            "redeemed": self.redeemed,
            "redemption_rate": round(self.redemption_rate, 4),
            "predicted_redemptions": round(self.predicted_redemptions, 2),
            "predicted_interval": [round(v, 2) for v in self.predicted_interval],
            "discount_cost": round(self.discount_cost, 2),
            "expected_cost": round(self.expected_cost, 2),
            "budget": self.budget,
            "budget_used": None if self.budget_used is None else round(self.budget_used, 4),
            "refusals": {"total": sum(self.refusals.values()), "by_reason": self.refusals},
            "treated": self.treated.to_json(),
            "control": self.control.to_json(),
            "lift": {
                "buy_rate_abs": round(self.buy_rate_lift, 4),
                "ci95": [round(v, 4) for v in self.buy_rate_ci95],
                "p_value": round(self.p_value, 4),
                "spend_per_household_abs": round(self.spend_lift, 2),
                "spend_ci95": [_round_or_none(v, 2) for v in self.spend_ci95],
            },
            "incremental_margin": round(self.incremental_margin, 2),
            "incremental_roi": None if roi is None else round(roi, 3),
            "conclusive": self.conclusive,
            "minimum_detectable_lift": round(self.minimum_detectable_lift, 4),
        }

    def summary_lines(self) -> list[str]:
        """The readout in words (CLI text output and the TUI's verdict)."""
        note = " (SIMULATED: played by the market simulator, not observed)" if self.simulated \
            else ""
        lines = [
            f"campaign {self.campaign_id}: {self.source} outcomes{note}",
            f"sent {self.sent:,}, holdout {self.holdout:,}; redeemed {self.redeemed:,} "
            f"({self.redemption_rate:.1%}); predicted {self.predicted_redemptions:.1f} "
            f"[{self.predicted_interval[0]:.1f}, {self.predicted_interval[1]:.1f}]",
            f"in-scope buy rate: treated {self.treated.buy_rate:.1%}, control "
            f"{self.control.buy_rate:.1%}; lift {self.buy_rate_lift:+.1%} "
            f"[{self.buy_rate_ci95[0]:+.1%}, {self.buy_rate_ci95[1]:+.1%}], p = {self.p_value:.3f}",
        ]
        if self.conclusive:
            lines.append("conclusive: the 95% interval excludes zero")
        else:
            lines.append(
                "inconclusive: the interval spans zero; with these group sizes the smallest lift "
                f"detectable (80% power, 5% two-sided) is {self.minimum_detectable_lift:.1%} points"
            )
        roi = self.incremental_roi
        lines.append(
            f"discount paid ${self.discount_cost:,.2f} (expected ${self.expected_cost:,.2f}); "
            f"incremental margin ${self.incremental_margin:,.2f}"
            + (f", ROI {roi:+.2f}" if roi is not None else "")
        )
        return lines


def _round_or_none(value: float, digits: int) -> float | None:
    return None if value != value else round(value, digits)  # NaN -> None


def _chunks(values: list[int]) -> list[list[int]]:
    return [values[i : i + CHUNK] for i in range(0, len(values), CHUNK)]


def outcome_lines(session: Session, households: list[int], first: date, last: date
                   ) -> pd.DataFrame:
    """Outcome lines of `households` in [first, last] with their product's department/category."""
    start = datetime.combine(first, datetime.min.time())
    end = datetime.combine(last + timedelta(days=1), datetime.min.time())
    rows: list[Any] = []
    for chunk in _chunks(households):
        rows.extend(session.execute(
            select(OutcomeTransaction.household_id, OutcomeTransaction.sales_value,
                   OutcomeTransaction.transaction_timestamp, OutcomeTransaction.source,
                   Product.department, Product.product_category)
            .join(Product, Product.product_id == OutcomeTransaction.product_id, isouter=True)
            .where(OutcomeTransaction.household_id.in_(chunk),
                   OutcomeTransaction.transaction_timestamp >= start,
                   OutcomeTransaction.transaction_timestamp < end)
        ).all())
    return pd.DataFrame(rows, columns=["household_id", "sales_value", "ts", "source",
                                       "department", "category"])


def _group(households: list[int], spend: pd.Series) -> tuple[GroupOutcome, np.ndarray]:
    per = spend.reindex(households).fillna(0.0).to_numpy(dtype=float)
    buyers = int(spend.reindex(households).notna().sum())
    return GroupOutcome(len(households), buyers, float(per.sum())), per


def _daily(lines: pd.DataFrame, treated: set[int], control: set[int], first: date, last: date
           ) -> list[dict[str, Any]]:
    """Cumulative distinct in-scope buyers by day, per group."""
    firsts = (lines.assign(day=pd.to_datetime(lines["ts"]).dt.date)
              .groupby("household_id")["day"].min()) if not lines.empty else pd.Series(dtype=object)
    out: list[dict[str, Any]] = []
    day = first
    while day <= last:
        bought = firsts[firsts <= day].index if len(firsts) else []
        t = sum(1 for h in bought if h in treated)
        c = sum(1 for h in bought if h in control)
        out.append({"day": day.isoformat(), "treated_buyers": t, "control_buyers": c,
                    "treated_rate": t / len(treated) if treated else 0.0,
                    "control_rate": c / len(control) if control else 0.0})
        day += timedelta(days=1)
    return out


def campaign_readout(
    session: Session, campaign_id: int, *, margin_rate: float | None = None
) -> Readout:
    """The readout of one campaign; NotReadyError when nothing has come back yet."""
    campaign = get_campaign(session, campaign_id)
    if campaign.proposal_json is None or campaign.status != "dispatched":
        raise NotReadyError(
            f"campaign {campaign_id} is {campaign.status}, not dispatched; it has no readout"
        )
    proposal = Proposal.model_validate(campaign.proposal_json)
    offer: Offer = proposal.plan.offer
    if campaign.valid_from is None or campaign.valid_to is None:
        raise NotReadyError(f"campaign {campaign_id} has no validity window")
    first, last = campaign.valid_from, campaign.valid_to
    treated = [int(h) for h in session.execute(
        select(IssuedCoupon.household_id).where(IssuedCoupon.campaign_id == campaign_id)
        .order_by(IssuedCoupon.household_id)).scalars()]
    control = [int(h) for h in session.execute(
        select(Holdout.household_id).where(Holdout.campaign_id == campaign_id)
        .order_by(Holdout.household_id)).scalars()]
    lines = outcome_lines(session, treated + control, first, last)
    redemptions = session.execute(
        select(Redemption.source, func.count(), func.coalesce(func.sum(Redemption.discount), 0.0))
        .where(Redemption.campaign_id == campaign_id).group_by(Redemption.source)
    ).all()
    imports = session.execute(
        select(OutcomeImport.source).where(OutcomeImport.campaign_id == campaign_id)
    ).scalars().all()
    sources = {("observed" if s == "service" else str(s)) for s, _n, _d in redemptions}
    sources |= set(lines["source"].unique()) | set(imports)
    if not sources:
        raise NotReadyError(
            f"campaign {campaign_id} has no outcomes yet: import them with `coupondesk "
            f"import-outcomes DIR`, or play the market with `coupondesk simulate {campaign_id}`"
        )
    source = "mixed" if len(sources) > 1 else next(iter(sources))
    refusals: dict[str, int] = dict(session.execute(
        select(RedemptionRefusal.reason, func.count())
        .where(RedemptionRefusal.campaign_id == campaign_id).group_by(RedemptionRefusal.reason)
    ).all())
    if not lines.empty:
        lines = lines[in_scope(lines["department"], lines["category"], offer).to_numpy()]
    spend = lines.groupby("household_id")["sales_value"].sum()
    treated_group, treated_spend = _group(treated, spend)
    control_group, control_spend = _group(control, spend)
    _z, p_value = two_proportion_z(treated_group.buyers, treated_group.households,
                                   control_group.buyers, control_group.households)
    recipients = {r.household_id: r.p_redeem for r in proposal.recipients}
    predicted, low, high = poisson_binomial_interval([recipients.get(h, 0.0) for h in treated])
    return Readout(
        campaign_id=campaign_id,
        source=source,
        sent=len(treated),
        holdout=len(control),
        redeemed=int(sum(n for _s, n, _d in redemptions)),
        predicted_redemptions=predicted,
        predicted_interval=(low, high),
        discount_cost=float(sum(d for _s, _n, d in redemptions)),
        expected_cost=float(proposal.expected_cost),
        budget=proposal.budget,
        refusals={str(k): int(v) for k, v in refusals.items()},
        treated=treated_group,
        control=control_group,
        buy_rate_ci95=newcombe_interval(treated_group.buyers, treated_group.households,
                                        control_group.buyers, control_group.households)
        if treated and control else (float("nan"), float("nan")),
        p_value=p_value,
        spend_ci95=bootstrap_mean_difference(treated_spend, control_spend, seed=BOOTSTRAP_SEED),
        margin_rate=AllocationConfig().margin_rate if margin_rate is None else margin_rate,
        minimum_detectable_lift=minimum_detectable_lift(
            control_group.buy_rate, treated_group.households, control_group.households),
        window=(first, last),
        daily=_daily(lines, set(treated), set(control), first, last),
    )


def campaigns_with_outcomes(session: Session) -> list[int]:
    """Dispatched campaigns that have redemptions or imported outcomes."""
    with_redemptions = set(session.execute(select(Redemption.campaign_id).distinct()).scalars())
    with_imports = set(session.execute(
        select(OutcomeImport.campaign_id).where(OutcomeImport.campaign_id.is_not(None)).distinct()
    ).scalars())
    dispatched = set(session.execute(
        select(Campaign.id).where(Campaign.status == "dispatched")).scalars())
    return sorted(int(c) for c in (with_redemptions | with_imports) & dispatched)


def all_readouts(session: Session, *, margin_rate: float | None = None) -> list[Readout]:
    """The readout of every campaign with outcomes (`results --json` without an id)."""
    return [campaign_readout(session, c, margin_rate=margin_rate)
            for c in campaigns_with_outcomes(session)]
