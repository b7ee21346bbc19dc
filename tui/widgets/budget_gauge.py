"""A one-line gauge of expected cost against the budget, readable with or without colour.

Self-contained and reusable (hence its own DEFAULT_CSS): the bar shows the share, the numbers
and a status word say the same thing in text, and the colour (green / amber / red) repeats it.
"""

from __future__ import annotations

from coupondesk.agent.describe import money
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

WARN_SHARE = 0.9
"""Above this share of the budget the gauge turns amber: little room for a wrong estimate."""


class BudgetGauge(Widget):
    """`████████░░░░ 62%  $1,234 of $2,000 budget`."""

    DEFAULT_CSS = """
    BudgetGauge {
        height: 1;
        width: 1fr;
    }
    """

    cost: reactive[float] = reactive(0.0)
    budget: reactive[float | None] = reactive(None)

    def __init__(self, cost: float = 0.0, budget: float | None = None, **kwargs: str) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.set_reactive(BudgetGauge.cost, cost)
        self.set_reactive(BudgetGauge.budget, budget)

    @property
    def share(self) -> float | None:
        """Expected cost as a share of the budget (None without a budget)."""
        if not self.budget:
            return None
        return self.cost / self.budget

    @property
    def verdict(self) -> str:
        """The gauge's meaning in words."""
        share = self.share
        if share is None:
            return "no budget set"
        if share > 1:
            return "OVER BUDGET"
        return "near the limit" if share > WARN_SHARE else "within budget"

    def render(self) -> Text:
        cost = money(round(self.cost, 2))
        share = self.share
        if share is None:
            return Text.assemble((f"{cost} expected", "bold"), ("  no budget set", "yellow"))
        style = "red" if share > 1 else "yellow" if share > WARN_SHARE else "green"
        label = f" {share:>4.0%}  {cost} of {money(self.budget or 0)} budget · {self.verdict}"
        width = max(8, min(30, self.size.width - len(label) - 1))
        filled = min(width, round(width * min(share, 1.0)))
        if share > 0 and filled == 0:
            filled = 1  # something is spent: never draw an empty bar
        return Text.assemble(
            ("█" * filled, style), ("░" * (width - filled), "dim"), (label, f"bold {style}")
        )
