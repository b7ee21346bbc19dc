"""A sample of recipients: household, acceptance probability, expected cost and the reason."""

from __future__ import annotations

from collections.abc import Sequence

from coupondesk.tools.campaigns.proposal import RecipientRow
from coupondesk.tui.format import cents
from rich.table import Table
from textual.widgets import Static

SAMPLE_SIZE = 8


def recipients_table(rows: Sequence[RecipientRow], total: int) -> Table:
    """Rich table (wraps the reason column, measures CJK cells correctly)."""
    table = Table(
        expand=True, box=None, header_style="bold", pad_edge=False,
        caption=f"showing {min(len(rows), SAMPLE_SIZE)} of {total:,} recipients, best-ranked first",
        caption_justify="left", caption_style="dim",
    )
    table.add_column("household", justify="right", no_wrap=True)
    table.add_column("P(redeem)", justify="right", no_wrap=True)
    table.add_column("exp. cost", justify="right", no_wrap=True)
    table.add_column("why", ratio=1, overflow="fold")
    for row in rows[:SAMPLE_SIZE]:
        table.add_row(
            str(row.household_id), f"{row.p_redeem:.1%}", cents(row.expected_cost),
            row.reason or "-",
        )
    return table


class RecipientsTable(Static):
    """The first recipients of the ranking, so the operator can sanity-check who is targeted."""

    def __init__(self, rows: Sequence[RecipientRow], total: int, **kwargs: str) -> None:
        super().__init__(recipients_table(rows, total), **kwargs)  # type: ignore[arg-type]
