"""The campaign graph's state: one TypedDict, JSON-plain values only.

Everything in the state is plain JSON (dicts, lists, numbers, strings) so the checkpointer can
store a paused proposal in SQLite or PostgreSQL and any later process (another CLI call, the
TUI after a restart) can resume it without unpickling project classes. Nodes convert to the
typed models (CampaignPlan, Proposal...) at their edges.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, TypedDict

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


class CampaignState(TypedDict, total=False):
    """State of one campaign's thread (thread id = campaign id)."""

    campaign_id: int
    request: str
    operator: str
    revisions: Annotated[list[str], operator.add]
    """Every change the operator asked for, in order."""
    plan: dict[str, Any]
    """CampaignPlan as JSON."""
    offer_violations: list[dict[str, Any]]
    """check_offer's violations: a blocked offer skips audience/scoring."""
    audience: dict[str, Any]
    """eligible household ids after contact rules, description, counts of who was dropped."""
    candidates: list[dict[str, Any]]
    """Scored households (allocation.Candidate as JSON)."""
    timing: dict[str, Any]
    """Send-timing mode, the allowance step's count and the note for the assumptions."""
    allocation: dict[str, Any]
    copy_variants: list[dict[str, Any]]
    copy_rounds: int
    """How many times the copy was drafted (bounded redraft loop)."""
    violations: list[dict[str, Any]]
    proposal: dict[str, Any]
    decision: Decision
    result: dict[str, Any]
    status: str
    events: Annotated[list[Event], operator.add]
    timings: Annotated[dict[str, float], merge_dicts]
