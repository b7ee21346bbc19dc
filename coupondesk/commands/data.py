"""Data commands: `setup` (migrate, load, train), `import DIR` (an operator's own files) and
`synth` (a larger synthetic retailer for measurement)."""

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
    import time

    from coupondesk.progress import progress_on_terminal
    from coupondesk.tools.data.importer import import_directory
    from coupondesk.tools.data.ingest import TABLE_COLUMNS
    from coupondesk.tools.db.migrate import upgrade
    from coupondesk.tools.db.session import check_reachable, get_engine

    engine = get_engine(settings.resolved_database_url)
    check_reachable(engine)
    upgrade(engine)
    started = time.perf_counter()
    with progress_on_terminal(as_json, units=dict.fromkeys(TABLE_COLUMNS, "rows")) as progress:
        report = (import_directory(engine, directory, progress) if progress is not None
                  else import_directory(engine, directory))
    seconds = time.perf_counter() - started
    if as_json:
        emit_json(
            {"files": report.files, "row_counts": report.row_counts, "skipped": report.skipped,
             "reason": report.reason, "seconds": round(seconds, 2)}
        )
        return
    if report.skipped:
        click.echo(f"nothing imported: {report.reason}")
        return
    for table, count in report.row_counts.items():
        click.echo(f"{table:<26}{count:>12,}")
    rows = sum(report.row_counts.values())
    click.echo(f"{rows:,} rows in {seconds:.1f}s ({rows / max(seconds, 1e-9):,.0f} rows/s)")


@click.command()
@click.option("--households", type=int, required=True, help="How many synthetic households.")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True,
              help="A new or empty directory for the files.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the resampling: the same seed writes the same rows.")
@click.option("--max-shift-weeks", type=int, default=8, show_default=True,
              help="Largest calendar shift of a copied household, in whole weeks.")
@json_option("the report")
def synth(households: int, out: Path, seed: int, max_shift_weeks: int, as_json: bool) -> None:
    """Write a larger SYNTHETIC retailer resampled from The Complete Journey (for measurement).

    The files are what `coupondesk import DIR` reads; import them into a database of their own.
    """
    from coupondesk.progress import progress_on_terminal
    from coupondesk.tools.data.synth import synthesize

    units = {"synthesising households": "households"}
    with progress_on_terminal(as_json, units=units) as progress:
        report = synthesize(out, households, seed=seed, max_shift_weeks=max_shift_weeks,
                            progress=progress)
    if as_json:
        emit_json(report.to_json())
        return
    click.echo(f"synthetic retailer: {report.households:,} households (seed {report.seed}) "
               f"in {report.out}")
    for name, count in report.row_counts.items():
        click.echo(f"  {name:<26}{count:>12,}")
    click.echo(f"{report.bytes_written / 1e6:,.1f} MB in {report.seconds:.1f}s")


COMMANDS = [setup, import_, synth]
