"""The proposal under review: offer, audience, money, assumptions, copy, chart, recipients.

Everything shown comes from the Proposal model the desk returned (the same document the CLI
prints with --json); nothing is computed here except presentation.
"""

from __future__ import annotations

from coupondesk.agent.describe import describe_offer, money
from coupondesk.tools.campaigns.proposal import Proposal
from coupondesk.tui.format import status_badge, validity
from coupondesk.tui.widgets.budget_gauge import BudgetGauge
from coupondesk.tui.widgets.chat_log import labelled
from coupondesk.tui.widgets.copy_variants import CopyVariants
from coupondesk.tui.widgets.depth_mix_table import DepthMixTable
from coupondesk.tui.widgets.gain_chart import GainChart
from coupondesk.tui.widgets.recipients_table import RecipientsTable
from coupondesk.tui.widgets.send_schedule_chart import SendScheduleChart
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

EXAMPLE_REQUESTS = (
    "win back lapsed coffee buyers with 15% off, budget $2,000, valid one week",
    "给三个月没买咖啡的顾客发 10% 折扣券，预算 1000 美元",
)
"""The campaign requests the empty screen suggests (tests/agent/test_ui_examples.py proposes
each one on the test data and expects recipients)."""
EXAMPLE_QUESTION = "how many households bought coffee last month?"
EMPTY_HINT = (
    "No proposal yet.\n\nType a campaign request below, in English or Chinese, e.g.\n"
    + "".join(f"  {example}\n" for example in EXAMPLE_REQUESTS)
    + f"\nor ask a question: {EXAMPLE_QUESTION}"
)


def budget_rule(proposal: Proposal) -> str:
    """Where the budget is enforced and the chance redemptions pass it, in words."""
    risk = (
        f"; P(redemptions pass the budget) {proposal.refusal_risk:.1%}"
        if proposal.refusal_risk is not None and proposal.budget is not None else ""
    )
    if proposal.budget_mode == "service":
        return f"enforced at redemption (a redemption past the budget is refused){risk}"
    return f"export only: the worst-case rule sizes the cut{risk}"


class ProposalPanel(VerticalScroll):
    """Scrollable review of one proposal; set `proposal` to show another."""

    proposal: reactive[Proposal | None] = reactive(None, recompose=True)

    def __init__(self, *, empty_text: str = EMPTY_HINT, **kwargs: str) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.empty_text = empty_text

    def compose(self) -> ComposeResult:
        proposal = self.proposal
        if proposal is None:
            yield Static(self.empty_text, id="p-empty", classes="muted")
            return
        yield Static(self._title(proposal), id="p-title")
        with Grid(id="p-figures"):
            yield from self._figures(proposal)
        yield from self._notes(proposal)
        if proposal.depth_mix:
            yield Static("Depth per household: incremental effect", classes="section-title")
            yield DepthMixTable(proposal, id="p-depth-mix")
        yield Static("Copy variants", classes="section-title")
        yield CopyVariants(proposal.copy_variants, proposal.selected_copy, id="p-copy")
        yield Static("Expected redemptions and cost by audience size", classes="section-title")
        yield GainChart(proposal.gain_curve, id="p-chart")
        if proposal.send_schedule:
            yield Static("When the codes are sent", classes="section-title")
            yield SendScheduleChart(proposal.send_schedule, mode=proposal.send_timing,
                                    id="p-schedule")
        yield Static("Recipients (sample)", classes="section-title")
        yield RecipientsTable(proposal.recipients, proposal.audience_size, id="p-recipients")

    @staticmethod
    def _title(proposal: Proposal) -> str:
        badge = status_badge(proposal.status)
        needs = proposal.approvals_required
        approvals = f"needs {needs} approvals (two operators)" if needs > 1 else "needs 1 approval"
        if proposal.status in ("dispatched", "rejected"):
            approvals = "decided"
        blocked = (
            f"  BLOCKED by {', '.join(proposal.blocking_rules)}: revise or reject"
            if proposal.blocking else ""
        )
        status = f"[{badge.style}]{badge.plain}[/]"
        return f"Campaign {proposal.campaign_id} · {status} · {approvals}{blocked}"

    @staticmethod
    def _figures(proposal: Proposal) -> ComposeResult:
        offer = proposal.plan.offer
        rows: list[tuple[str, str]] = [
            ("Offer", describe_offer(offer)),
            ("Request", proposal.plan.request or "-"),
            ("Audience", f"{proposal.audience_size:,} codes · "
                         f"{proposal.audience_description or 'no audience'}"),
            ("Holdout", f"{proposal.holdout_size:,} households get nothing (control group) · "
                        f"{proposal.eligible_size:,} eligible"),
            ("Valid", validity(proposal)),
            ("Expected", f"{proposal.expected_redemptions:,.0f} redemptions"),
        ]
        for label, value in rows:
            yield Static(label, classes="fig-label")
            yield Static(value, classes="fig-value", markup=False)
        yield Static("Cost", classes="fig-label")
        yield BudgetGauge(proposal.expected_cost, proposal.budget, id="p-gauge")
        if proposal.stopped_by_text:
            yield Static("Cut", classes="fig-label")
            yield Static(proposal.stopped_by_text, classes="fig-value", markup=False,
                         id="p-stopped-by")
        yield Static("Budget rule", classes="fig-label")
        yield Static(budget_rule(proposal), classes="fig-value", markup=False)
        yield Static("Worst case", classes="fig-label")
        yield Static(
            f"{money(round(proposal.worst_case_liability, 2))} if every code is redeemed at "
            "the largest discount", classes="fig-value",
        )

    @staticmethod
    def _notes(proposal: Proposal) -> ComposeResult:
        for question in proposal.plan.questions:
            yield Static(labelled(Text("QUESTION"), Text(question)), classes="note -question")
        for assumption in proposal.assumptions:
            yield Static(labelled(Text("ASSUMED"), Text(assumption)), classes="note -assumption")
        for violation in proposal.violations:
            value = "" if violation.value in (None, "") else f" (value: {violation.value!r})"
            yield Static(
                labelled(Text("FAIL"), Text(f"{violation.rule}: {violation.message}{value}")),
                classes="note -violation",
            )
