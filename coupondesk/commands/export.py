"""`coupondesk export ID --format csv|jsonl [--out FILE]`: codes for the delivery tool."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from coupondesk.settings import Settings


@click.command()
@click.argument("campaign_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv",
              show_default=True, help="CSV with a header row, or one JSON object per line.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to FILE (atomically) instead of standard output.")
@click.pass_obj
def export(settings: Settings, campaign_id: int, fmt: str, out: Path | None) -> None:
    """One row per issued code of CAMPAIGN_ID: household, code, copy, dates, offer terms.

    Holdout households never appear; the same campaign always exports the same bytes.
    """
    from sqlalchemy.orm import Session

    from coupondesk.commands.service import ready_engine
    from coupondesk.tools.outcomes.export import export_campaign

    with Session(ready_engine(settings)) as session:
        result, content = export_campaign(session, campaign_id, fmt, out)  # type: ignore[arg-type]
    if out is None:
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()
        return
    click.echo(f"exported {result.rows:,} codes of campaign {campaign_id} to {out}", err=True)


COMMANDS = [export]
