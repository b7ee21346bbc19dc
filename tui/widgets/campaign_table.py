"""Every campaign in one table: status, operator, dates, audience, cost, request."""

from __future__ import annotations

from collections.abc import Sequence

from coupondesk.tools.campaigns.records import CampaignRow
from coupondesk.tui.format import day, money_or_dash, status_badge
from rich.text import Text
from textual.widgets import DataTable

COLUMNS = ("#", "status", "operator", "created", "valid", "audience", "cost", "issued",
           "budget", "request")
REQUEST_WIDTH = 48


class CampaignTable(DataTable[Text | str]):
    """Rows keyed by campaign id; Enter (or a click) opens the campaign."""

    def __init__(self, **kwargs: str) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]

    def on_mount(self) -> None:
        for name in COLUMNS:
            self.add_column(name, key=name)

    def show_rows(self, rows: Sequence[CampaignRow]) -> None:
        """Replace the contents, keeping the cursor on the same campaign when it still exists."""
        selected = self.selected_campaign
        self.clear()
        for row in rows:
            valid = (f"{day(row.valid_from)[5:]}→{day(row.valid_to)[5:]}"
                     if row.valid_from else "-")
            request = row.request if len(row.request) <= REQUEST_WIDTH else (
                row.request[: REQUEST_WIDTH - 1] + "…")
            self.add_row(
                Text(str(row.id), justify="right"), status_badge(row.status), row.created_by,
                day(row.created_at)[:10], valid,
                Text(f"{row.audience_size:,}" if row.audience_size is not None else "-",
                     justify="right"),
                Text(money_or_dash(row.expected_cost), justify="right"),
                Text(f"{row.issued:,}", justify="right"),
                Text(money_or_dash(row.budget), justify="right"), request, key=str(row.id),
            )
        if selected is not None and str(selected) in self.rows:
            self.move_cursor(row=self.get_row_index(str(selected)))

    @property
    def selected_campaign(self) -> int | None:
        """Id of the campaign under the cursor."""
        if self.row_count == 0:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return int(key.value) if key.value is not None else None
