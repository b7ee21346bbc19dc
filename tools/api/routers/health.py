"""GET /v1/health: the stack answers and the database does (a bare SELECT 1, behind the key).

bench/redeem.py times it beside validate and redeem: the same auth, session and server, no
business logic, so the ratio says what the redemption rules themselves cost.
"""

from __future__ import annotations

from coupondesk.tools.api.deps import Principal, Sessions
from coupondesk.tools.api.schemas import ErrorOut, HealthOut
from fastapi import APIRouter
from sqlalchemy import text

router = APIRouter(prefix="/v1/health", tags=["health"])


@router.get("", response_model=HealthOut, responses={401: {"model": ErrorOut}})
def health(_key: Principal, sessions: Sessions) -> HealthOut:
    """`SELECT 1` through the service's own session factory."""
    with sessions() as session:
        session.execute(text("SELECT 1")).scalar_one()
    return HealthOut(database="ok")
