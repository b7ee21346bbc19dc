"""CampaignPlan: the structured reading of an operator's request (what, to whom, for how much)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from tools.offer import Offer


class Audience(BaseModel):
    """Who is eligible. All filters combine with AND; None means "no such filter"."""

    lapsed_days: int | None = None
    """Households whose last purchase is at least this many days before today."""
    active_days: int | None = None
    """Households that purchased (in the audience scope, if any) within this many days."""
    departments: list[str] = Field(default_factory=list)
    """Households that bought in one of these departments (within active_days, or ever)."""
    categories: list[str] = Field(default_factory=list)
    """Households that bought in one of these categories (within active_days, or ever)."""
    min_spend: float | None = None
    """Households that spent at least this much within `spend_window_days`."""
    spend_window_days: int | None = None
    """Window for min_spend (defaults to active_days or 90 when min_spend is set)."""
    max_size: int | None = None
    """Upper bound on recipients (the best-ranked are kept)."""
    top_spenders: bool = False
    """Rank by past spend rather than by expected value ("the 300 biggest spenders")."""


class PlanIssue(BaseModel):
    """Something the planner could not settle: an error blocks, a question asks the operator."""

    rule: str
    message: str


class CampaignPlan(BaseModel):
    """The parsed request. Empty offer scope = storewide."""

    request: str = ""
    offer: Offer
    audience: Audience = Field(default_factory=Audience)
    budget: float | None = None
    language: Literal["en", "zh"] = "en"
    holdout_share: float = 0.1
    """Share of eligible households kept as a control group (receive nothing)."""
    assumptions: list[str] = Field(default_factory=list)
    """Defaults the planner applied; shown to the operator, never silent."""
    questions: list[str] = Field(default_factory=list)
    """What the operator should answer before this plan can be proposed."""
    errors: list[PlanIssue] = Field(default_factory=list)
    """Hard problems: the plan cannot be proposed as is."""

    def to_json_dict(self) -> dict[str, Any]:
        """The `coupondesk plan --json` shape."""
        return self.model_dump(mode="json")
