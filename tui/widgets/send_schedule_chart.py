"""The send schedule: how many codes go out on each day of the campaign's send window.

A textual-plotext bar chart of the proposal's `send_schedule` ([{date, households}]). With
per-household timing the bars spread over the window (each household's code is sent when the
timing model expects its next purchase in scope); with "at once" there is one bar.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual_plotext import PlotextPlot


class SendScheduleChart(PlotextPlot):
    """Bar chart of codes sent per day."""

    DEFAULT_CSS = """
    SendScheduleChart {
        height: 10;
        width: 1fr;
    }
    """

    def __init__(self, schedule: Sequence[dict[str, Any]] = (), *, mode: str = "at_once",
                 **kwargs: str) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._schedule = list(schedule)
        self._mode = mode

    def on_mount(self) -> None:
        self.replot()

    @property
    def total(self) -> int:
        """Codes in the schedule (equals the proposal's audience size)."""
        return sum(int(day["households"]) for day in self._schedule)

    def replot(self) -> None:
        plt = self.plt
        plt.clear_figure()
        if not self._schedule:
            plt.title("no codes to send")
            self.refresh()
            return
        labels = [str(day["date"])[5:] for day in self._schedule]  # MM-DD
        plt.bar(labels, [int(day["households"]) for day in self._schedule], color="cyan",
                marker="hd")
        how = "per household (timing model)" if self._mode == "per_household" else "all at once"
        plt.title(f"send schedule · {self.total:,} codes · {how}")
        plt.xlabel("send day")
        self.refresh()
