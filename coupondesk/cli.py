"""The `coupondesk` command: a bare call opens the TUI; subcommands are headless and scriptable.

Settings are built once here and handed to every command through the click context. Every
CoupondeskError becomes one line on stderr and a non-zero exit; nothing else is caught, so a
bug still shows its traceback.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import click
from click_default_group import DefaultGroup

from coupondesk.output import fail, fail_usage
from coupondesk.tools.errors import CoupondeskError

# A 2-core box: torch/OpenMP spin-waiting threads steal the core the UI or the DB needs.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class CoupondeskGroup(DefaultGroup):
    """DefaultGroup that turns CoupondeskError and usage errors into one line and an exit code."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            fail_usage(error)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CoupondeskError as error:
            fail(error)
        except click.UsageError as error:  # a subcommand's arguments are parsed in here
            fail_usage(error)


@click.group(cls=CoupondeskGroup, default="tui", default_if_no_args=True)
@click.version_option(package_name="coupondesk")
@click.option("-v", "--verbose", count=True,
              help="More on stderr: -v for progress (INFO), -vv for DEBUG. Every run also "
                   "logs to $COUPONDESK_HOME/logs/coupondesk.log.")
@click.pass_context
def main(ctx: click.Context, verbose: int) -> None:
    """coupondesk: plan, check, approve and dispatch coupon campaigns."""
    from coupondesk.logs import configure_logging
    from coupondesk.settings import load_settings

    try:
        ctx.obj = load_settings()
    except CoupondeskError as error:
        fail(error)
    # The TUI owns the terminal: its records go to the log file only.
    configure_logging(ctx.obj.logs_dir, verbose=verbose, console=ctx.invoked_subcommand != "tui")
    logging.getLogger(__name__).info(
        "coupondesk %s: database %s, LLM backend %s", ctx.invoked_subcommand,
        ctx.obj.masked_database_url(), ctx.obj.llm.backend,
    )


def _register_commands() -> None:
    """Attach the command modules; each module imports its heavy dependencies lazily."""
    from coupondesk.commands import registry

    for command in registry.all_commands():
        main.add_command(command)


_register_commands()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
