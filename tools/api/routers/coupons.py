"""GET /v1/coupons/{code} (any key) and POST /v1/coupons/{code}/void (operator keys only)."""

from __future__ import annotations

from typing import Annotated, Any

from coupondesk.tools.api.deps import Operator, Principal, Sessions
from coupondesk.tools.api.schemas import CouponOut, ErrorOut, VoidRequest
from coupondesk.tools.outcomes.coupons import coupon_view, void_code
from fastapi import APIRouter, Body, Path

router = APIRouter(prefix="/v1/coupons", tags=["coupons"])

CodePath = Annotated[str, Path(min_length=1, max_length=32, description="The coupon code.")]

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "no valid API key"},
    404: {"model": ErrorOut, "description": "no coupon was issued with this code"},
}


@router.get("/{code}", response_model=CouponOut, responses=ERRORS)
def get_coupon(code: CodePath, _key: Principal, sessions: Sessions) -> CouponOut:
    """The coupon's terms, its status and, once redeemed, the discount it granted."""
    with sessions() as session:
        return CouponOut.of(coupon_view(session, code))


@router.post(
    "/{code}/void", response_model=CouponOut,
    responses={**ERRORS, 403: {"model": ErrorOut, "description": "not an operator key"},
               409: {"model": ErrorOut, "description": "the code was redeemed already"}},
)
def void(code: CodePath, key: Operator, sessions: Sessions,
         body: Annotated[VoidRequest | None, Body()] = None) -> CouponOut:
    """Void an unredeemed code so it can never redeem (voiding twice changes nothing)."""
    with sessions() as session, session.begin():
        view = void_code(session, code, actor=f"api-key:{key.name}",
                         reason=body.reason if body else None)
    return CouponOut.of(view)
