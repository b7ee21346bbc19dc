"""The gain curve: expected redemptions and cost against audience size, chosen cut marked.

A textual-plotext chart (not hand-drawn bars). The x axis is the ranking: the first N
households by expected value per dollar. Redemptions are on the left axis, dollars on the
right; the vertical line is where the allocation stopped (budget, policy size or value).
Legends name every series and the two series use different marks (braille dots for
redemptions, half blocks for cost), so the chart still reads on a monochrome terminal.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual_plotext import PlotextPlot


class GainChart(PlotextPlot):
    """Plot of a proposal's `gain_curve` ([{size, redemptions, cost, chosen}])."""

    DEFAULT_CSS = """
    GainChart {
        height: 14;
        width: 1fr;
    }
    """

    def __init__(self, curve: Sequence[dict[str, float]] = (), **kwargs: str) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._curve: list[dict[str, float]] = list(curve)

    def on_mount(self) -> None:
        self.replot()

    def set_curve(self, curve: Sequence[dict[str, float]]) -> None:
        """Show another proposal's curve."""
        self._curve = list(curve)
        self.replot()

    @property
    def chosen_size(self) -> int | None:
        """Audience size at the chosen cut (None when the curve marks none)."""
        chosen = [p for p in self._curve if p.get("chosen")]
        return int(chosen[-1]["size"]) if chosen else None

    def replot(self) -> None:
        plt = self.plt
        plt.clear_figure()
        if not self._curve:
            plt.title("no ranking to chart (nobody was scored)")
            self.refresh()
            return
        sizes = [int(p["size"]) for p in self._curve]
        plt.plot(sizes, [p["redemptions"] for p in self._curve], label="expected redemptions",
                 color="cyan", marker="braille")
        plt.plot(sizes, [p["cost"] for p in self._curve], label="expected cost, right axis ($)",
                 color="magenta", marker="hd", yside="right")
        chosen = self.chosen_size
        if chosen is not None:
            plt.vline(chosen, color="yellow")
            plt.title(f"gain curve · chosen cut: {chosen:,} households (│)")
        else:
            plt.title("gain curve")
        plt.xlabel("audience size (best-ranked first)")
        self.refresh()
