"""A sample of recipients: household, (its depth and uplift,) P(redeem), expected cost, why."""

from __future__ import annotations

from collections.abc import Sequence

from coupondesk.agent.describe import depth_label
from coupondesk.tools.campaigns.proposal import RecipientRow
from coupondesk.tui.format import cents
from rich.table import Table
from textual.widgets import Static

SAMPLE_SIZE = 8


def _depth(row: RecipientRow) -> str:
    """ "15%" / "$2": the arm names the kind (percent_off:15, amount_off:2)."""
    if row.value is None:
        return "-"
    kind = "amount_off" if (row.arm or "").startswith("amount_off") else "percent_off"
    return depth_label(kind, row.value).removesuffix(" off")


def recipients_table(rows: Sequence[RecipientRow], total: int) -> Table:
    """Rich table (wraps the reason column, measures CJK cells correctly)."""
    table = Table(
        expand=True, box=None, header_style="bold", pad_edge=False,
        caption=f"showing {min(len(rows), SAMPLE_SIZE)} of {total:,} recipients, best-ranked first",
        caption_justify="left", caption_style="dim",
    )
    per_household = any(row.value is not None for row in rows)
    table.add_column("household", justify="right", no_wrap=True)
    if per_household:  # depths chosen per household: each row's depth and what it adds
        table.add_column("depth", justify="right", no_wrap=True)
        table.add_column("uplift", justify="right", no_wrap=True)
    table.add_column("P(redeem)", justify="right", no_wrap=True)
    table.add_column("exp. cost", justify="right", no_wrap=True)
    table.add_column("why", ratio=1, overflow="fold")
    for row in rows[:SAMPLE_SIZE]:
        depth = []
        if per_household:
            depth = [_depth(row),
                     f"{row.uplift:+.1%}" if row.uplift is not None else "-"]
        table.add_row(
            str(row.household_id), *depth, f"{row.p_redeem:.1%}", cents(row.expected_cost),
            row.reason or "-",
        )
    return table


class RecipientsTable(Static):
    """The first recipients of the ranking, so the operator can sanity-check who is targeted."""

    def __init__(self, rows: Sequence[RecipientRow], total: int, **kwargs: str) -> None:
        super().__init__(recipients_table(rows, total), **kwargs)  # type: ignore[arg-type]
