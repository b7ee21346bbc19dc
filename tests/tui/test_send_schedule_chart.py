"""The proposal panel charts the send schedule when codes go out on different days."""

from __future__ import annotations

from coupondesk.tui.widgets.proposal_panel import ProposalPanel
from coupondesk.tui.widgets.send_schedule_chart import SendScheduleChart
from textual.app import App, ComposeResult

from tests.tui.fakes import make_proposal


class PanelApp(App[None]):
    def __init__(self, proposal) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self._proposal = proposal

    def compose(self) -> ComposeResult:
        yield ProposalPanel(id="panel")

    def on_mount(self) -> None:
        self.query_one(ProposalPanel).proposal = self._proposal


async def test_timed_proposal_shows_its_send_schedule() -> None:
    proposal = make_proposal(1, audience_size=600)
    proposal.send_timing = "per_household"
    proposal.send_schedule = [{"date": "2017-12-05", "households": 350},
                              {"date": "2017-12-09", "households": 250}]
    async with PanelApp(proposal).run_test(size=(140, 60)) as pilot:
        await pilot.pause()
        chart = pilot.app.query_one(SendScheduleChart)
        assert chart.total == 600


async def test_untimed_proposal_has_no_schedule_chart() -> None:
    async with PanelApp(make_proposal(1, audience_size=600)).run_test(size=(140, 60)) as pilot:
        await pilot.pause()
        assert not pilot.app.query(SendScheduleChart)
