"""The bare `coupondesk` command: open the operator's terminal UI."""

from __future__ import annotations

import click

from coupondesk.settings import Settings


@click.command(name="tui")
@click.pass_obj
def tui(settings: Settings) -> None:
    """Open the terminal UI (runs setup first if needed, with progress)."""
    from coupondesk.tui.app import run_app

    run_app(settings)


COMMANDS = [tui]
