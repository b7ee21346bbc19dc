"""`coupondesk plan "REQUEST"`: the CampaignPlan a request describes, with no side effects.

The database is opened read-only (SQLite in `mode=ro`, PostgreSQL in a read-only
transaction) because the planner only needs the catalog and the planning date; a missing
or empty database is one line telling the operator to run `coupondesk setup`, never a newly
created empty file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from coupondesk.output import emit_json, json_option
from coupondesk.tools.errors import NotReadyError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from coupondesk.tools.campaigns.plan import CampaignPlan
    from coupondesk.tools.settings import Settings

_NOT_SET_UP = "the database is not set up: run `coupondesk setup`"


def readonly_engine(url: str) -> Engine:
    """An engine that cannot write: SQLite opened with mode=ro, others with read-only sessions.

    A SQLite file that does not exist is reported instead of being created empty.
    """
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from coupondesk.tools.db.session import get_engine, is_sqlite

    if is_sqlite(url):
        database = make_url(url).database
        if not database or database == ":memory:" or not Path(database).expanduser().is_file():
            raise NotReadyError(_NOT_SET_UP)
        uri = Path(database).expanduser().resolve().as_uri() + "?mode=ro"
        return create_engine(
            "sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False)
        )
    return get_engine(url).execution_options(postgresql_readonly=True)


@contextmanager
def readonly_session(url: str) -> Iterator[Session]:
    """A session on a read-only engine whose catalog is loaded (else NotReadyError)."""
    from sqlalchemy import func, inspect, select
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    from coupondesk.tools.db.schema import Product

    engine = readonly_engine(url)
    try:
        with Session(engine) as session:
            try:
                loaded = inspect(session.connection()).has_table("products") and bool(
                    session.execute(select(func.count()).select_from(Product)).scalar_one()
                )
            except OperationalError as exc:
                reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
                raise NotReadyError(f"cannot read the database ({reason}); run "
                                    "`coupondesk setup`") from exc
            if not loaded:
                raise NotReadyError(_NOT_SET_UP)
            yield session
            session.rollback()
    finally:
        if engine.url.get_backend_name() == "sqlite":
            engine.dispose()


def make_plan(settings: Settings, request: str) -> tuple[CampaignPlan, list[dict[str, Any]]]:
    """The plan of REQUEST and the policy's verdict on its offer (what `plan` prints)."""
    from coupondesk.agent.planning.planner import plan_request
    from coupondesk.tools.llm import make_llm
    from coupondesk.tools.policy.guardrails import check_offer
    from coupondesk.tools.policy.rules import policy_from_settings
    from coupondesk.tools.queries.segments import data_today

    policy = policy_from_settings(settings)
    llm = make_llm(settings)
    with readonly_session(settings.resolved_database_url) as session:
        today = settings.today or data_today(session)
        plan = plan_request(request, session=session, policy=policy, llm=llm, today=today)
    verdict = check_offer(plan.offer, policy)
    return plan, [v.model_dump(mode="json") for v in verdict.violations]


def _print_plan(plan: CampaignPlan, violations: list[dict[str, Any]]) -> None:
    from coupondesk.agent.describe import describe_audience, describe_offer, money

    click.echo(f"offer      {describe_offer(plan.offer)}")
    click.echo(f"audience   {describe_audience(plan.audience)}"
               + (f" (at most {plan.audience.max_size:,})" if plan.audience.max_size else ""))
    click.echo(f"budget     {money(plan.budget) if plan.budget is not None else '(none)'}")
    click.echo(f"language   {plan.language}")
    for assumption in plan.assumptions:
        click.echo(f"assumes    {assumption}")
    for question in plan.questions:
        click.echo(f"question   {question}")
    for error in plan.errors:
        click.echo(f"ERROR      {error.rule}: {error.message}")
    for violation in violations:
        click.echo(f"VIOLATION  {violation['rule']}: {violation['message']}")


@click.command()
@click.argument("request")
@json_option("the plan")
@click.pass_obj
def plan(settings: Settings, request: str, as_json: bool) -> None:
    """Read REQUEST into a campaign plan (offer, audience, budget) without changing anything."""
    parsed, violations = make_plan(settings, request)
    if as_json:
        document = parsed.to_json_dict()
        document["offer_violations"] = violations
        emit_json(document)
    else:
        _print_plan(parsed, violations)


COMMANDS = [plan]
