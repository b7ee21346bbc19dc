"""Per-household depths: the depth mix, its incremental figures, and propensity ranking's.

Shown only when the allocate step chose a depth per household (a range or "best depth"
request). The operator reads what the proposal buys (incremental buyers and margin, not
redemptions) beside what today's ranking would have bought with the same budget, and whether
the depth response behind those figures was learned from outcomes or is still the prior.
"""

from __future__ import annotations

from coupondesk.agent.describe import depth_label
from coupondesk.tools.campaigns.proposal import Proposal
from coupondesk.tui.format import cents
from rich.table import Table
from textual.widgets import Static


def response_words(proposal: Proposal) -> str:
    """What priced the depths, short: the full source is under the proposal's assumptions."""
    response = proposal.depth_response or {}
    if not response.get("learned"):
        return "stated prior, not learned (no campaign outcomes yet)"
    source = str(response.get("source") or "learned")
    return "learned: " + source.split(" (prior:")[0].removeprefix("depth-response learner ")


def _signed(value: float | None) -> str:
    if value is None:
        return "-"
    return f"-{cents(-value)}" if value < 0 else cents(value)


def _roi(value: float | None) -> str:
    return "-" if value is None else f"{value:+.2f}"


def depth_mix_table(proposal: Proposal) -> Table:
    """Rich table: one row per depth used, the total, then propensity ranking's same budget."""
    table = Table(
        expand=False, box=None, header_style="bold", pad_edge=False,
        caption=f"depth response: {response_words(proposal)}",
        caption_justify="left", caption_style="dim",
    )
    table.add_column("depth", overflow="fold")
    table.add_column("codes", justify="right", no_wrap=True)
    table.add_column("exp. cost", justify="right", no_wrap=True)
    table.add_column("incr. buyers", justify="right", no_wrap=True)
    table.add_column("incr. margin", justify="right", no_wrap=True)
    table.add_column("ROI", justify="right", no_wrap=True)
    for mix in proposal.depth_mix:
        table.add_row(
            depth_label(str(mix["kind"]), float(mix["value"])), f"{int(mix['households']):,}",
            cents(float(mix["expected_cost"])),
            f"{float(mix['expected_incremental_buyers']):,.2f}", "", "",
        )
    buyers = sum(float(m["expected_incremental_buyers"]) for m in proposal.depth_mix)
    table.add_row(
        "this proposal", f"{sum(int(m['households']) for m in proposal.depth_mix):,}",
        cents(sum(float(m["expected_cost"]) for m in proposal.depth_mix)), f"{buyers:,.2f}",
        _signed(proposal.expected_incremental_margin), _roi(proposal.incremental_roi),
        style="bold",
    )
    comparison = proposal.propensity_comparison
    if comparison:
        label = "propensity, " + depth_label(
            str(comparison.get("kind", proposal.plan.offer.kind)),
            float(comparison.get("value", proposal.plan.offer.value)))
        table.add_row(
            label, f"{int(comparison.get('households', 0)):,}",
            cents(float(comparison.get("expected_cost", 0.0))),
            f"{float(comparison.get('expected_incremental_buyers', 0.0)):,.2f}",
            _signed(comparison.get("expected_incremental_margin")),
            _roi(comparison.get("incremental_roi")), style="dim",
        )
    return table


class DepthMixTable(Static):
    """The depth mix of a per-household proposal, beside propensity ranking's."""

    def __init__(self, proposal: Proposal, **kwargs: str) -> None:
        super().__init__(depth_mix_table(proposal), **kwargs)  # type: ignore[arg-type]
