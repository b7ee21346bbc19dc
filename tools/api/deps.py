"""Dependencies of every route: the database sessions, the clock, the policy and the API key.

The key is looked up on every request (no cache), so a revoked key stops working at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from coupondesk.tools.access.api_keys import ApiKeyInfo, authenticate
from coupondesk.tools.policy.rules import RedemptionRules
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

Clock = Callable[[], datetime]

bearer = HTTPBearer(
    auto_error=False,
    description="An API key from `coupondesk api-key create NAME`: `Authorization: Bearer cdk_...`",
)

UNAUTHORIZED = "a valid API key is required (Authorization: Bearer cdk_...)"


def get_sessions(request: Request) -> sessionmaker[Session]:
    """The app's session factory (routes open their own transaction)."""
    sessions: sessionmaker[Session] = request.app.state.sessions
    return sessions


def get_clock(request: Request) -> Clock:
    """The service's clock (naive UTC)."""
    clock: Clock = request.app.state.clock
    return clock


def get_rules(request: Request) -> RedemptionRules:
    """The policy's redemption rules (over-budget behaviour)."""
    rules: RedemptionRules = request.app.state.redemption_rules
    return rules


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer ...` header, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def principal_of(request: Request) -> ApiKeyInfo | None:
    """The active API key the request presents, or None."""
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        return None
    with request.app.state.sessions() as session:
        return authenticate(session, token)


def require_key(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> ApiKeyInfo:
    """The caller's API key; 401 when it is missing, unknown or revoked."""
    principal = principal_of(request)
    if principal is None:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED, detail=UNAUTHORIZED,
            headers={"WWW-Authenticate": "Bearer"},
        )
    request.state.principal = principal
    return principal


def require_operator(principal: Annotated[ApiKeyInfo, Depends(require_key)]) -> ApiKeyInfo:
    """An operator's key; 403 for a checkout key."""
    if principal.role != "operator":
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN,
            detail=f"api key {principal.name!r} has role {principal.role}; this needs an "
            "operator key",
        )
    return principal


Principal = Annotated[ApiKeyInfo, Depends(require_key)]
Operator = Annotated[ApiKeyInfo, Depends(require_operator)]
Sessions = Annotated[sessionmaker[Session], Depends(get_sessions)]
ServiceClock = Annotated[Clock, Depends(get_clock)]
Rules = Annotated[RedemptionRules, Depends(get_rules)]
