"""Validate and redeem issued coupon codes: the one place a code's discount becomes money spent.

The redemption service, `import-outcomes` and the simulator all call `redeem_code`, so a code
redeems once whichever path reports it first, and every redemption commits against its
campaign's budget under the same lock as the single-use check.

Terms, decided once here:
- Scope is the coupon's departments/categories looked up in the products table; a storewide
  coupon (neither) covers the whole basket total, itemised or not. A line whose product is not
  in the catalog is out of scope of a scoped coupon.
- The minimum spend is checked on the in-scope amount (the offer's "qualifying spend"), not the
  basket total: "$2 off frozen pizza when you spend $10" means $10 of frozen pizza.
- Percent off is taken on the in-scope amount and capped by the coupon's `max_discount`;
  amount off is never more than the in-scope amount. Discounts are rounded half-up to cents.
- Budget: `campaigns.redeemed_discount + discount <= campaigns.budget`; past it the policy's
  `[redemption] over_budget` refuses (`budget_exhausted`) or grants only the remainder.
- A `reported_discount` (what a store says it gave, on import) replaces the computed discount;
  the basket rules (minimum spend, scope) are then the store's, not checked again, because an
  outcome file reports a basket total without its lines. The budget rule still applies.

Locking: on SQLite the transaction's first statement is a (no-op) write to the campaign row,
which takes the database write lock before anything is read (as tools/campaigns/dispatch.py
does); on PostgreSQL the campaign row, then the coupon row, are locked with SELECT ... FOR
UPDATE. Concurrent redemptions of one campaign are thus serialised and see each other's money.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from coupondesk.tools.campaigns.records import audit
from coupondesk.tools.db.schema import (
    Campaign,
    IssuedCoupon,
    Product,
    Redemption,
    RedemptionRefusal,
)
from coupondesk.tools.errors import BadInputError
from coupondesk.tools.policy.rules import RedemptionRules
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

RefusalReason = Literal[
    "unknown_code",
    "wrong_household",
    "not_yet_valid",
    "expired",
    "already_redeemed",
    "void",
    "min_spend_not_met",
    "nothing_in_scope",
    "budget_exhausted",
]

REASONS: dict[str, str] = {
    "unknown_code": "no coupon was issued with this code",
    "wrong_household": "the code was issued to another household",
    "not_yet_valid": "the code's validity has not started",
    "expired": "the code's validity has ended",
    "already_redeemed": "the code has been redeemed already",
    "void": "the code was voided by an operator",
    "min_spend_not_met": "the in-scope spend is below the coupon's minimum spend",
    "nothing_in_scope": "no line of the basket is in the coupon's scope",
    "budget_exhausted": "the campaign's budget has no room for this discount",
}
"""Stable rule ids of a refused code, with what each means (the API and the readout use them)."""

RedemptionSource = Literal["service", "observed", "simulated"]

CENT = Decimal("0.01")
TOTAL_TOLERANCE = 0.005
"""A basket total may fall short of its lines by rounding (half a cent), not more."""


class BasketLine(BaseModel):
    """One line of the checkout's basket: a product, how many, and what the line costs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    product_id: int = Field(ge=0)
    quantity: float = Field(gt=0, allow_inf_nan=False)
    amount: float = Field(ge=0, allow_inf_nan=False)
    """What the line costs before this coupon, in dollars."""


class Basket(BaseModel):
    """The checkout's basket: its total and the lines the coupon's scope is looked up on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    total: float = Field(ge=0, allow_inf_nan=False)
    lines: list[BasketLine] = Field(default_factory=list, max_length=1000)

    @model_validator(mode="after")
    def _total_covers_lines(self) -> Basket:
        itemised = sum(line.amount for line in self.lines)
        if itemised > self.total + TOTAL_TOLERANCE:
            raise ValueError(
                f"total {self.total:.2f} is less than the sum of the lines {itemised:.2f}"
            )
        return self


class CodeCheck(BaseModel):
    """Whether a code can be redeemed against a basket now, and for how much."""

    code: str
    valid: bool
    discount: float
    """What redeeming now would grant (0 when not valid)."""
    reasons: list[RefusalReason] = Field(default_factory=list)
    campaign_id: int | None = None
    household_id: int | None = None
    in_scope_amount: float = 0.0
    partial: bool = False
    """True when the discount was cut to the campaign's remaining budget (grant_remainder)."""


class RedemptionOutcome(BaseModel):
    """What a redemption attempt did: a redemption written, or a refusal with its reasons."""

    code: str
    redeemed: bool
    discount: float
    reasons: list[RefusalReason] = Field(default_factory=list)
    campaign_id: int | None = None
    household_id: int | None = None
    redemption_id: int | None = None
    redeemed_at: datetime | None = None
    order_id: str | None = None
    partial: bool = False
    budget_remaining: float | None = None
    """What is left of the campaign's budget after this attempt (None: no budget)."""


def normalise_code(code: str) -> str:
    """A code as issued: surrounding blanks dropped, upper case (checkouts type them)."""
    return code.strip().upper()


def money(value: float) -> float:
    """Dollars rounded half-up to the cent (binary floats would round 2.675 down)."""
    return float(Decimal(repr(value)).quantize(CENT, rounding=ROUND_HALF_UP))


def discount_for(
    kind: str, value: float, *, in_scope_amount: float, max_discount: float | None
) -> float:
    """The discount an offer grants on an in-scope amount (percent capped, amount bounded)."""
    if in_scope_amount <= 0:
        return 0.0
    if kind == "percent_off":
        raw = in_scope_amount * value / 100.0
        if max_discount is not None:
            raw = min(raw, max_discount)
    else:
        raw = min(value, in_scope_amount)
    return money(raw)


def naive_utc(at: datetime) -> datetime:
    """`at` as the naive UTC datetime the schema stores (an aware value is converted)."""
    if at.tzinfo is None:
        return at
    return at.astimezone(UTC).replace(tzinfo=None)


def in_scope_amount(session: Session, coupon: IssuedCoupon, basket: Basket) -> float:
    """The part of the basket the coupon covers (storewide: the whole basket total)."""
    departments = list(coupon.departments or [])
    categories = list(coupon.categories or [])
    if not departments and not categories:
        return money(basket.total)
    product_ids = sorted({line.product_id for line in basket.lines})
    if not product_ids:
        return 0.0
    conditions = []
    if departments:
        conditions.append(Product.department.in_(departments))
    if categories:
        conditions.append(Product.product_category.in_(categories))
    covered = set(
        session.execute(
            select(Product.product_id).where(
                Product.product_id.in_(product_ids), or_(*conditions)
            )
        ).scalars()
    )
    return money(sum(line.amount for line in basket.lines if line.product_id in covered))


def _remaining_budget(campaign: Campaign | None) -> float | None:
    if campaign is None or campaign.budget is None:
        return None
    return money(max(campaign.budget - (campaign.redeemed_discount or 0.0), 0.0))


def _check(
    session: Session,
    code: str,
    coupon: IssuedCoupon | None,
    campaign: Campaign | None,
    *,
    household_id: int | None,
    basket: Basket,
    at: datetime,
    rules: RedemptionRules,
    reported_discount: float | None,
) -> CodeCheck:
    """Every rule against the rows as read (locked, when redeeming); no writes."""
    if coupon is None:
        return CodeCheck(code=code, valid=False, discount=0.0, reasons=["unknown_code"])
    reasons: list[RefusalReason] = []
    day: date = naive_utc(at).date()
    if household_id is not None and household_id != coupon.household_id:
        reasons.append("wrong_household")
    if coupon.status == "void":
        reasons.append("void")
    if coupon.status == "redeemed" or coupon.redeemed_at is not None:
        reasons.append("already_redeemed")
    if day < coupon.valid_from:
        reasons.append("not_yet_valid")
    if day > coupon.valid_to or coupon.status == "expired":
        reasons.append("expired")
    scoped = in_scope_amount(session, coupon, basket)
    if reported_discount is not None:
        discount = money(reported_discount)
    else:
        if scoped <= 0:
            reasons.append("nothing_in_scope")
        elif coupon.min_spend is not None and scoped + 1e-9 < coupon.min_spend:
            reasons.append("min_spend_not_met")
        discount = discount_for(
            coupon.kind, coupon.value, in_scope_amount=scoped, max_discount=coupon.max_discount
        )
    partial = False
    remaining = _remaining_budget(campaign)
    if remaining is not None and discount > remaining + 1e-9:
        if rules.over_budget == "grant_remainder" and remaining >= float(CENT):
            discount, partial = remaining, True
        else:
            reasons.append("budget_exhausted")
    valid = not reasons
    return CodeCheck(
        code=code,
        valid=valid,
        discount=discount if valid else 0.0,
        reasons=reasons,
        campaign_id=coupon.campaign_id,
        household_id=coupon.household_id,
        in_scope_amount=scoped,
        partial=partial and valid,
    )


def _coupon(session: Session, code: str, *, for_update: bool) -> IssuedCoupon | None:
    statement = select(IssuedCoupon).where(IssuedCoupon.code == code)
    if for_update:
        # populate_existing: a row this session loaded earlier is re-read, not trusted.
        statement = statement.with_for_update().execution_options(populate_existing=True)
    return session.execute(statement).scalar_one_or_none()


def validate_code(
    session: Session,
    code: str,
    *,
    household_id: int | None,
    basket: Basket,
    at: datetime,
    rules: RedemptionRules | None = None,
) -> CodeCheck:
    """Would `code` redeem against `basket` at `at`, and for how much? Reads only, locks nothing.

    The answer can change before a redemption (another checkout may use the budget first);
    `redeem_code` checks everything again under the lock.
    """
    code = normalise_code(code)
    coupon = _coupon(session, code, for_update=False)
    campaign = session.get(Campaign, coupon.campaign_id) if coupon is not None else None
    return _check(
        session, code, coupon, campaign, household_id=household_id, basket=basket, at=at,
        rules=rules or RedemptionRules(), reported_discount=None,
    )


def lock_campaign_of(session: Session, code: str) -> Campaign | None:
    """Lock the campaign that issued `code` (None for an unknown code); call it first.

    On SQLite the first statement is a write, so this transaction holds the database write
    lock from here on; on PostgreSQL the campaign row is locked FOR UPDATE.
    """
    owner = select(IssuedCoupon.campaign_id).where(IssuedCoupon.code == code).scalar_subquery()
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            update(Campaign)
            .where(Campaign.id == owner)
            .values(redeemed_count=Campaign.redeemed_count)
            .execution_options(synchronize_session=False)
        )
    return session.execute(
        select(Campaign)
        .where(Campaign.id == owner)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def redeem_code(
    session: Session,
    code: str,
    *,
    household_id: int | None,
    basket: Basket,
    at: datetime,
    source: RedemptionSource,
    order_id: str | None,
    api_key_id: int | None = None,
    outcome_import_id: int | None = None,
    reported_discount: float | None = None,
    rules: RedemptionRules | None = None,
    actor: str | None = None,
) -> RedemptionOutcome:
    """Redeem `code` once, within its campaign's budget, in the caller's transaction.

    Writes the redemption, the coupon's new status, the campaign's running totals and an audit
    row, or, when refused, one refusal row; the caller commits (or rolls back) both alike.
    """
    if reported_discount is not None and not (
        math.isfinite(reported_discount) and reported_discount >= 0
    ):
        raise BadInputError(f"reported_discount must be a non-negative number: {reported_discount}")
    code = normalise_code(code)
    campaign = lock_campaign_of(session, code)
    coupon = _coupon(session, code, for_update=True)
    when = naive_utc(at)
    check = _check(
        session, code, coupon, campaign, household_id=household_id, basket=basket, at=when,
        rules=rules or RedemptionRules(), reported_discount=reported_discount,
    )
    if not check.valid or coupon is None or campaign is None:
        session.add(
            RedemptionRefusal(
                code=code[:32], campaign_id=check.campaign_id, reason=check.reasons[0],
                source=source, at=when,
                detail={
                    "reasons": list(check.reasons), "household_id": household_id,
                    "basket_total": basket.total, "order_id": order_id,
                    "api_key_id": api_key_id, "outcome_import_id": outcome_import_id,
                },
            )
        )
        session.flush()
        log.info("redemption of %s refused: %s", code, ",".join(check.reasons))
        return RedemptionOutcome(
            code=code, redeemed=False, discount=0.0, reasons=check.reasons,
            campaign_id=check.campaign_id, household_id=check.household_id, order_id=order_id,
            budget_remaining=_remaining_budget(campaign),
        )

    redemption = Redemption(
        code=code, campaign_id=campaign.id, household_id=coupon.household_id, redeemed_at=when,
        basket_total=basket.total, discount=check.discount, order_id=order_id, source=source,
        api_key_id=api_key_id, outcome_import_id=outcome_import_id,
    )
    session.add(redemption)
    coupon.status = "redeemed"
    coupon.redeemed_at = when
    campaign.redeemed_discount = money((campaign.redeemed_discount or 0.0) + check.discount)
    campaign.redeemed_count = (campaign.redeemed_count or 0) + 1
    session.flush()
    audit(
        session, actor=actor or _actor(source, api_key_id), action="redeemed",
        campaign_id=campaign.id, code=code, household_id=coupon.household_id,
        discount=check.discount, basket_total=basket.total, order_id=order_id, source=source,
        partial=check.partial, redemption_id=redemption.id,
    )
    return RedemptionOutcome(
        code=code, redeemed=True, discount=check.discount, campaign_id=campaign.id,
        household_id=coupon.household_id, redemption_id=redemption.id, redeemed_at=when,
        order_id=order_id, partial=check.partial, budget_remaining=_remaining_budget(campaign),
    )


def _actor(source: RedemptionSource, api_key_id: int | None) -> str:
    if source == "service" and api_key_id is not None:
        return f"api-key:{api_key_id}"
    return source


def reason_messages(reasons: Sequence[str]) -> list[str]:
    """The one-line meaning of each reason id, in order."""
    return [REASONS.get(reason, reason) for reason in reasons]
