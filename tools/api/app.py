"""The redemption service's FastAPI app, built by a factory so tests and `serve` share it.

`create_app` wires the routers, the error answers and the app state (session factory, clock,
the policy's redemption rules); its lifespan fixes the service date on start and disposes of
the engine on shutdown. Routes hold no business logic: they call tools.outcomes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any, Literal

from coupondesk.tools.api.deps import UNAUTHORIZED, Clock, principal_of
from coupondesk.tools.api.routers import coupons, health, redemptions
from coupondesk.tools.errors import (
    BadInputError,
    CoupondeskError,
    NotFoundError,
    NotReadyError,
    RefusedError,
)
from coupondesk.tools.policy.rules import Policy
from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

log = logging.getLogger(__name__)

ERROR_STATUS: dict[type[CoupondeskError], int] = {
    NotFoundError: status.HTTP_404_NOT_FOUND,
    RefusedError: status.HTTP_409_CONFLICT,
    BadInputError: status.HTTP_422_UNPROCESSABLE_CONTENT,
    NotReadyError: status.HTTP_503_SERVICE_UNAVAILABLE,
}


def wall_clock() -> datetime:
    """Now, naive UTC (the schema's convention)."""
    return datetime.now(UTC).replace(tzinfo=None)


def dated_clock(day: date) -> Clock:
    """A clock on `day` at the real time of day (the planning date of the embedded data)."""
    return lambda: datetime.combine(day, wall_clock().time())


ServiceDate = Literal["planning", "wall"]
"""`planning`: validity is checked against the planning date (the configured `today`, else the
day after the data's last sale, so the embedded data's campaigns can be redeemed); `wall`: the
real UTC date (a live deployment). The time of day is always real."""


def service_clock(service_date: ServiceDate, today: date | None,
                  sessions: sessionmaker[Session]) -> Clock:
    """The clock `service_date` asks for."""
    if service_date == "wall":
        return wall_clock
    if today is not None:
        return dated_clock(today)
    from coupondesk.tools.queries.segments import data_today

    with sessions() as session:
        return dated_clock(data_today(session))


def _field(loc: Sequence[Any]) -> str:
    parts = list(loc)
    if parts and parts[0] == "header" and len(parts) > 1:
        return "-".join(w.capitalize() for w in str(parts[1]).split("-"))
    if parts and parts[0] in ("body", "query", "path"):
        parts = parts[1:]
    return ".".join(str(p) for p in parts) or "body"


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """422 naming the first bad field; 401 instead when the request has no valid key."""
    if await run_in_threadpool(principal_of, request) is None:  # a DB read: off the loop
        return JSONResponse({"detail": UNAUTHORIZED}, status_code=status.HTTP_401_UNAUTHORIZED,
                            headers={"WWW-Authenticate": "Bearer"})
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    first = errors[0] if errors else {"loc": ("body",), "msg": str(exc), "type": "invalid"}
    field = _field(first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return JSONResponse(
        {
            "detail": f"{field}: {message}",
            "field": field,
            "errors": [{"field": _field(e["loc"]), "msg": str(e["msg"]), "type": e["type"]}
                       for e in errors],
        },
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


async def _coupondesk_error(_request: Request, exc: Exception) -> JSONResponse:
    """A CoupondeskError as its one-line message with the matching status."""
    code = next((c for t, c in ERROR_STATUS.items() if isinstance(exc, t)),
                status.HTTP_500_INTERNAL_SERVER_ERROR)
    message = exc.message if isinstance(exc, CoupondeskError) else str(exc)
    return JSONResponse({"detail": message}, status_code=code)


def create_app(
    *,
    policy: Policy,
    database_url: str | None = None,
    engine: Engine | None = None,
    service_date: ServiceDate = "planning",
    today: date | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """The service on one database (a URL, or an engine tests inject) under one policy."""
    from coupondesk.tools.db.session import get_engine

    if engine is None and database_url is None:
        raise ValueError("create_app needs a database_url or an engine")
    bound = engine or get_engine(str(database_url))
    sessions = sessionmaker(bind=bound, expire_on_commit=False)
    rules = policy.redemption

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.clock is None:
            app.state.clock = service_clock(service_date, today, sessions)
        log.info("redemption service on %s; service time now %s; over budget: %s",
                 bound.url.render_as_string(hide_password=True), app.state.clock(),
                 rules.over_budget)
        try:
            yield
        finally:
            bound.dispose()

    app = FastAPI(
        title="coupondesk redemption service",
        version="1",
        summary="Validate and redeem coupondesk codes at a store's checkout.",
        description=(
            "Every endpoint needs an API key (`coupondesk api-key create NAME`), sent as "
            "`Authorization: Bearer cdk_...`. A redemption is single-use and commits against "
            "its campaign's budget under a row lock; refusals list stable rule ids in `reasons`."
        ),
        lifespan=lifespan,
    )
    app.state.sessions = sessions
    app.state.engine = bound
    app.state.clock = clock
    app.state.redemption_rules = rules
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(CoupondeskError, _coupondesk_error)
    app.include_router(redemptions.router)
    app.include_router(coupons.router)
    app.include_router(health.router)
    return app
