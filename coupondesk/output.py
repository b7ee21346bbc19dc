"""How commands talk to the terminal: one JSON document on stdout, errors as one line on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

from coupondesk.tools.errors import BadInputError, CoupondeskError

F = TypeVar("F", bound=Callable[..., Any])


def json_option(what: str) -> Callable[[F], F]:
    """The `--json` flag of every command (passed as `as_json`): `what` as one JSON document."""
    return click.option(
        "--json", "as_json", is_flag=True, help=f"Print {what} as one JSON document."
    )


def emit_json(document: Any) -> None:
    """Print exactly one JSON document (the `--json` contract)."""
    click.echo(json.dumps(document, ensure_ascii=False, default=str, indent=2))


def fail(error: CoupondeskError) -> NoReturn:
    """Print the error as one line to stderr and exit with its code."""
    message = " ".join(error.message.split())
    click.echo(f"coupondesk: {message}", err=True)
    sys.exit(error.exit_code)


def fail_usage(error: click.UsageError) -> NoReturn:
    """A command-line mistake (bad argument, unknown option) as one line, exit 2.

    click would print the usage block and a hint over several lines; scripts that read the
    first stderr line for the reason would get "Usage: ..." instead.
    """
    where = error.ctx.command_path if error.ctx is not None else "coupondesk"
    fail(BadInputError(f"{error.format_message()} (see `{where} --help`)"))
