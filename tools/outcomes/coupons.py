"""One issued coupon as the service shows it, and voiding it (an operator's decision).

Voiding takes the same campaign lock as redemption, so a code cannot be voided and redeemed
at once: whichever transaction locks first wins, and the other sees its result.
"""

from __future__ import annotations

from datetime import date, datetime

from coupondesk.tools.campaigns.records import audit
from coupondesk.tools.db.schema import IssuedCoupon, Redemption
from coupondesk.tools.errors import NotFoundError, RefusedError
from coupondesk.tools.outcomes.redemptions import lock_campaign_of, normalise_code
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session


class CouponView(BaseModel):
    """An issued coupon: its terms, its state and, once redeemed, what it granted."""

    code: str
    status: str
    campaign_id: int
    household_id: int
    kind: str
    value: float
    min_spend: float | None
    max_discount: float | None
    departments: list[str]
    categories: list[str]
    valid_from: date
    valid_to: date
    redeemed_at: datetime | None
    discount: float | None
    """The discount granted by its redemption (None until redeemed)."""


def _view(session: Session, coupon: IssuedCoupon) -> CouponView:
    granted = session.execute(
        select(Redemption.discount).where(Redemption.code == coupon.code)
    ).scalar_one_or_none()
    return CouponView(
        code=coupon.code, status=coupon.status, campaign_id=coupon.campaign_id,
        household_id=coupon.household_id, kind=coupon.kind, value=coupon.value,
        min_spend=coupon.min_spend, max_discount=coupon.max_discount,
        departments=list(coupon.departments or []), categories=list(coupon.categories or []),
        valid_from=coupon.valid_from, valid_to=coupon.valid_to, redeemed_at=coupon.redeemed_at,
        discount=granted,
    )


def coupon_view(session: Session, code: str) -> CouponView:
    """The coupon issued with `code`; NotFoundError when none was."""
    coupon = session.execute(
        select(IssuedCoupon).where(IssuedCoupon.code == normalise_code(code))
    ).scalar_one_or_none()
    if coupon is None:
        raise NotFoundError(f"no coupon was issued with code {code!r}")
    return _view(session, coupon)


def void_code(session: Session, code: str, *, actor: str, reason: str | None = None) -> CouponView:
    """Void an unredeemed code in the caller's transaction (voiding twice changes nothing)."""
    code = normalise_code(code)
    lock_campaign_of(session, code)
    coupon = session.execute(
        select(IssuedCoupon)
        .where(IssuedCoupon.code == code)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if coupon is None:
        raise NotFoundError(f"no coupon was issued with code {code!r}")
    if coupon.status == "redeemed":
        raise RefusedError(f"code {code} was redeemed already; a redeemed code cannot be voided")
    if coupon.status != "void":
        coupon.status = "void"
        session.flush()
        audit(session, actor=actor, action="voided", campaign_id=coupon.campaign_id, code=code,
              household_id=coupon.household_id, reason=reason)
    return _view(session, coupon)
