"""`coupondesk plan "REQUEST"`: the CampaignPlan a request describes, with no side effects.

The database is opened read-only (SQLite in `mode=ro`, PostgreSQL in a read-only
transaction) because the planner only needs the catalog and the planning date; a missing
or empty database is one line telling the operator to run `coupondesk setup`, never a newly
created empty file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from coupondesk.output import emit_json, json_option

if TYPE_CHECKING:
    from coupondesk.settings import Settings
    from coupondesk.tools.campaigns.plan import CampaignPlan


def make_plan(settings: Settings, request: str) -> tuple[CampaignPlan, list[dict[str, Any]]]:
    """The plan of REQUEST and the policy's verdict on its offer (what `plan` prints)."""
    from coupondesk.agent.planning.planner import plan_request
    from coupondesk.tools.db.readonly import readonly_session
    from coupondesk.tools.llm import make_llm
    from coupondesk.tools.policy.guardrails import check_offer
    from coupondesk.tools.queries.segments import data_today

    policy = settings.guardrails.load_policy()
    llm = make_llm(settings.llm.options())
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
