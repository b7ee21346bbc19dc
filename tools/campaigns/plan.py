"""CampaignPlan: the structured reading of an operator's request (what, to whom, for how much)."""

from __future__ import annotations

from typing import Any, Literal

from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.language import Language
from pydantic import BaseModel, Field

BudgetMode = Literal["service", "export_only"]
"""Where a campaign's budget is enforced (campaigns.budget_mode): "service", the redemption
service refuses a redemption past the budget; "export_only", codes are redeemed elsewhere."""


class DemographicFilter(BaseModel):
    """Self-reported demographics to match; each list is "any of these bands", lists AND together.

    Only households with a demographics row can match (801 of 2,469 in The Complete Journey):
    an unknown answer is not a match. Band labels are the data's own ("35-44", "50-74K", "3+");
    `coupondesk.tools.queries.segments.demographic_values` lists them.
    """

    age_bands: list[str] = Field(default_factory=list)
    income_bands: list[str] = Field(default_factory=list)
    household_sizes: list[str] = Field(default_factory=list)
    kids_counts: list[str] = Field(default_factory=list)
    household_comps: list[str] = Field(default_factory=list)
    marital_statuses: list[str] = Field(default_factory=list)
    home_ownerships: list[str] = Field(default_factory=list)
    has_kids: bool | None = None
    """True: kids_count is not "0"; False: kids_count is "0"; None: no filter."""


class Audience(BaseModel):
    """Who is eligible. All filters combine with AND; None means "no such filter".

    The scope (departments/categories) attaches to exactly one recency filter, so both operator
    phrasings are expressible (see coupondesk.tools.queries.segments.select_audience for the
    full semantics):
    "lapsed shoppers who used to buy coffee" = lapsed_days=N, categories=[COFFEE] (lapsed from
    the store, bought coffee before); "hasn't bought crackers for 2 months" = lapsed_days=60,
    categories=[CRACKERS/MISC BKD FD], lapsed_in_scope=True (bought crackers before, none in the
    last 60 days, may still shop for other things).
    """

    lapsed_days: int | None = None
    """No purchase in the last N days (storewide, or in the scope when lapsed_in_scope) but
    at least one before that."""
    lapsed_in_scope: bool = False
    """Apply lapsed_days to the departments/categories scope instead of the whole store."""
    active_days: int | None = None
    """Households that purchased within this many days: in the scope if any (and the lapse is
    storewide), otherwise anywhere in the store."""
    departments: list[str] = Field(default_factory=list)
    """Households that bought in one of these departments (within active_days, or ever; with
    lapsed_in_scope: before the lapse window and not since)."""
    categories: list[str] = Field(default_factory=list)
    """Households that bought in one of these categories (scope rules as for departments)."""
    min_spend: float | None = None
    """Households that spent at least this much within `spend_window_days`."""
    spend_window_days: int | None = None
    """Window for min_spend (defaults to active_days or 90 when min_spend is set)."""
    max_size: int | None = None
    """Upper bound on recipients (the best-ranked are kept)."""
    top_spenders: bool = False
    """Rank by past spend rather than by expected value ("the 300 biggest spenders")."""
    demographics: DemographicFilter | None = None
    """Demographic bands to match (None = no demographic filter)."""


class DepthChoice(BaseModel):
    """How the depth is chosen: fixed (the offer's value, the default), a range the operator
    gave ("10-20% off", "$2 to $5 off"), or the best depth the policy's menu allows; with a range
    or best, the offer's value is the deepest allowed depth (what the caps and liability see)
    and the allocator gives each household one depth of the menu cut to it."""

    mode: Literal["fixed", "range", "best"] = "fixed"
    lo: float | None = None
    hi: float | None = None


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
    depth_choice: DepthChoice = Field(default_factory=DepthChoice)
    """Fixed depth (default), a range, or the best depth (per household, tools/uplift)."""
    language: Language = "en"
    budget_mode: BudgetMode | None = None
    """Where the budget is enforced; None = the policy's default (budget.default_mode)."""
    holdout_share: float = 0.1
    """Share of eligible households kept as a control group (receive nothing)."""
    send_timing: Literal["per_household", "at_once"] | None = None
    """"at_once" when the operator asked to send everyone together; None = the policy's mode."""
    assumptions: list[str] = Field(default_factory=list)
    """Defaults the planner applied; shown to the operator, never silent."""
    questions: list[str] = Field(default_factory=list)
    """What the operator should answer before this plan can be proposed."""
    errors: list[PlanIssue] = Field(default_factory=list)
    """Hard problems: the plan cannot be proposed as is."""

    def to_json_dict(self) -> dict[str, Any]:
        """The `coupondesk plan --json` shape."""
        return self.model_dump(mode="json")
