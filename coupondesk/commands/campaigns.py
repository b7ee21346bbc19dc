"""Campaign commands: propose, revise, approve, reject, campaigns, show, ask.

All of them go through coupondesk.agent.service.CampaignDesk, the same object the TUI uses.
"""

from __future__ import annotations

from typing import Any

import click

from coupondesk.output import emit_json, json_option
from coupondesk.settings import Settings


def _desk(settings: Settings) -> Any:
    """The CampaignDesk, closed with the command (imported late: `--help` skips LangGraph)."""
    from coupondesk.agent.service import CampaignDesk

    desk = CampaignDesk(settings)
    click.get_current_context().call_on_close(desk.close)
    return desk


def _print_event(event: dict[str, str]) -> None:
    """One agent step as a progress line on stderr (stdout stays for the result)."""
    click.echo(f"  {event['step']:<9} {event['message']}", err=True)


def _usd(value: float) -> str:
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


def depth_mix_lines(doc: dict[str, Any]) -> list[str]:
    """The per-household depth mix and its incremental figures beside propensity ranking's,
    as the text summary shows them (nothing when the depth is fixed)."""
    from coupondesk.agent.describe import depth_label

    if not doc.get("depth_mix"):
        return []
    lines = [
        f"  depth      {depth_label(m['kind'], m['value'])}: {m['households']:,} codes, expected "
        f"${m['expected_cost']:,.2f}, {m['expected_incremental_buyers']:.2f} incremental buyers"
        for m in doc["depth_mix"]
    ]
    margin, roi = doc.get("expected_incremental_margin"), doc.get("incremental_roi")
    if margin is not None and roi is not None:
        lines.append(f"  increment  margin {_usd(margin)}, ROI {roi:+.2f}")
    rival = doc.get("propensity_comparison") or {}
    if rival:
        depth = depth_label(rival["kind"], rival["value"])
        lines.append(
            f"  vs ranking propensity ranking at {depth}, same budget: {rival['households']:,} "
            f"codes, expected ${rival['expected_cost']:,.2f}, "
            f"{rival['expected_incremental_buyers']:.2f} incremental buyers, margin "
            f"{_usd(rival['expected_incremental_margin'])}, ROI {rival['incremental_roi']:+.2f}")
    response = doc.get("depth_response") or {}
    lines.append("  response   " + ("learned from the campaigns' outcomes" if response.get(
        "learned") else "the stated prior, not learned (no campaign outcomes yet)"))
    return lines


def _print_proposal(proposal: Any, *, as_json: bool) -> None:
    """The proposal as one JSON document, or as a readable summary."""
    doc = proposal.to_cli_json()
    if as_json:
        emit_json(doc)
        return
    click.echo(f"campaign {doc['campaign_id']} ({doc['status']})")
    click.echo(
        f"  audience   {doc['audience_size']:,} codes + {doc['holdout_size']:,} holdout "
        f"({proposal.audience_description})"
    )
    budget = f" of ${doc['budget']:,.2f}" if doc["budget"] is not None else ""
    click.echo(
        f"  cost       expected ${doc['expected_cost']:,.2f}{budget}; worst case "
        f"${doc['worst_case_liability']:,.2f}; {doc['expected_redemptions']:.0f} redemptions"
    )
    if doc.get("stopped_by_text"):
        click.echo(f"  cut        {doc['stopped_by_text']}")
    for line in depth_mix_lines(doc):
        click.echo(line)
    for assumption in doc["assumptions"]:
        click.echo(f"  assumes    {assumption}")
    for question in doc["questions"]:
        click.echo(f"  question   {question}")
    for index, copy in enumerate(doc["copy"]):
        mark = "ok  " if copy["ok"] else "FAIL"
        chosen = "*" if index == doc["selected_copy"] else " "
        click.echo(f"  copy {chosen}{mark} [{copy['source']}] {copy['text']}")
    for violation in doc["violations"]:
        click.echo(f"  VIOLATION  {violation['rule']}: {violation['message']}")


def _with_engine(settings: Settings, engine: str | None) -> Settings:
    """The settings with the scoring backend the command line asked for (local or ray)."""
    if engine is None:
        return settings
    models = settings.models.model_copy(update={
        "engine": engine, "ray_address": settings.models.ray_address if engine == "ray" else None})
    return settings.model_copy(update={"models": models})


ENGINE = click.option(
    "--engine", type=click.Choice(["local", "ray"]), default=None,
    help="Where scoring runs: here, or on Ray (COUPONDESK_RAY_ADDRESS, else a local Ray); "
    "the scores are the same.")


@click.command()
@click.argument("request")
@click.option("--operator", help="Who asks (default: COUPONDESK_OPERATOR or the OS user).")
@ENGINE
@json_option("the proposal")
@click.pass_obj
def propose(settings: Settings, request: str, operator: str | None, engine: str | None,
            as_json: bool) -> None:
    """Plan REQUEST into a checked, priced proposal and stop at the approval point."""
    desk = _desk(_with_engine(settings, engine))
    proposal = desk.propose(request, operator=operator, on_event=None if as_json else _print_event)
    _print_proposal(proposal, as_json=as_json)


@click.command()
@click.argument("campaign_id", type=int)
@click.argument("change")
@click.option("--operator", help="Who asks for the change.")
@ENGINE
@json_option("the new proposal")
@click.pass_obj
def revise(
    settings: Settings, campaign_id: int, change: str, operator: str | None,
    engine: str | None, as_json: bool,
) -> None:
    """Change a proposal in words ("make it 10%", "only 200 households")."""
    desk = _desk(_with_engine(settings, engine))
    proposal = desk.revise(
        campaign_id, change, operator=operator, on_event=None if as_json else _print_event
    )
    _print_proposal(proposal, as_json=as_json)


@click.command()
@click.argument("campaign_id", type=int)
@click.option("--operator", required=True, help="Who approves (recorded with the approval).")
@json_option("the outcome")
@click.pass_obj
def approve(settings: Settings, campaign_id: int, operator: str, as_json: bool) -> None:
    """Approve the exact proposal of CAMPAIGN_ID and dispatch it when approvals suffice."""
    outcome = _desk(settings).approve(campaign_id, operator=operator)
    if as_json:
        emit_json(outcome.to_json_dict())
    else:
        click.echo(f"campaign {campaign_id}: {outcome.status}; {outcome.message}")


@click.command()
@click.argument("campaign_id", type=int)
@click.option("--operator", required=True, help="Who rejects.")
@click.option("--reason", required=True, help="Why (kept in the audit log).")
@json_option("the campaign")
@click.pass_obj
def reject(settings: Settings, campaign_id: int, operator: str, reason: str, as_json: bool) -> None:
    """Reject CAMPAIGN_ID; it will never issue a code."""
    row = _desk(settings).reject(campaign_id, operator=operator, reason=reason)
    if as_json:
        emit_json({"campaign_id": row.id, "status": row.status, "reason": row.rejected_reason})
    else:
        click.echo(f"campaign {campaign_id}: rejected ({row.rejected_reason})")


@click.command()
@json_option("the list")
@click.pass_obj
def campaigns(settings: Settings, as_json: bool) -> None:
    """Every campaign with status, operator, dates, audience and cost."""
    rows = _desk(settings).campaigns()
    if as_json:
        emit_json([row.model_dump(mode="json") for row in rows])
        return
    for row in rows:
        cost = f"${row.expected_cost:,.2f}" if row.expected_cost is not None else "-"
        click.echo(
            f"{row.id:>4}  {row.status:<10} {row.created_by:<12} "
            f"{(row.audience_size or 0):>6,}  {cost:>10}  {row.request[:60]}"
        )


@click.command()
@click.argument("campaign_id", type=int)
@json_option("the campaign")
@click.pass_obj
def show(settings: Settings, campaign_id: int, as_json: bool) -> None:
    """One campaign: its proposal, approvals and audit trail."""
    document = _desk(settings).show(campaign_id)
    if as_json:
        emit_json(document)
        return
    click.echo(f"campaign {document['id']} ({document['status']}): {document['request']}")
    for entry in document["audit"]:
        click.echo(f"  {entry['at']}  {entry['actor']:<12} {entry['action']}")


@click.command()
@click.argument("question")
@json_option("the answer")
@click.pass_obj
def ask(settings: Settings, question: str, as_json: bool) -> None:
    """Answer a question about customers or campaigns from the database."""
    answer = _desk(settings).ask(question)
    if as_json:
        emit_json(answer)
    else:
        click.echo(answer["answer"])


COMMANDS = [propose, revise, approve, reject, campaigns, show, ask]
