"""Data commands: `setup` (migrate, load, train) and `import DIR` (an operator's own files)."""

from __future__ import annotations

from pathlib import Path

import click

from coupondesk.output import emit_json, json_option
from coupondesk.settings import Settings


@click.command()
@click.option("--no-train", is_flag=True, help="Load data only; train the models later.")
@click.option("--retrain", is_flag=True, help="Train the models even if they exist.")
@json_option("the report")
@click.pass_obj
def setup(settings: Settings, no_train: bool, retrain: bool, as_json: bool) -> None:
    """Migrate the database, load The Complete Journey, and train the models (idempotent)."""
    from coupondesk.progress import StepProgress
    from coupondesk.tools.data.setup import run_setup

    with StepProgress() as progress:
        report = run_setup(settings.resolved_database_url, settings.models_dir, progress,
                           train=not no_train, force_train=retrain,
                           train_households=settings.models.train_households)
    ingest = report.ingest
    if as_json:
        emit_json(
            {
                "database": settings.masked_database_url(),
                "ingest": {
                    "skipped": ingest.skipped if ingest else None,
                    "reason": ingest.reason if ingest else "",
                    "row_counts": ingest.row_counts if ingest else {},
                },
                "trained": report.trained,
                "training_skipped_reason": report.training_skipped_reason,
                "seconds": {k: round(v, 2) for k, v in report.seconds.items()},
            }
        )
        return
    click.echo(f"database: {settings.masked_database_url()}")
    if ingest is not None:
        state = f"skipped ({ingest.reason})" if ingest.skipped else "loaded"
        click.echo(f"data: {state} in {report.seconds.get('ingest', 0):.1f}s")
        for table, count in ingest.row_counts.items():
            click.echo(f"  {table:<26}{count:>12,}")
    if report.trained:
        click.echo(f"models trained: {', '.join(report.trained)} in {report.seconds['train']:.0f}s")
    else:
        click.echo(f"models: {report.training_skipped_reason}")


@click.command(name="import")
@click.argument("directory", type=click.Path(path_type=Path))
@json_option("the report")
@click.pass_obj
def import_(settings: Settings, directory: Path, as_json: bool) -> None:
    """Load your own retailer data from DIRECTORY (CSV or parquet; see README for columns)."""
    from coupondesk.tools.data.importer import import_directory
    from coupondesk.tools.db.migrate import upgrade
    from coupondesk.tools.db.session import check_reachable, get_engine

    engine = get_engine(settings.resolved_database_url)
    check_reachable(engine)
    upgrade(engine)
    report = import_directory(engine, directory)
    if as_json:
        emit_json(
            {"files": report.files, "row_counts": report.row_counts, "skipped": report.skipped,
             "reason": report.reason}
        )
        return
    if report.skipped:
        click.echo(f"nothing imported: {report.reason}")
        return
    for table, count in report.row_counts.items():
        click.echo(f"{table:<26}{count:>12,}")


COMMANDS = [setup, import_]
