"""The CLI as the contract tests call it: in process, exceptions surfacing, one JSON document."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner, Result

from coupondesk.cli import main


def run(*args: str) -> Result:
    """`coupondesk ARGS` in process (an unexpected exception fails the test with its trace)."""
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def doc(result: Result) -> Any:
    """The command's one JSON document, after checking it exited 0."""
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)
