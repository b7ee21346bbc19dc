"""stdlib logging for the entry points: a rotating file under $COUPONDESK_HOME/logs, and stderr.

Library modules only call `logging.getLogger(__name__)`; this module, called once by the CLI
group, decides where records go. The console shows warnings (more with `--verbose`) on
stderr, so stdout stays for results and `--json`; the TUI gets no console handler, since
lines written over a full-screen app would corrupt it.
"""

from __future__ import annotations

import logging
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

LOG_FILE = "coupondesk.log"
LOG_BYTES = 2 << 20
"""A log file rotates at 2 MiB; LOG_BACKUPS older files are kept."""
LOG_BACKUPS = 3
FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"
_HANDLER_MARK = "_coupondesk_handler"


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (click's test runner swaps it)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        """The stream is always the current sys.stderr."""


def console_level(verbose: int) -> int:
    """WARNING by default, INFO with -v, DEBUG with -vv."""
    return {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)


def configure_logging(logs_dir: Path, *, verbose: int = 0, console: bool = True) -> Path | None:
    """Route the `coupondesk` loggers to the log file (INFO+) and, unless `console` is off,
    to stderr at `console_level(verbose)`. Returns the log file, or None when the directory
    cannot be created (then only the console is used, and that is said on it)."""
    root = logging.getLogger("coupondesk")
    for handler in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(logging.DEBUG)
    path: Path | None = logs_dir / LOG_FILE
    problem = ""
    try:
        logs_dir.mkdir(parents=True, exist_ok=True)
        file_handler = RotatingFileHandler(
            path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8", delay=True
        )
    except OSError as error:
        path, problem = None, f"cannot write logs under {logs_dir}: {error.strerror}"
    else:
        file_handler.setLevel(logging.DEBUG if verbose >= 2 else logging.INFO)
        file_handler.setFormatter(logging.Formatter(FILE_FORMAT))
        _add(root, file_handler)
    if console:
        stream = StderrHandler()
        stream.setLevel(console_level(verbose))
        stream.setFormatter(logging.Formatter("coupondesk: %(levelname)s: %(message)s"))
        _add(root, stream)
    if problem:
        root.warning(problem)
    return path


def _add(logger: logging.Logger, handler: logging.Handler) -> None:
    setattr(handler, _HANDLER_MARK, True)
    logger.addHandler(handler)
