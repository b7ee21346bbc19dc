"""A dispatched campaign's readout: treated against holdout, in the offer's scope and window.

Opened from the campaign detail screen (ctrl+o). The figures come from desk.results (the
same Readout `coupondesk results ID` prints); the verdict says "inconclusive" with the
smallest detectable lift when the interval spans zero, and "SIMULATED" whenever the market
simulator played any of the outcomes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from coupondesk.tui.widgets.buyers_chart import BuyersChart
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from coupondesk.tools.outcomes.readout import Readout
    from coupondesk.tui.desk import Desk


class ResultsLoaded(Message):
    """The campaign's readout came back (desk.results)."""

    def __init__(self, readout: Readout) -> None:
        super().__init__()
        self.readout = readout


def _pct(value: float) -> str:
    return f"{value:.1%}"


def _interval(values: tuple[float, float] | list[Any], fmt: str) -> str:
    low, high = values
    if low is None or high is None or low != low or high != high:
        return "—"
    return f"[{format(low, fmt)}, {format(high, fmt)}]"


def figures_table(readout: Readout) -> Table:
    """The readout's figures as label → value rows."""
    doc = readout.to_json()
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    source = doc["source"] + (" — SIMULATED by the market simulator" if readout.simulated else "")
    table.add_row("Outcomes", source)
    table.add_row("Sent / holdout", f"{doc['sent']:,} codes / {doc['holdout']:,} households")
    table.add_row("Redeemed", f"{doc['redeemed']:,} ({_pct(doc['redemption_rate'])}); predicted "
                  f"{doc['predicted_redemptions']:.1f} "
                  f"{_interval(doc['predicted_interval'], '.1f')}")
    budget = f" of ${doc['budget']:,.2f} budget ({_pct(doc['budget_used'])} used)" if doc[
        "budget"] else ""
    table.add_row("Discount paid", f"${doc['discount_cost']:,.2f}{budget}; expected "
                  f"${doc['expected_cost']:,.2f}")
    refusals = doc["refusals"]
    if refusals["total"]:
        reasons = ", ".join(f"{k} {v}" for k, v in refusals["by_reason"].items())
        table.add_row("Refused", f"{refusals['total']:,} ({reasons})")
    treated, control, lift = doc["treated"], doc["control"], doc["lift"]
    table.add_row("In-scope buyers", f"treated {treated['buyers']:,} "
                  f"({_pct(treated['buy_rate'])}) · holdout {control['buyers']:,} "
                  f"({_pct(control['buy_rate'])})")
    table.add_row("Buy-rate lift", f"{lift['buy_rate_abs']:+.1%} 95% "
                  f"{_interval(lift['ci95'], '+.1%')}, p = {lift['p_value']:.3f}")
    table.add_row("Spend / household", f"treated ${treated['spend_per_household']:,.2f} · "
                  f"holdout ${control['spend_per_household']:,.2f} · lift "
                  f"${lift['spend_per_household_abs']:+,.2f} "
                  f"{_interval(lift['spend_ci95'], '+,.2f')}")
    roi = doc["incremental_roi"]
    table.add_row("Incremental margin", f"${doc['incremental_margin']:+,.2f}"
                  + (f" · ROI {roi:+.2f}" if roi is not None else ""))
    table.add_row("Detectable lift", f"{_pct(doc['minimum_detectable_lift'])} points "
                  "(80% power, 5% two-sided, at these group sizes)")
    return table


def verdict(readout: Readout) -> Text:
    """One line: conclusive or not, in words and colour."""
    prefix = "SIMULATED · " if readout.simulated else ""
    if readout.conclusive:
        return Text(f"{prefix}conclusive: the buy-rate interval excludes zero", style="bold green")
    return Text(
        f"{prefix}inconclusive: the interval spans zero; this holdout can only detect a lift of "
        f"{readout.minimum_detectable_lift:.1%} points or more", style="bold yellow")


class ResultsScreen(Screen[None]):
    """The readout of one campaign, with the cumulative-buyers chart."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("f5", "reload", "Reload")]

    def __init__(self, campaign_id: int) -> None:
        super().__init__()
        self.campaign_id = campaign_id

    @property
    def desk(self) -> Desk:
        return self.app.desk  # type: ignore[attr-defined, no-any-return]

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="results-body"):
            yield Static(f"Results · campaign {self.campaign_id}", classes="screen-title")
            yield Static("loading the readout…", id="verdict")
            yield Static("", id="figures")
            yield BuyersChart(id="buyers-chart")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._load()

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="results", name="results")
    def _load(self) -> None:
        self.post_message(ResultsLoaded(self.desk.results(self.campaign_id)))

    @on(ResultsLoaded)
    def _loaded(self, message: ResultsLoaded) -> None:
        readout = message.readout
        self.query_one("#verdict", Static).update(verdict(readout))
        self.query_one("#figures", Static).update(figures_table(readout))
        self.query_one(BuyersChart).set_series(
            readout.daily, treated=readout.sent, control=readout.holdout,
            simulated=readout.simulated)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed load (no outcomes yet, database down): say so in the verdict line."""
        if event.state != WorkerState.ERROR or event.worker.error is None:
            return
        from coupondesk.tui.format import error_words

        title, text = error_words(event.worker.error)
        self.query_one("#verdict", Static).update(Text(f"{title}: {text}", style="bold red"))
        self.notify(text, title=title, severity="error", timeout=10)
