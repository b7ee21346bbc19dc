"""Every CLI run logs to $COUPONDESK_HOME/logs; --verbose raises what stderr shows."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from coupondesk.cli import main
from coupondesk.logs import LOG_FILE, configure_logging, console_level

TEA = json.dumps({"kind": "percent_off", "value": 12, "min_spend": None, "valid_days": 5,
                  "categories": ["TEAS"]})


@pytest.fixture(autouse=True)
def _reset_handlers() -> Iterator[None]:
    yield
    for handler in list(logging.getLogger("coupondesk").handlers):
        logging.getLogger("coupondesk").removeHandler(handler)
        handler.close()


def test_console_levels() -> None:
    assert console_level(0) == logging.WARNING
    assert console_level(1) == logging.INFO
    assert console_level(2) == console_level(5) == logging.DEBUG


def test_a_run_writes_the_log_file_and_keeps_json_clean(isolated_home: Path) -> None:
    result = CliRunner().invoke(main, ["check-offer", TEA, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ok"] is True
    assert "INFO" not in result.stderr
    for handler in logging.getLogger("coupondesk").handlers:
        handler.flush()
    log = (isolated_home / "logs" / LOG_FILE).read_text()
    assert "coupondesk check-offer: database sqlite:///" in log


def test_verbose_shows_info_on_stderr(isolated_home: Path) -> None:
    result = CliRunner().invoke(main, ["--verbose", "check-offer", TEA, "--json"])
    assert result.exit_code == 0, result.output
    assert "coupondesk: INFO: coupondesk check-offer" in result.stderr
    assert json.loads(result.stdout)["ok"] is True  # stdout is still one JSON document


def test_unwritable_logs_directory_is_said_not_fatal(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert configure_logging(blocker / "logs", console=False) is None
