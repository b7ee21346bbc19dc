"""Cumulative in-scope buyers by day of the validity window, treated vs holdout.

Plotted as shares of each group (the holdout is a tenth of the treated, so counts would hide
it); the legends carry the group sizes. Different marks per series keep it readable without
colour, and the title says "simulated" when the outcomes are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual_plotext import PlotextPlot


class BuyersChart(PlotextPlot):
    """Plot of a readout's `daily` series ([{day, treated_rate, control_rate, ...}])."""

    DEFAULT_CSS = """
    BuyersChart {
        height: 14;
        width: 1fr;
    }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._daily: list[dict[str, Any]] = []
        self._sizes = (0, 0)
        self._simulated = False

    def on_mount(self) -> None:
        self.replot()

    def set_series(self, daily: Sequence[dict[str, Any]], *, treated: int, control: int,
                   simulated: bool) -> None:
        """Show a readout's daily series."""
        self._daily = list(daily)
        self._sizes = (treated, control)
        self._simulated = simulated
        self.replot()

    def replot(self) -> None:
        plt = self.plt
        plt.clear_figure()
        if not self._daily:
            plt.title("no outcomes to chart yet")
            self.refresh()
            return
        days = list(range(1, len(self._daily) + 1))
        treated, control = self._sizes
        plt.plot(days, [100 * d["treated_rate"] for d in self._daily],
                 label=f"treated ({treated:,})", color="cyan", marker="braille")
        plt.plot(days, [100 * d["control_rate"] for d in self._daily],
                 label=f"holdout ({control:,})", color="magenta", marker="hd")
        source = " · SIMULATED outcomes" if self._simulated else ""
        plt.title(f"cumulative in-scope buyers, % of group{source}")
        plt.xlabel(f"day of the window (1 = {self._daily[0]['day']})")
        self.refresh()
