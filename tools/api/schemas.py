"""The service's request and response bodies: its own pydantic schemas, never ORM rows.

They mirror the core models of tools/outcomes (Basket, CodeCheck, RedemptionOutcome,
CouponView) so the HTTP contract can stay put while the core changes, and the OpenAPI page at
/docs documents every field.
"""

from __future__ import annotations

from datetime import datetime

from coupondesk.tools.outcomes.coupons import CouponView
from coupondesk.tools.outcomes.redemptions import (
    Basket,
    BasketLine,
    CodeCheck,
    RedemptionOutcome,
    RefusalReason,
    normalise_code,
)
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class BasketLineIn(BaseModel):
    """One basket line: the product, how many, and what the line costs before the coupon."""

    model_config = ConfigDict(extra="forbid")

    product_id: int = Field(ge=0, le=2**63 - 1)
    quantity: float = Field(gt=0, allow_inf_nan=False)
    amount: float = Field(ge=0, allow_inf_nan=False, description="Dollars, before this coupon.")


class BasketIn(BaseModel):
    """The checkout's basket; `total` covers at least the lines (within a cent's rounding)."""

    model_config = ConfigDict(extra="forbid")

    total: float = Field(ge=0, allow_inf_nan=False, description="Basket total in dollars.")
    lines: list[BasketLineIn] = Field(default_factory=list, max_length=1000)

    @model_validator(mode="after")
    def _total_covers_lines(self) -> BasketIn:
        self.to_basket()
        return self

    def to_basket(self) -> Basket:
        """The core basket (raises ValueError when the total is below the lines)."""
        itemised = sum(line.amount for line in self.lines)
        if itemised > self.total + 0.005:
            raise ValueError(
                f"total {self.total:.2f} is less than the sum of the lines {itemised:.2f}"
            )
        return Basket(
            total=self.total,
            lines=[BasketLine(product_id=line.product_id, quantity=line.quantity,
                              amount=line.amount) for line in self.lines],
        )


class RedemptionRequest(BaseModel):
    """A code presented at checkout, with the basket it is to discount."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=32,
                      description="The coupon code, e.g. CD-7K2M-Q9XD-4RTB.")
    household_id: int | None = Field(
        default=None, description="The customer's household, when the checkout knows it."
    )
    basket: BasketIn
    order_id: str | None = Field(
        default=None, max_length=64,
        description="The store's order reference (kept on the redemption).",
    )

    @field_validator("code")
    @classmethod
    def _normalise(cls, code: str) -> str:
        code = normalise_code(code)
        if not code:
            raise ValueError("code is blank")
        return code


class ValidationOut(BaseModel):
    """Whether the code would redeem now, for how much, and which rules it fails."""

    code: str
    valid: bool
    discount: float
    reasons: list[RefusalReason]
    partial: bool = Field(
        default=False, description="The discount is cut to what is left of the campaign budget."
    )

    @classmethod
    def of(cls, check: CodeCheck) -> ValidationOut:
        """The response for a core check."""
        return cls(code=check.code, valid=check.valid, discount=check.discount,
                   reasons=list(check.reasons), partial=check.partial)


class RedemptionOut(BaseModel):
    """What a redemption did: redeemed (201) or refused with its reasons (404/409/422)."""

    code: str
    redeemed: bool
    discount: float
    reasons: list[RefusalReason]
    redemption_id: int | None = None
    campaign_id: int | None = None
    redeemed_at: datetime | None = None
    order_id: str | None = None
    partial: bool = False

    @classmethod
    def of(cls, outcome: RedemptionOutcome) -> RedemptionOut:
        """The response for a core outcome."""
        return cls(
            code=outcome.code, redeemed=outcome.redeemed, discount=outcome.discount,
            reasons=list(outcome.reasons), redemption_id=outcome.redemption_id,
            campaign_id=outcome.campaign_id, redeemed_at=outcome.redeemed_at,
            order_id=outcome.order_id, partial=outcome.partial,
        )


class CouponOut(CouponView):
    """An issued coupon as the service answers it: the core view's fields, one definition."""

    @classmethod
    def of(cls, view: CouponView) -> CouponOut:
        """The response for a core coupon view."""
        return cls.model_validate(view.model_dump())


class VoidRequest(BaseModel):
    """Why an operator voids a code (kept in the audit log)."""

    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=500)


class ErrorOut(BaseModel):
    """An error: one line saying what is wrong; `field` names the bad field of a 422."""

    detail: str
    field: str | None = None


class HealthOut(BaseModel):
    """The service answers and its database does."""

    database: str
