"""FakeDesk: the CampaignDesk surface with canned, deterministic proposals (real models).

Proposals are real coupondesk.tools.campaigns.proposal.Proposal objects (real CampaignPlan,
Offer, CopyVariant, Violation), so the TUI renders exactly what the agent would hand it. The
store is separate from the desk so two app instances can share it: that is how a restart is
simulated.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from coupondesk.agent.service import ApprovalOutcome
from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.campaigns.plan import Audience, CampaignPlan
from coupondesk.tools.campaigns.proposal import CopyVariant, Proposal, RecipientRow
from coupondesk.tools.campaigns.records import AuditRow, CampaignRow
from coupondesk.tools.errors import CoupondeskError, NotFoundError, NotReadyError, RefusedError
from coupondesk.tools.outcomes.export import ExportResult
from coupondesk.tools.outcomes.readout import GroupOutcome, Readout
from coupondesk.tools.outcomes.statistics import (
    minimum_detectable_lift,
    newcombe_interval,
    poisson_binomial_interval,
    two_proportion_z,
)
from coupondesk.tools.policy.rules import Policy, load_policy
from coupondesk.tools.policy.verdict import Violation

from coupondesk.settings import Settings

EventSink = Callable[[dict[str, str]], None]
CREATED = datetime(2017, 12, 4, 9, 30)
TODAY = date(2017, 12, 5)
REQUEST = "win back lapsed coffee buyers with 15% off, budget $2,000, valid one week"
RANGE_REQUEST = "win back lapsed coffee buyers with 10-20% off, budget $2,000, valid one week"
ZH_REQUEST = "给三个月没买咖啡的顾客发 10% 折扣券，预算 1000 美元"

EVENTS = [
    ("plan", "planned: 15% off COFFEE, valid 7 days for households that have not shopped in "
             "30+ days and have bought COFFEE, budget $2,000"),
    ("audience", "1,204 households that have not shopped in 30+ days and have bought COFFEE"),
    ("score", "scored 1,204 households in 0.8 s (mean P(redeem) 14.2%)"),
    ("allocate", "600 recipients + 67 holdout; expected 113 redemptions costing $1,482.50 of "
                 "$2,000 (stopped by value)"),
    ("copy", "copy: 3 variants, 2 pass the policy, 1 redrafted, 1 from the template"),
    ("check", "policy: offer, audience, budget, frequency and stacking rules all pass"),
    ("propose", "proposal {id} ready: 600 codes, expected cost $1,482.50; waiting for approval"),
]


def gain_curve(chosen: int, total: int = 1000, step: int = 50) -> list[dict[str, float]]:
    """A concave redemptions curve and a near-linear cost curve, chosen cut marked."""
    points = []
    for size in range(step, total + 1, step):
        redemptions = round(0.32 * size - 0.00012 * size * size, 3)
        points.append({"size": float(size), "redemptions": redemptions,
                       "cost": round(2.6 * size - 0.0004 * size * size, 2),
                       "chosen": float(size == chosen)})
    return points


def make_proposal(campaign_id: int, request: str = REQUEST, *, percent: float = 15,
                  audience_size: int = 600, approvals_required: int = 1,
                  blocked: bool = False) -> Proposal:
    """A complete proposal like the agent's, with one failing and two passing copy variants
    (a range request, "10-20% off", gets depths per household; the offer states the deepest)."""
    depths = re.search(r"(\d+)\s*[-–]\s*(\d+)\s*%", request)
    if depths:
        percent = float(depths[2])
    offer = Offer(kind="percent_off", value=percent, valid_days=7, categories=["COFFEE"])
    plan = CampaignPlan(
        request=request, offer=offer, audience=Audience(lapsed_days=30, categories=["COFFEE"]),
        budget=2000, assumptions=["\"one week\" read as 7 days of validity starting today"],
    )
    copies = [
        CopyVariant(text=f"Your coffee is waiting: {percent:g}% off COFFEE, valid 7 days.",
                    source="llm", ok=True),
        CopyVariant(text=f"Free coffee treats! {percent:g}% off COFFEE this week.", source="llm",
                    ok=False, redrafted=True,
                    violations=[Violation(rule="copy.banned_phrase",
                                          message="the copy uses a banned phrase", value="free")]),
        CopyVariant(text=f"{percent:g}% off COFFEE for 7 days. 咖啡 10 元起。", source="template",
                    ok=True),
    ]
    recipients = [
        RecipientRow(household_id=8 * (i + 1), p_redeem=round(0.41 - 0.03 * i, 4),
                     expected_cost=round(3.1 - 0.1 * i, 2),
                     reason=f"bought COFFEE {9 - i} times in 90 days; last visit {31 + i} days ago")
        for i in range(10)
    ]
    extra: dict[str, Any] = {}
    if depths:  # a range request: depths per household, as the allocate step chooses them
        extra = per_household_figures(recipients, float(depths[1]), float(depths[2]))
    violations = []
    if blocked:
        violations = [Violation(rule="offer.max_percent", message="percent off at most 30",
                                value=percent)]
    return Proposal(
        campaign_id=campaign_id, plan=plan,
        audience_description="households that have not shopped in 30+ days and have bought COFFEE",
        eligible_size=1204, audience_size=audience_size, holdout_size=67,
        expected_redemptions=113.4, expected_cost=1482.5, budget=2000,
        budget_mode="service", refusal_risk=0.0412, stopped_by="budget",
        stopped_by_text=(f"the budget ends the cut at {audience_size:,} households: expected "
                         "cost $1,482.50 of the $2,000 budget (74%)"),
        worst_case_liability=5400.0, valid_from="2017-12-05", valid_to="2017-12-11",
        copy_variants=copies, selected_copy=0, violations=violations,
        assumptions=[*plan.assumptions, "pricing: gross margin 30%, $0.05 to send a coupon; "
                     "10% of the cut held out as a control group"],
        recipients=recipients, holdout=list(range(5000, 5067)),
        gain_curve=gain_curve(audience_size if audience_size % 50 == 0 else 600),
        approvals_required=approvals_required, status="blocked" if blocked else "proposed",
        **extra,
    )


def per_household_figures(recipients: list[RecipientRow], lo: float,
                          hi: float) -> dict[str, Any]:
    """Depths lo..hi in 5-point steps across the recipients, with the incremental figures a
    per-household allocation reports (depth mix, margin, ROI, propensity's same budget)."""
    menu = [lo + 5 * i for i in range(int((hi - lo) // 5) + 1)]
    for i, row in enumerate(recipients):
        row.value = menu[i % len(menu)]
        row.arm = f"percent_off:{row.value:g}"
        row.uplift = round(0.09 - 0.006 * i, 4)
        row.reason = f"P(buy in scope) {31 - i}% without, {40 - i}% with it (prior)"
    mix = [{"kind": "percent_off", "value": value, "households": 600 // len(menu),
            "expected_cost": round(1482.5 / len(menu), 2),
            "expected_incremental_buyers": round(21.4 - 3 * k, 2)}
           for k, value in enumerate(menu)]
    return {
        "depth_mix": mix, "expected_incremental_margin": -212.35, "incremental_roi": -0.143,
        "propensity_comparison": {
            "kind": "percent_off", "value": hi, "households": 512, "expected_cost": 1990.4,
            "expected_incremental_buyers": 38.2, "expected_incremental_margin": -640.1,
            "incremental_roi": -0.322},
        "depth_response": {"learned": False, "source": "stated prior, not learned: curve "
                           "shape from Thornton (2008)"},
    }


@dataclass
class FakeCampaign:
    row: CampaignRow
    proposal: Proposal | None
    audit: list[AuditRow] = field(default_factory=list)


@dataclass
class FakeStore:
    """What a database would keep between runs."""

    campaigns: dict[int, FakeCampaign] = field(default_factory=dict)
    next_id: int = 1
    issued: dict[int, int] = field(default_factory=dict)


class FakeDesk:
    """Implements the methods of coupondesk.agent.service.CampaignDesk that the TUI calls."""

    def __init__(self, settings: Settings, store: FakeStore | None = None, *,
                 step_delay: float = 0.0) -> None:
        self.settings = settings
        self.store = store or FakeStore()
        self.step_delay = step_delay
        self.fail_next: CoupondeskError | None = None
        """Raised by the next propose/revise/ask/approve (then cleared)."""
        self.gate: threading.Event | None = None
        """When set, propose waits on it after the first step (to observe a busy UI)."""
        self.calls: list[tuple[str, Any]] = []

    @property
    def policy(self) -> Policy:
        return load_policy()

    def ensure_ready(self) -> None:
        return None

    def _maybe_fail(self) -> None:
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error

    def _stream(self, campaign_id: int, on_event: EventSink | None) -> None:
        for index, (step, message) in enumerate(EVENTS):
            if on_event is not None:
                on_event({"step": step, "message": message.format(id=campaign_id)})
            if index == 0 and self.gate is not None:
                self.gate.wait(10)
            if self.step_delay:
                time.sleep(self.step_delay)

    def _row(
        self, campaign_id: int, request: str, operator: str, proposal: Proposal
    ) -> CampaignRow:
        return CampaignRow(
            id=campaign_id, request=request,
            status="blocked" if proposal.blocking else "proposed", created_by=operator,
            created_at=CREATED, updated_at=CREATED, budget=proposal.budget,
            expected_cost=proposal.expected_cost, audience_size=proposal.audience_size,
            valid_from=date.fromisoformat(proposal.valid_from),
            valid_to=date.fromisoformat(proposal.valid_to),
        )

    def add(self, proposal: Proposal, operator: str = "alice") -> Proposal:
        """Store a proposal as if an earlier run had proposed it."""
        self.store.next_id = max(self.store.next_id, proposal.campaign_id + 1)
        row = self._row(proposal.campaign_id, proposal.plan.request, operator, proposal)
        self.store.campaigns[proposal.campaign_id] = FakeCampaign(
            row, proposal, [AuditRow(at=CREATED, actor=operator, action="proposed",
                                     detail={"audience_size": proposal.audience_size})])
        return proposal

    def propose(self, request: str, *, operator: str | None = None,
                on_event: EventSink | None = None) -> Proposal:
        self.calls.append(("propose", request))
        self._maybe_fail()
        campaign_id = self.store.next_id
        self._stream(campaign_id, on_event)
        return self.add(make_proposal(campaign_id, request), operator or self.settings.operator)

    def revise(self, campaign_id: int, change: str, *, operator: str | None = None,
               on_event: EventSink | None = None) -> Proposal:
        self.calls.append(("revise", (campaign_id, change)))
        self._maybe_fail()
        old = self.proposal(campaign_id)
        percent = re.search(r"(\d+(?:\.\d+)?)\s*%", change)
        size = re.search(r"only (\d+)", change)
        if on_event is not None:
            on_event({"step": "plan", "message": f"revised: {change}"})
        new = make_proposal(
            campaign_id, old.plan.request,
            percent=float(percent.group(1)) if percent else old.plan.offer.value,
            audience_size=int(size.group(1)) if size else old.audience_size,
        )
        self.store.campaigns[campaign_id].proposal = new
        self.store.campaigns[campaign_id].row.audience_size = new.audience_size
        return new

    def approve(self, campaign_id: int, *, operator: str | None = None) -> ApprovalOutcome:
        self.calls.append(("approve", campaign_id))
        self._maybe_fail()
        who = operator or self.settings.operator
        campaign = self.store.campaigns[campaign_id]
        proposal = self.proposal(campaign_id)
        if campaign.row.status != "proposed":
            raise RefusedError(f"campaign {campaign_id} is {campaign.row.status}")
        campaign.row.approvers = sorted({*campaign.row.approvers, who})
        campaign.audit.append(AuditRow(at=CREATED, actor=who, action="approved", detail={}))
        needed = proposal.approvals_required
        if len(campaign.row.approvers) < needed:
            return ApprovalOutcome(campaign_id, "proposed", 0, campaign.row.approvers, needed,
                               f"approved by {who}; 1 more approval by a different operator "
                               "needed before dispatch")
        issued = proposal.audience_size
        campaign.row.status = "dispatched"
        campaign.row.issued = issued
        self.store.issued[campaign_id] = issued
        campaign.audit.append(AuditRow(at=CREATED, actor=who, action="dispatched",
                                       detail={"issued": issued}))
        return ApprovalOutcome(campaign_id, "dispatched", issued, campaign.row.approvers, needed,
                           f"{issued:,} codes issued")

    def reject(self, campaign_id: int, *, operator: str | None = None,
               reason: str) -> CampaignRow:
        self.calls.append(("reject", (campaign_id, reason)))
        campaign = self.store.campaigns[campaign_id]
        campaign.row.status = "rejected"
        campaign.row.rejected_reason = reason
        campaign.audit.append(AuditRow(at=CREATED, actor=operator or self.settings.operator,
                                       action="rejected", detail={"reason": reason}))
        return campaign.row

    def campaigns(self) -> list[CampaignRow]:
        return [c.row for _, c in sorted(self.store.campaigns.items(), reverse=True)]

    def show(self, campaign_id: int) -> dict[str, Any]:
        if campaign_id not in self.store.campaigns:
            raise NotFoundError(f"campaign {campaign_id} does not exist")
        campaign = self.store.campaigns[campaign_id]
        return {**campaign.row.model_dump(mode="json"),
                "proposal": campaign.proposal.to_cli_json() if campaign.proposal else None,
                "audit": [a.model_dump(mode="json") for a in campaign.audit]}

    def proposal(self, campaign_id: int) -> Proposal:
        campaign = self.store.campaigns.get(campaign_id)
        if campaign is None or campaign.proposal is None:
            raise NotFoundError(f"campaign {campaign_id} has no proposal yet")
        return campaign.proposal.model_copy(update={"status": campaign.row.status})

    def results(self, campaign_id: int) -> Readout:
        self.calls.append(("results", campaign_id))
        if self.store.issued.get(campaign_id) is None:
            raise NotReadyError(f"campaign {campaign_id} has no outcomes yet")
        return make_readout(campaign_id, sent=self.store.issued[campaign_id])

    def export(self, campaign_id: int, *, fmt: str = "csv") -> ExportResult:
        self.calls.append(("export", campaign_id))
        campaign = self.store.campaigns[campaign_id]
        if campaign.row.status != "dispatched":
            raise RefusedError(f"campaign {campaign_id} is {campaign.row.status}; only a "
                               "dispatched campaign has codes")
        path = self.settings.home / "exports" / f"campaign-{campaign_id}.{fmt}"
        path.parent.mkdir(parents=True, exist_ok=True)
        content = b"campaign_id,household_id,code\n" + b"".join(
            f"{campaign_id},{h},CD-FAKE-{h:04d}\n".encode() for h in range(campaign.row.issued))
        path.write_bytes(content)
        return ExportResult(campaign_id=campaign_id, format="csv", rows=campaign.row.issued,
                            path=path, bytes=len(content))

    def close(self) -> None:
        self.calls.append(("close", ""))

    def ask(self, question: str) -> dict[str, Any]:
        self.calls.append(("ask", question))
        self._maybe_fail()
        return {"answer": "312 households bought COFFEE in the last 30 days.", "count": 312}


def make_readout(campaign_id: int, *, sent: int = 600, holdout: int = 66,
                 treated_buyers: int = 150, control_buyers: int = 12) -> Readout:
    """A simulated readout with the real statistics over fixed counts."""
    _mean, low, high = poisson_binomial_interval([0.06] * sent)
    days = 7
    daily = [
        {"day": f"2018-01-0{d + 2}", "treated_buyers": treated_buyers * (d + 1) // days,
         "control_buyers": control_buyers * (d + 1) // days,
         "treated_rate": treated_buyers * (d + 1) / days / sent,
         "control_rate": control_buyers * (d + 1) / days / holdout}
        for d in range(days)
    ]
    return Readout(
        campaign_id=campaign_id, source="simulated", sent=sent, holdout=holdout, redeemed=41,
        predicted_redemptions=0.06 * sent, predicted_interval=(low, high), discount_cost=52.3,
        expected_cost=61.0, budget=300.0, refusals={},
        treated=GroupOutcome(sent, treated_buyers, 2.1 * sent),
        control=GroupOutcome(holdout, control_buyers, 1.6 * holdout),
        buy_rate_ci95=newcombe_interval(treated_buyers, sent, control_buyers, holdout),
        p_value=two_proportion_z(treated_buyers, sent, control_buyers, holdout)[1],
        spend_ci95=(-0.2, 1.2), margin_rate=0.3,
        minimum_detectable_lift=minimum_detectable_lift(control_buyers / holdout, sent, holdout),
        window=(date(2018, 1, 2), date(2018, 1, 8)), daily=daily,
    )
