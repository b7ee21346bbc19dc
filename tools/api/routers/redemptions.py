"""POST /v1/redemptions/validate and POST /v1/redemptions: thin routes over tools.outcomes.

Status codes of a refused redemption (the body always lists every failed rule in `reasons`):
404 unknown_code; 409 already_redeemed, void, budget_exhausted (the code's or the campaign's
state forbids it, whatever the basket); 422 wrong_household, not_yet_valid, expired,
min_spend_not_met, nothing_in_scope (this request does not meet the coupon's terms). When
several apply, 404 wins over 409 over 422.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Annotated, Any

from coupondesk.tools.api.deps import Principal, Rules, ServiceClock, Sessions
from coupondesk.tools.api.idempotency import (
    StoredAnswer,
    fingerprint,
    store_answer,
    stored_answer,
)
from coupondesk.tools.api.schemas import (
    ErrorOut,
    RedemptionOut,
    RedemptionRequest,
    ValidationOut,
)
from coupondesk.tools.outcomes.redemptions import lock_campaign_of, redeem_code, validate_code
from fastapi import APIRouter, Header, status
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/redemptions", tags=["redemptions"])

REASON_STATUS: dict[str, int] = {
    "unknown_code": status.HTTP_404_NOT_FOUND,
    "already_redeemed": status.HTTP_409_CONFLICT,
    "void": status.HTTP_409_CONFLICT,
    "budget_exhausted": status.HTTP_409_CONFLICT,
    "wrong_household": status.HTTP_422_UNPROCESSABLE_CONTENT,
    "not_yet_valid": status.HTTP_422_UNPROCESSABLE_CONTENT,
    "expired": status.HTTP_422_UNPROCESSABLE_CONTENT,
    "min_spend_not_met": status.HTTP_422_UNPROCESSABLE_CONTENT,
    "nothing_in_scope": status.HTTP_422_UNPROCESSABLE_CONTENT,
}
_PRECEDENCE = (status.HTTP_404_NOT_FOUND, status.HTTP_409_CONFLICT,
               status.HTTP_422_UNPROCESSABLE_CONTENT)


def refusal_status(reasons: Sequence[str]) -> int:
    """The HTTP status of a refusal with these reasons (see the module docstring)."""
    codes = {REASON_STATUS.get(r, status.HTTP_422_UNPROCESSABLE_CONTENT) for r in reasons}
    return next(code for code in _PRECEDENCE if code in codes)


IdempotencyHeader = Annotated[
    str,
    Header(
        alias="Idempotency-Key", min_length=1, max_length=128,
        description="A unique key per redemption attempt (a UUID); a retry reuses it.",
    ),
]

REFUSALS: dict[int | str, dict[str, Any]] = {
    404: {"model": RedemptionOut, "description": "unknown_code"},
    409: {"model": RedemptionOut,
          "description": "already_redeemed, void or budget_exhausted"},
    422: {"model": ErrorOut | RedemptionOut,  # type: ignore[dict-item]
          "description": "a malformed body (field named), a reused Idempotency-Key, or "
                         "wrong_household / not_yet_valid / expired / min_spend_not_met / "
                         "nothing_in_scope"},
    401: {"model": ErrorOut, "description": "no valid API key"},
}


@router.post("/validate", response_model=ValidationOut,
             responses={401: {"model": ErrorOut}, 422: {"model": ErrorOut}})
def validate(body: RedemptionRequest, _key: Principal, sessions: Sessions,
             clock: ServiceClock, rules: Rules) -> ValidationOut:
    """Would the code redeem against this basket now, for how much, and which rules fail?

    Writes nothing and locks nothing: the answer can change before a redemption.
    """
    with sessions() as session:
        check = validate_code(session, body.code, household_id=body.household_id,
                              basket=body.basket.to_basket(), at=clock(), rules=rules)
    return ValidationOut.of(check)


def _replay(answer: StoredAnswer, request_hash: str, key: str) -> JSONResponse:
    if answer.request_hash != request_hash:
        return JSONResponse(
            {"detail": f"Idempotency-Key {key!r} was used with a different request",
             "field": "Idempotency-Key"},
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    return JSONResponse(answer.response, status_code=answer.status_code,
                        headers={"Idempotent-Replayed": "true"})


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RedemptionOut,
             responses=REFUSALS)
def redeem(body: RedemptionRequest, key: Principal, sessions: Sessions, clock: ServiceClock,
           rules: Rules, idempotency_key: IdempotencyHeader) -> JSONResponse:
    """Redeem the code once, within its campaign's budget (201), or refuse it with reasons.

    A retry with the same Idempotency-Key and body gets the first answer again.
    """
    request_hash = fingerprint("POST /v1/redemptions", body)
    try:
        with sessions() as session, session.begin():
            # Lock first: concurrent attempts on one campaign (and one key) queue here.
            lock_campaign_of(session, body.code)
            prior = stored_answer(session, key.id, idempotency_key)
            if prior is not None:
                return _replay(prior, request_hash, idempotency_key)
            outcome = redeem_code(
                session, body.code, household_id=body.household_id,
                basket=body.basket.to_basket(), at=clock(), source="service",
                order_id=body.order_id, api_key_id=key.id, rules=rules,
                actor=f"api-key:{key.name}",
            )
            code = status.HTTP_201_CREATED if outcome.redeemed else refusal_status(outcome.reasons)
            payload = RedemptionOut.of(outcome).model_dump(mode="json")
            store_answer(session, key.id, idempotency_key,
                         StoredAnswer(request_hash=request_hash, status_code=code,
                                      response=payload))
    except IntegrityError:
        # A concurrent request with the same key (another campaign's code) committed first.
        with sessions() as session:
            prior = stored_answer(session, key.id, idempotency_key)
        if prior is None:
            raise
        log.info("idempotency key %s answered by a concurrent request", idempotency_key)
        return _replay(prior, request_hash, idempotency_key)
    return JSONResponse(payload, status_code=code)
