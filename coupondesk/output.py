"""How commands talk to the terminal: one JSON document on stdout, errors as one line on stderr."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import click

from tools.errors import CoupondeskError


def emit_json(document: Any) -> None:
    """Print exactly one JSON document (the `--json` contract)."""
    click.echo(json.dumps(document, ensure_ascii=False, default=str, indent=2))


def fail(error: CoupondeskError) -> NoReturn:
    """Print the error as one line to stderr and exit with its code."""
    message = " ".join(error.message.split())
    click.echo(f"coupondesk: {message}", err=True)
    sys.exit(error.exit_code)
