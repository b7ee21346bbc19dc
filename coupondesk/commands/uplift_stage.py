"""The uplift stage the CLI runs after `train` and after every outcome import.

The depth-response learner is fitted on the campaigns' randomised outcomes (holdouts and arms,
tools/outcomes/uplift_training.py) with the serving scorer's household features; without
serving models there is nothing to describe households with, so the stage says so and the
stated prior keeps serving.
"""

from __future__ import annotations

from typing import Any

import click

from coupondesk.settings import Settings


def refit_depth_response(settings: Settings, engine: Any, *, quiet: bool = False
                         ) -> dict[str, Any] | None:
    """Fit and save the learner; the stage's summary, or None when no models are trained."""
    from coupondesk.models.registry import read_card
    from coupondesk.tools.outcomes.uplift_training import train_uplift
    from coupondesk.tools.scoring.serving_scorer import ModelScorer

    if read_card(settings.models_dir) is None:
        if not quiet:
            click.echo("depth response not refitted: no trained models (run `coupondesk train`)",
                       err=True)
        return None
    scorer = ModelScorer(settings.models_dir, engine,
                         chunk_households=settings.models.chunk_households)
    try:
        result = train_uplift(engine, scorer, settings.models_dir)
    finally:
        scorer.close()
    if not quiet:
        what = (f"learned from {result.rows:,} randomised rows" if result.learned
                else "is the stated prior (no randomised outcomes yet)")
        click.echo(f"depth response {what} ({len(result.campaigns)} campaigns)", err=True)
    return result.to_json()
