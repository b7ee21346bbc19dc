"""A rich progress display that accepts the `progress(step, done, total)` callbacks of tools."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class RateColumn(ProgressColumn):
    """Items per second for steps that name a unit (rows/s for a load); blank for the rest."""

    def render(self, task: Task) -> Text:
        unit = task.fields.get("unit")
        elapsed = task.finished_time if task.finished else task.elapsed
        if not unit or not elapsed or not task.completed:
            return Text("")
        rate = task.completed / elapsed
        shown = f"{rate / 1000:,.0f}k" if rate >= 10_000 else f"{rate:,.0f}"
        return Text(f"{shown} {unit}/s", style="progress.data.speed")


class StepProgress:
    """One bar per step name; a step's bar is created the first time the step reports.

    `units` names what some steps count (`{"transactions": "rows"}`): their bars show a rate.
    """

    def __init__(
        self, console: Console | None = None, *, units: Mapping[str, str] | None = None
    ) -> None:
        self._units = dict(units or {})
        columns = [
            TextColumn("[bold]{task.description:<32}"),
            BarColumn(),
            MofNCompleteColumn(),
            *([RateColumn()] if self._units else []),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        ]
        self._progress = Progress(
            *columns, console=console or Console(stderr=True), transient=False
        )
        self._tasks: dict[str, TaskID] = {}

    def __call__(self, step: str, done: int, total: int) -> None:
        task = self._tasks.get(step)
        if task is None:
            task = self._progress.add_task(
                step, total=max(total, 1), unit=self._units.get(step, "")
            )
            self._tasks[step] = task
        self._progress.update(task, completed=done, total=max(total, 1))

    def __enter__(self) -> StepProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()


def progress_on_terminal(
    quiet: bool, *, units: Mapping[str, str] | None = None
) -> AbstractContextManager[StepProgress | None]:
    """Bars on stderr when a person watches it; nothing under --json, pipes or scripts.

    Scripts read stderr for the one-line error and should not get bar frames in front of it.
    """
    if quiet or not sys.stderr.isatty():
        return nullcontext(None)
    return StepProgress(units=units)
