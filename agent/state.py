"""The campaign graph's state: one TypedDict of per-step TypedDicts, JSON-plain values only.

Everything in the state is plain JSON (dicts, lists, numbers, strings) so the checkpointer can
store a paused proposal in SQLite or PostgreSQL and any later process (another CLI call, the
TUI after a restart) can resume it without unpickling project classes. Nodes convert to the
typed models (CampaignPlan, Proposal...) at their edges.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, NotRequired, TypedDict

Action = Literal["approve", "revise", "reject"]


def merge_dicts(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    """Reducer: later keys win (per-step timings accumulate across the run)."""
    return {**(left or {}), **(right or {})}


class Decision(TypedDict, total=False):
    """The operator's answer to a proposal, passed as the resume value of the review interrupt."""

    action: Action
    operator: str
    text: str
    """revise: the change in plain words ("make it 10%", "only 200 households")."""
    reason: str
    """reject: why."""


class Event(TypedDict):
    """One progress line for the operator ("1,204 households lapsed 30+ days")."""

    step: str
    message: str


class ViolationState(TypedDict, total=False):
    """A guardrail Violation as JSON (coupondesk.tools.policy.verdict.Violation)."""

    rule: str
    message: str
    value: Any


class AudienceState(TypedDict):
    """What the audience step found: who is eligible, and who the contact rules left out."""

    eligible: list[int]
    matched: int
    frequency_capped: int
    stacking: int
    description: str
    summary: dict[str, Any]
    """segment_summary of the eligible households (SegmentSummary as JSON), {} when none."""
    recent_coupons: dict[str, int]
    """Coupons each eligible household got in the frequency window (for the contact allowance)."""


class CandidateState(TypedDict):
    """One scored household (coupondesk.tools.campaigns.allocation.Candidate as JSON)."""

    household_id: int
    p_redeem: float
    scope_spend: float
    window_spend: float
    reason: str
    past_spend: float
    send_offset_days: int
    timing_coverage: float | None


class RecipientState(TypedDict):
    """One household in the cut (coupondesk.tools.campaigns.allocation.Recipient as JSON)."""

    household_id: int
    p_redeem: float
    expected_discount: float
    expected_cost: float
    expected_value: float
    reason: str
    holdout: bool
    send_offset_days: int
    timing_coverage: float | None
    value: NotRequired[float]
    """Per-household depth (a range or best depth, tools/uplift); absent = the offer's value."""
    arm: NotRequired[str]
    uplift: NotRequired[float]
    assignment_probability: NotRequired[float]


class TimingState(TypedDict):
    """What the send-timing step did (coupondesk.tools.campaigns.send_schedule.TimedCandidates)."""

    mode: str
    note: str
    left_out_by_allowance: int


class AllocationState(TypedDict):
    """The allocation step's cut and its figures (read back as proposal.AllocationSummary)."""

    recipients: list[RecipientState]
    holdout: list[int]
    expected_cost: float
    expected_redemptions: float
    expected_value: float
    worst_case_liability: float
    eligible: int
    stopped_by: str
    gain_curve: list[dict[str, float]]
    depth_mix: NotRequired[list[dict[str, Any]]]
    """Per-depth figures when depths are chosen per household (tools/uplift/per_household)."""
    expected_incremental_margin: NotRequired[float]
    incremental_roi: NotRequired[float]
    propensity_comparison: NotRequired[dict[str, Any]]
    depth_assumptions: NotRequired[list[str]]


class CopyVariantState(TypedDict, total=False):
    """One drafted copy variant (coupondesk.tools.campaigns.proposal.CopyVariant as JSON)."""

    text: str
    source: str
    ok: bool
    violations: list[ViolationState]
    redrafted: bool
    depth: float | None


class ResultState(TypedDict, total=False):
    """What dispatch did: codes issued, or why it refused."""

    issued: int
    already_dispatched: bool
    budget_account: str | None
    refused: str


class CampaignState(TypedDict, total=False):
    """State of one campaign's thread (thread id = campaign id)."""

    campaign_id: int
    request: str
    operator: str
    revisions: Annotated[list[str], operator.add]
    """Every change the operator asked for, in order."""
    plan: dict[str, Any]
    """CampaignPlan as JSON."""
    offer_violations: list[ViolationState]
    """check_offer's violations: a blocked offer skips audience/scoring."""
    audience: AudienceState
    """eligible household ids after contact rules, description, counts of who was dropped."""
    candidates: list[CandidateState]
    """Scored households (allocation.Candidate as JSON)."""
    timing: TimingState
    """Send-timing mode, the allowance step's count and the note for the assumptions."""
    allocation: AllocationState
    copy_variants: list[CopyVariantState]
    copy_rounds: int
    """How many times the copy was drafted (bounded redraft loop)."""
    violations: list[ViolationState]
    proposal: dict[str, Any]
    """The stored Proposal as JSON, plus its "hash"."""
    decision: Decision
    result: ResultState
    status: str
    events: Annotated[list[Event], operator.add]
    timings: Annotated[dict[str, float], merge_dicts]
