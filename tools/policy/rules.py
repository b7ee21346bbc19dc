"""The discount policy: the rules a promotion engine enforces, loaded from a TOML file.

The policy is data, not code, so an operator can tighten a cap without a release; pydantic
validates it strictly (unknown keys are errors) because a typo that silently disabled a rule
would be worse than a refusal to start. Every rule has an id listed in RULES; verdicts carry
these ids so an operator can look the rule up here and in docs/policy.md.
"""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path
from typing import Any, Literal, get_args

from coupondesk.tools.campaigns.offer import OfferKind
from coupondesk.tools.campaigns.plan import BudgetMode
from coupondesk.tools.errors import ConfigError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

DEFAULT_POLICY_PATH = Path(__file__).with_name("policy.toml")

RULES: dict[str, str] = {
    # offers
    "offer.kind": "the offer kind is one the policy allows",
    "offer.value_positive": "the discount and the minimum spend are positive, finite numbers",
    "offer.value_step": "percent in steps of percent_step, amounts in steps of amount_step",
    "offer.max_percent": "percent off at most max_percent",
    "offer.max_amount": "amount off at most max_amount",
    "offer.scope_max_percent": "percent off within the cap of each covered department/category",
    "offer.scope_max_amount": "amount off within the cap of each covered department/category",
    "offer.min_spend_required": "amount off above min_spend_required_above needs a minimum spend",
    "offer.amount_share": "amount off at most max_amount_share_of_min_spend of the minimum spend",
    "offer.min_spend_max": "minimum spend at most max_min_spend",
    "offer.validity_min": "valid for at least min_valid_days",
    "offer.validity_max": "valid for at most max_valid_days",
    "offer.excluded_department": "no coupon on an excluded department",
    "offer.excluded_category": "no coupon on an excluded product category",
    # plans
    "plan.budget_missing": "a campaign has a budget",
    "plan.budget_max": "the budget is at most max_budget",
    "plan.budget_exceeded": "the expected cost fits the budget",
    "plan.liability": "export-only campaigns: recipients x max discount at most "
                      "liability_multiple x budget",
    "plan.audience_min": "at least min_size recipients (no targeting of tiny groups)",
    "plan.audience_max": "at most max_size recipients, and no more than the plan asked for",
    "plan.frequency_cap": "at most max_coupons coupons per household in any window_days days",
    "plan.stacking": "no household holds two active coupons with overlapping scope",
    "plan.two_operator": "(note) above two_operator_threshold two different operators approve",
    "plan.monthly_limit": "campaigns starting in one month commit at most monthly_limit in total",
    "plan.valid_from_past": "at dispatch, the codes' validity starts no earlier than today",
    "plan.questions": "the plan has no open question (answer it with a revision)",
    "plan.no_recipients": "the proposal has recipients",
    "plan.no_copy": "the proposal has a copy variant that passes the policy",
    # copy
    "copy.empty": "the copy has text",
    "copy.discount_mismatch": "every discount the copy states equals the offer's",
    "copy.discount_missing": "the copy states the offer's discount",
    "copy.min_spend_mismatch": "a minimum spend the copy states equals the offer's",
    "copy.min_spend_missing": "the copy states the offer's minimum spend",
    "copy.min_spend_unexpected": "the copy claims no minimum spend the offer does not have",
    "copy.cap_mismatch": "a cap on the discount the copy states equals the offer's",
    "copy.cap_missing": "the copy of a capped percent offer states its cap",
    "copy.validity_mismatch": "every validity the copy states equals the offer's",
    "copy.validity_missing": "the copy states the offer's validity",
    "copy.scope_mismatch": "the copy does not claim a wider scope (storewide) than the offer",
    "copy.other_claim": "no other discount, price, prize or number",
    "copy.banned_phrase": "no banned phrase",
    "copy.email": "no e-mail address outside the allow-list",
    "copy.phone": "no phone number outside the allow-list",
    "copy.url": "no URL or domain outside the allow-list",
    "copy.machine_text": "no text addressed to a machine (prompt injection)",
    "copy.max_length": "at most max_chars characters",
    "copy.language": "written in the requested language",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScopeLimit(_Strict):
    """Tighter caps for one department or category (None = the global cap applies)."""

    max_percent: float | None = Field(default=None, gt=0, le=100)
    max_amount: float | None = Field(default=None, gt=0)


class OfferRules(_Strict):
    """What a single offer may be: kinds, depth, conditions, validity, scope."""

    allowed_kinds: list[OfferKind] = Field(default_factory=lambda: list(get_args(OfferKind)))
    max_percent: float = Field(default=30, gt=0, le=100)
    percent_step: float = Field(default=0.5, gt=0)
    """Percent values must be multiples of this (0.5: 12% and 12.5% but not 12.3%)."""
    max_amount: float = Field(default=20, gt=0)
    amount_step: float = Field(default=0.01, gt=0)
    min_spend_required_above: float = Field(default=5, ge=0)
    """An amount off above this needs a minimum spend (a bare $15 off is a cash giveaway)."""
    max_amount_share_of_min_spend: float = Field(default=0.25, gt=0, le=1)
    max_min_spend: float = Field(default=250, gt=0)
    min_valid_days: int = Field(default=2, ge=1)
    max_valid_days: int = Field(default=30, ge=1)
    default_valid_days: int = Field(default=7, ge=1)
    """Validity the planner uses when a request names none (listed as an assumption)."""
    default_max_discount: float | None = Field(default=5, gt=0)
    """Cap in dollars the planner puts on each redemption of a percent offer when the request
    names none ("15% off, up to $5"; listed as an assumption); None = no default cap."""
    excluded_departments: list[str] = Field(default_factory=list)
    excluded_categories: list[str] = Field(default_factory=list)
    department_limits: dict[str, ScopeLimit] = Field(default_factory=dict)
    category_limits: dict[str, ScopeLimit] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _validity_order(self) -> OfferRules:
        if self.max_valid_days < self.min_valid_days:
            raise ValueError("max_valid_days is below min_valid_days")
        return self


class AudienceRules(_Strict):
    """How many households one campaign may reach."""

    min_size: int = Field(default=50, ge=1)
    default_lapsed_days: int = Field(default=30, ge=1)
    """What "lapsed" means when a request gives no window (listed as an assumption)."""
    max_size: int = Field(default=50_000, ge=1)

    @model_validator(mode="after")
    def _size_order(self) -> AudienceRules:
        if self.max_size < self.min_size:
            raise ValueError("max_size is below min_size")
        return self


class FrequencyRules(_Strict):
    """Per-household contact pressure across campaigns."""

    max_coupons: int = Field(default=3, ge=1)
    window_days: int = Field(default=30, ge=1)


class TimingRules(_Strict):
    """When codes are sent: per household from the timing model, or everyone at once."""

    mode: Literal["per_household", "at_once"] = "per_household"
    send_window_days: int = Field(default=14, ge=1, le=90)
    """Days from the planning day within which each household's send date is chosen."""
    adapt_frequency: bool = True
    """A household may receive at most as many coupons per frequency window as it has purchase
    occasions in it (its median gap between visits), never more than the frequency cap."""


class BudgetRules(_Strict):
    """Money: the budget cap, where it is enforced, worst-case liability, two operators."""

    require_budget: bool = True
    max_budget: float = Field(default=10_000, gt=0)
    default_mode: BudgetMode = "service"
    """Where the budget is enforced when the request does not say: "service" (the redemption
    service refuses a redemption past the budget, so the cut is sized on expected cost) or
    "export_only" (codes are redeemed elsewhere; the worst-case rule sizes the cut)."""
    refusal_risk: float = Field(default=0.05, gt=0, lt=1)
    """Service mode: the cut keeps P(redeemed discount > budget) at most this."""
    liability_multiple: float = Field(default=3.0, gt=0)
    """Export-only mode: recipients x max discount at most this multiple of the budget."""
    percent_liability_basket: float = Field(default=100, gt=0)
    """Basket assumed per redemption when bounding what an uncapped percent offer can cost."""
    two_operator_threshold: float | None = Field(default=5_000, ge=0)
    monthly_limit: float | None = Field(default=25_000, gt=0)
    """Total budget all campaigns starting in one calendar month may commit (dispatch ledger)."""


class RedemptionRules(_Strict):
    """What redemption does when a discount would take a campaign past its budget."""

    over_budget: Literal["refuse", "grant_remainder"] = "refuse"
    """refuse: answer budget_exhausted; grant_remainder: give only what is left of the budget
    (a partial discount, as Talon.One's budget-limited setDiscount does)."""


class StackingRules(_Strict):
    """Whether one household may hold two active coupons with overlapping scope."""

    allow_overlapping: bool = False


class UpliftRules(_Strict):
    """The depth menu the allocator picks from per household, and how much of the cut explores."""

    percent_menu: list[float] = Field(default_factory=lambda: [10.0, 15.0, 20.0, 25.0])
    """Percent-off depths a household can be given (within max_percent and scope caps)."""
    amount_menu: list[float] = Field(default_factory=lambda: [2.0, 3.0, 5.0])
    """Amount-off depths in currency units (within max_amount and scope caps)."""
    exploration_share: float = Field(default=0.10, ge=0, le=1)
    """Share of treated households whose depth is drawn at random from the allowed menu, with the
    probability stored, so the next campaign learns the depth response without bias."""
    budget_quantile: float = Field(default=0.95, gt=0.5, lt=1)
    """The cut is sized so the redeemed discount stays within budget with this probability."""

    @field_validator("percent_menu", "amount_menu")
    @classmethod
    def _positive_sorted(cls, menu: list[float]) -> list[float]:
        if not menu:
            raise ValueError("the depth menu is empty")
        if any(not math.isfinite(v) or v <= 0 for v in menu):
            raise ValueError("every depth in the menu is a positive number")
        return sorted(set(menu))


class CopyRules(_Strict):
    """What customer-facing text may say."""

    max_chars_en: int = Field(default=280, ge=1)
    max_chars_zh: int = Field(default=140, ge=1)
    banned_phrases_en: list[str] = Field(default_factory=list)
    banned_phrases_zh: list[str] = Field(default_factory=list)
    machine_patterns: list[str] = Field(default_factory=list)
    allowed_domains: list[str] = Field(default_factory=list)
    allowed_phone_numbers: list[str] = Field(default_factory=list)

    @field_validator("machine_patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for index, pattern in enumerate(patterns):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(
                    f"pattern {index} is not a valid regular expression: {exc}"
                ) from exc
        return patterns

    @field_validator("banned_phrases_en", "banned_phrases_zh")
    @classmethod
    def _no_blank(cls, phrases: list[str]) -> list[str]:
        if any(not p.strip() for p in phrases):
            raise ValueError("a banned phrase is empty")
        return phrases

    def max_chars(self, language: str) -> int:
        """The length limit of copy in a language ("zh" is denser, so shorter)."""
        return self.max_chars_zh if language == "zh" else self.max_chars_en

    @property
    def banned_phrases(self) -> list[str]:
        """Both languages' banned phrases: a Chinese phrase in English copy is still banned."""
        return [*self.banned_phrases_en, *self.banned_phrases_zh]


class Policy(_Strict):
    """The whole discount policy (tools/policy/policy.toml has the defaults, RULES the ids)."""

    version: int = 1
    offer: OfferRules = Field(default_factory=OfferRules)
    audience: AudienceRules = Field(default_factory=AudienceRules)
    frequency: FrequencyRules = Field(default_factory=FrequencyRules)
    timing: TimingRules = Field(default_factory=TimingRules)
    budget: BudgetRules = Field(default_factory=BudgetRules)
    stacking: StackingRules = Field(default_factory=StackingRules)
    redemption: RedemptionRules = Field(default_factory=RedemptionRules)
    copy_rules: CopyRules = Field(default_factory=CopyRules, alias="copy")
    uplift: UpliftRules = Field(default_factory=UpliftRules)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _menu_within_caps(self) -> Policy:
        # A menu the file states must fit the caps; the default menu is cut to them instead
        # (coupondesk.tools.uplift.menu), so tightening a cap never breaks a policy file.
        given = self.uplift.model_fields_set
        if "percent_menu" in given and max(self.uplift.percent_menu) > self.offer.max_percent:
            raise ValueError("uplift.percent_menu goes above offer.max_percent")
        if "amount_menu" in given and max(self.uplift.amount_menu) > self.offer.max_amount:
            raise ValueError("uplift.amount_menu goes above offer.max_amount")
        return self

    @field_validator("version")
    @classmethod
    def _known_version(cls, version: int) -> int:
        if version != 1:
            raise ValueError(f"unsupported policy version {version} (this coupondesk reads 1)")
        return version

    def scope_limits(
        self, departments: list[str], categories: list[str]
    ) -> list[tuple[str, ScopeLimit]]:
        """The scope caps that apply to an offer's departments and categories (case-insensitive)."""
        found: list[tuple[str, ScopeLimit]] = []
        dept_limits = {k.upper(): (k, v) for k, v in self.offer.department_limits.items()}
        cat_limits = {k.upper(): (k, v) for k, v in self.offer.category_limits.items()}
        for name in departments:
            if name.upper() in dept_limits:
                key, limit = dept_limits[name.upper()]
                found.append((f"department {key}", limit))
        for name in categories:
            if name.upper() in cat_limits:
                key, limit = cat_limits[name.upper()]
                found.append((f"category {key}", limit))
        return found


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"]) or "(top level)"
    message = error["msg"].removeprefix("Value error, ")
    return f"field {where}: {message}"


def parse_policy(data: dict[str, Any], *, source: str = "policy") -> Policy:
    """Validate a policy mapping; any problem is one ConfigError line naming source and field."""
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"policy file {source}: {_first_error(exc)}") from exc


def load_policy(
    path: Path | str | None = None, *, two_operator_threshold: float | None = None
) -> Policy:
    """Read and validate a policy TOML file (default: the packaged tools/policy/policy.toml).

    `two_operator_threshold` overrides the file's budget threshold for two approvers.
    """
    policy_path = Path(path).expanduser() if path is not None else DEFAULT_POLICY_PATH
    try:
        raw = policy_path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"policy file {policy_path}: cannot be read ({exc.strerror})") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"policy file {policy_path}: not valid TOML ({exc})") from exc
    policy = parse_policy(data, source=str(policy_path))
    if two_operator_threshold is None:
        return policy
    budget = policy.budget.model_copy(update={"two_operator_threshold": two_operator_threshold})
    return policy.model_copy(update={"budget": budget})


def is_finite(value: float | None) -> bool:
    """True for a real number (not None, NaN or infinity)."""
    return value is not None and math.isfinite(value)
