"""Outcome commands: `import-outcomes DIR`, `simulate ID`, `results [ID]`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from coupondesk.commands.uplift_stage import refit_depth_response
from coupondesk.output import emit_json, json_option
from coupondesk.settings import Settings


def _engine(settings: Settings) -> Any:
    """The migrated database engine (outcome tables come with migration 0003)."""
    from coupondesk.tools.db.migrate import upgrade
    from coupondesk.tools.db.session import check_reachable, get_engine

    engine = get_engine(settings.resolved_database_url)
    check_reachable(engine)
    upgrade(engine)
    return engine


@click.command(name="import-outcomes")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--source", type=click.Choice(["observed", "simulated"]), default="observed",
              show_default=True, help="Where the outcomes come from.")
@json_option("the import report")
@click.pass_obj
def import_outcomes_(settings: Settings, directory: Path, source: str, as_json: bool) -> None:
    """Load redemptions and transactions a store reported after a campaign (CSV or parquet)."""
    from coupondesk.tools.outcomes.outcome_import import import_outcomes
    rules = settings.guardrails.load_policy().redemption
    engine = _engine(settings)
    report = import_outcomes(
        engine, directory, source=source, rules=rules  # type: ignore[arg-type]
    )
    refit = None if report.skipped else refit_depth_response(settings, engine, quiet=as_json)
    if as_json:
        emit_json({**report.to_json(), "depth_response": refit})
        return
    if report.skipped:
        click.echo(report.reason)
        return
    click.echo(
        f"import {report.import_id} ({report.source}): {report.redemptions:,} redemptions, "
        f"{report.transactions:,} transaction lines; campaigns {report.campaign_ids or '-'}"
    )
    if report.refused_budget:
        click.echo(f"{report.refused_budget:,} redemptions refused: the campaign budget was spent")


@click.command()
@click.argument("campaign_id", type=int)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the market.")
@json_option("the simulation report")
@click.pass_obj
def simulate(settings: Settings, campaign_id: int, seed: int, as_json: bool) -> None:
    """Play the market for a dispatched campaign and import its outcomes as simulated."""
    from coupondesk.tools.outcomes.simulate import simulate_campaign
    rules = settings.guardrails.load_policy().redemption
    engine = _engine(settings)
    report = simulate_campaign(
        engine, campaign_id, home=settings.home, seed=seed, rules=rules
    )
    refit = (None if report.imported.skipped
             else refit_depth_response(settings, engine, quiet=as_json))
    if as_json:
        emit_json({**report.to_json(), "depth_response": refit})
        return
    click.echo(
        f"simulated campaign {campaign_id} (seed {seed}): {report.redemptions:,} redemptions "
        f"of {report.treated:,} codes (expected {report.expected_redemptions:.1f}), "
        f"{report.transaction_lines:,} in-scope lines; files in {report.directory}"
    )
    if report.imported.skipped:
        click.echo(report.imported.reason)


@click.command()
@click.argument("campaign_id", type=int, required=False)
@json_option("the readout")
@click.pass_obj
def results(settings: Settings, campaign_id: int | None, as_json: bool) -> None:
    """A campaign's readout against its holdout (all campaigns with outcomes without ID)."""
    from sqlalchemy.orm import Session

    from coupondesk.tools.outcomes.readout import all_readouts, campaign_readout

    with Session(_engine(settings)) as session:
        if campaign_id is None:
            readouts = all_readouts(session)
            if as_json:
                emit_json([r.to_json() for r in readouts])
                return
            if not readouts:
                click.echo("no campaign has outcomes yet")
            for readout in readouts:
                click.echo("\n".join(readout.summary_lines()))
            return
        readout = campaign_readout(session, campaign_id)
    if as_json:
        emit_json(readout.to_json())
        return
    click.echo("\n".join(readout.summary_lines()))


COMMANDS = [import_outcomes_, simulate, results]
