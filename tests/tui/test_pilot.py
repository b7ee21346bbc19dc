"""Pilot tests: the operator's flows end to end against a FakeDesk (harlequin's message_hook)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from coupondesk.tools.errors import LLMError, NotReadyError
from coupondesk.tui.app import CampaignApp
from coupondesk.tui.messages import (
    AgentProgressed,
    ApprovalConfirmed,
    BriefSubmitted,
    CampaignRejected,
    DispatchCompleted,
    ProposalFailed,
    ProposalReady,
    QuestionAnswered,
    RevisionSubmitted,
)
from coupondesk.tui.screens.approve_dialog import ApproveDialog
from coupondesk.tui.screens.campaign_detail import CampaignDetailScreen
from coupondesk.tui.screens.home import HomeScreen
from coupondesk.tui.widgets.chat_log import ChatLog
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Static

from tests.tui.conftest import of_type, settle, type_and_send
from tests.tui.fakes import RANGE_REQUEST, REQUEST, FakeDesk, FakeStore, make_proposal

AppFactory = Callable[..., CampaignApp]


def rendered(widget: Static) -> str:
    """The plain text of a Static (Rich renderables included), unwrapped at 400 columns."""
    import io

    from rich.console import Console

    console = Console(width=400, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


def chat_text(app: CampaignApp) -> str:
    log = app.screen.query_one("#chat", ChatLog)
    return "\n".join(rendered(line) for line in log.query(Static))


async def propose(pilot: Any, text: str = REQUEST) -> None:
    await type_and_send(pilot, text)
    await settle(pilot)


async def test_request_to_proposal_to_dispatch(app_factory: AppFactory, desk: FakeDesk) -> None:
    messages: list[Message] = []
    app = app_factory(desk)
    async with app.run_test(size=(140, 45), message_hook=messages.append) as pilot:
        await propose(pilot)
        assert [m.text for m in of_type(messages, BriefSubmitted)] == [REQUEST]
        steps = [m.step for m in of_type(messages, AgentProgressed)]
        assert steps == ["plan", "audience", "score", "allocate", "copy", "check", "propose"]
        screen = app.screen
        assert isinstance(screen, HomeScreen) and screen.proposal is not None
        assert "1,204 households" in chat_text(app)
        assert not screen.query_one("#approve", Button).disabled
        stop = rendered(screen.query_one("#p-stopped-by", Static))
        assert "the budget ends the cut at 600 households" in stop

        await pilot.press("ctrl+y")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ApproveDialog)
        facts = rendered(dialog.query_one("#approve-facts", Static))
        for expected in ("600 unique coupon codes", "15% off COFFEE, valid 7 days",
                         "2017-12-05 → 2017-12-11", "$2,000", "alice"):
            assert expected in facts
        await pilot.press("enter")
        await settle(pilot)

        assert of_type(messages, ApprovalConfirmed)[0].campaign_id == 1
        outcome = of_type(messages, DispatchCompleted)[0].outcome
        assert (outcome.status, outcome.issued) == ("dispatched", 600)
        assert desk.store.issued == {1: 600}
        assert "campaign 1 dispatched: 600 codes issued" in chat_text(app)
        assert screen.query_one("#approve", Button).disabled


async def test_range_request_shows_the_depth_mix_beside_propensity(
    app_factory: AppFactory, desk: FakeDesk
) -> None:
    app = app_factory(desk)
    async with app.run_test(size=(140, 45)) as pilot:
        await propose(pilot, RANGE_REQUEST)
        screen = app.screen
        assert isinstance(screen, HomeScreen) and screen.proposal is not None
        mix = rendered(screen.query_one("#p-depth-mix", Static))
        lines = mix.splitlines()
        for depth, households, buyers in (("10% off", "200", "21.40"), ("15% off", "200", "18.40"),
                                          ("20% off", "200", "15.40")):
            row = next(line for line in lines if line.startswith(depth))
            assert households in row and buyers in row
        total = next(line for line in lines if line.startswith("this proposal"))
        assert "55.20" in total and "-$212.35" in total and "-0.14" in total
        rival = next(line for line in lines if line.startswith("propensity, 20% off"))
        assert "512" in rival and "38.20" in rival and "-$640.10" in rival
        assert "depth response: stated prior, not learned" in mix
        recipients = rendered(screen.query_one("#p-recipients", Static))
        assert "depth" in recipients and "uplift" in recipients
        assert "+9.0%" in recipients and "10%" in recipients

    # A fixed-depth proposal has no depth mix and no per-household columns.
    app = app_factory(FakeDesk(desk.settings))
    async with app.run_test(size=(140, 45)) as pilot:
        await propose(pilot)
        assert not app.screen.query("#p-depth-mix")
        assert "uplift" not in rendered(app.screen.query_one("#p-recipients", Static))


async def test_question_is_answered_in_the_chat(app_factory: AppFactory, desk: FakeDesk) -> None:
    messages: list[Message] = []
    async with app_factory(desk).run_test(message_hook=messages.append) as pilot:
        await type_and_send(pilot, "how many households bought coffee last month?", keys=True)
        await settle(pilot)
        assert desk.calls == [("ask", "how many households bought coffee last month?")]
        assert of_type(messages, QuestionAnswered)
        assert "312 households bought COFFEE" in chat_text(pilot.app)
        assert pilot.app.screen.proposal is None


async def test_answer_shows_the_reading_then_the_figure(
    app_factory: AppFactory, desk: FakeDesk, monkeypatch: Any
) -> None:
    answer = {"answer": "counted: households · scope: COFFEE → 56 households.", "answered": True,
              "reading": "counted: households · scope: COFFEE · bought: 2017-03-01 to 2017-03-31",
              "figure": "56 households", "query": {"measure": "households"}}
    monkeypatch.setattr(desk, "ask", lambda question: answer)
    async with app_factory(desk).run_test() as pilot:
        await type_and_send(pilot, "how many households bought coffee in March?", keys=True)
        await settle(pilot)
        text = chat_text(pilot.app)
        assert "read as: counted: households · scope: COFFEE · bought: 2017-03-01" in text
        assert "56 households" in text and "measure" not in text


async def test_revise_replaces_the_proposal(app_factory: AppFactory, desk: FakeDesk) -> None:
    messages: list[Message] = []
    async with app_factory(desk).run_test(size=(140, 45), message_hook=messages.append) as pilot:
        await propose(pilot)
        await pilot.press("ctrl+r")
        await pilot.pause()
        await type_and_send(pilot, "make it 10%")
        await settle(pilot)
        assert of_type(messages, RevisionSubmitted)[0].change == "make it 10%"
        assert of_type(messages, ProposalReady)[-1].revised
        assert desk.calls[-1] == ("revise", (1, "make it 10%"))
        assert pilot.app.screen.proposal.plan.offer.value == 10
        assert "revised: make it 10%" in chat_text(pilot.app)


async def test_reject_with_a_reason(app_factory: AppFactory, desk: FakeDesk) -> None:
    messages: list[Message] = []
    async with app_factory(desk).run_test(message_hook=messages.append) as pilot:
        await propose(pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.press("enter")  # an empty reason is refused
        await pilot.pause()
        assert not of_type(messages, CampaignRejected)
        await type_and_send(pilot, "too generous")
        await settle(pilot)
        row = of_type(messages, CampaignRejected)[0].row
        assert (row.status, row.rejected_reason) == ("rejected", "too generous")
        screen = pilot.app.screen
        assert screen.proposal.status == "rejected"
        assert all(b.disabled for b in screen.query(Button))
        assert screen.check_action("approve", ()) is None  # greyed out in the footer


async def test_restart_sees_paused_proposal_and_approves_it(
    app_factory: AppFactory, settings: Any, store: FakeStore
) -> None:
    async with app_factory(FakeDesk(settings, store)).run_test() as pilot:
        await propose(pilot)
    assert store.campaigns[1].row.status == "proposed"

    messages: list[Message] = []
    restarted = app_factory(FakeDesk(settings, store))
    async with restarted.run_test(size=(140, 45), message_hook=messages.append) as pilot:
        await pilot.press("f2")
        await settle(pilot)
        table = pilot.app.screen.query_one("#campaigns")
        assert table.row_count == 1 and "PROPOSED" in str(table.get_row_at(0)[1])
        await pilot.press("enter")
        await settle(pilot)
        detail = pilot.app.screen
        assert isinstance(detail, CampaignDetailScreen) and detail.proposal is not None
        await pilot.press("ctrl+y")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert of_type(messages, DispatchCompleted)[0].outcome.issued == 600
        assert store.issued == {1: 600}
        assert "dispatched" in rendered(detail.query_one("#record", Static)).lower()


async def test_error_keeps_the_typed_request(app_factory: AppFactory, desk: FakeDesk) -> None:
    desk.fail_next = NotReadyError("database sqlite:///x.db is unreachable: disk I/O error")
    messages: list[Message] = []
    async with app_factory(desk).run_test(message_hook=messages.append) as pilot:
        await propose(pilot)
        failure = of_type(messages, ProposalFailed)[0].failure
        assert failure.text == REQUEST and failure.title == "Not set up"
        assert pilot.app.screen.query_one("#prompt", Input).value == REQUEST
        assert "database sqlite:///x.db is unreachable" in chat_text(pilot.app)
        severities = [n.severity for n in pilot.app._notifications]
        assert "error" in severities
        await pilot.press("enter")  # the same request, sent again, now works
        await settle(pilot)
        assert pilot.app.screen.proposal is not None


async def test_revision_failure_keeps_the_change(app_factory: AppFactory, desk: FakeDesk) -> None:
    async with app_factory(desk).run_test() as pilot:
        await propose(pilot)
        desk.fail_next = LLMError("the LLM endpoint http://127.0.0.1:9/v1 is not answering")
        await pilot.press("ctrl+r")
        await pilot.pause()
        await type_and_send(pilot, "only 200 households")
        await settle(pilot)
        assert "LLM endpoint" in chat_text(pilot.app)
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert pilot.app.screen.query_one("#change", Input).value == "only 200 households"


async def test_busy_agent_keeps_a_second_request(app_factory: AppFactory, desk: FakeDesk) -> None:
    import threading

    desk.gate = threading.Event()
    async with app_factory(desk).run_test() as pilot:
        await type_and_send(pilot, REQUEST)
        await pilot.pause()
        await type_and_send(pilot, "another one")
        await pilot.pause()
        assert pilot.app.screen.query_one("#prompt", Input).value == "another one"
        desk.gate.set()
        await settle(pilot)
        assert [c for c in desk.calls if c[0] == "propose"] == [("propose", REQUEST)]


async def test_blocked_proposal_cannot_be_approved(
    app_factory: AppFactory, desk: FakeDesk
) -> None:
    desk.add(make_proposal(1, percent=40, blocked=True))
    async with app_factory(desk).run_test() as pilot:
        await pilot.press("f2")
        await settle(pilot)
        table = pilot.app.screen.query_one(DataTable)
        status = table.get_row_at(0)[1]
        assert status.plain == "BLOCKED" and "red" in str(status.style)
        await pilot.press("enter")
        await settle(pilot)
        screen = pilot.app.screen
        assert screen.query_one("#approve", Button).disabled
        assert not screen.query_one("#revise", Button).disabled  # a revision re-proposes it
        title = rendered(screen.query_one("#p-title", Static))
        assert "BLOCKED" in title and "offer.max_percent" in title
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert not isinstance(pilot.app.screen, ApproveDialog)
        assert any("offer.max_percent" in n.message for n in pilot.app._notifications)


async def test_second_operator_needed(app_factory: AppFactory, desk: FakeDesk) -> None:
    desk.add(make_proposal(1, approvals_required=2))
    async with app_factory(desk).run_test() as pilot:
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("ctrl+y")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert desk.store.issued == {}
        assert "1 more approval" in chat_text(pilot.app)


async def test_palette_offers_the_decisions(app_factory: AppFactory, desk: FakeDesk) -> None:
    async with app_factory(desk).run_test() as pilot:
        titles = [c.title for c in pilot.app.get_system_commands(pilot.app.screen)]
        assert "Go to Campaigns" in titles and "Approve campaign 1" not in titles
        await propose(pilot)
        titles = [c.title for c in pilot.app.get_system_commands(pilot.app.screen)]
        assert {"Approve campaign 1", "Revise campaign 1", "Reject campaign 1"} <= set(titles)


async def test_policy_and_settings_screens(app_factory: AppFactory, desk: FakeDesk) -> None:
    async with app_factory(desk).run_test(size=(140, 45)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        assert "max_percent" in rendered(pilot.app.screen.query_one("#policy-sections", Static))
        await pilot.press("f4")
        await settle(pilot)
        text = rendered(pilot.app.screen.query_one("#settings-table", Static))
        assert "sqlite:///" in text and "fake" in text
        assert "fake-model" in rendered(pilot.app.screen.query_one("#llm-table", Static))


async def test_results_screen_from_the_campaign_detail(
    app_factory: AppFactory, settings: Any, store: FakeStore
) -> None:
    from coupondesk.tui.screens.results import ResultsScreen
    from coupondesk.tui.widgets.buyers_chart import BuyersChart

    desk = FakeDesk(settings, store)
    async with app_factory(desk).run_test(size=(140, 45)) as pilot:
        await propose(pilot)
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("ctrl+o")  # not dispatched yet: the screen says why
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ResultsScreen)
        assert "no outcomes yet" in rendered(screen.query_one("#verdict", Static))
        await pilot.press("escape")
        await settle(pilot)
        store.issued[1] = 600
        await pilot.press("ctrl+o")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ResultsScreen) and ("results", 1) in desk.calls
        verdict = rendered(screen.query_one("#verdict", Static))
        assert "SIMULATED" in verdict and "inconclusive" in verdict
        figures = rendered(screen.query_one("#figures", Static))
        assert "SIMULATED by the market simulator" in figures
        assert "150 (25.0%)" in figures and "12 (18.2%)" in figures
        chart = screen.query_one(BuyersChart)
        assert chart._daily[-1]["treated_buyers"] == 150 and chart._simulated
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, CampaignDetailScreen)


async def test_export_from_campaign_detail(app_factory: AppFactory, desk: FakeDesk,
                                           settings: Any) -> None:
    from coupondesk.tui.messages import CampaignExported

    desk.add(make_proposal(1))
    desk.approve(1, operator="alice")
    desk.add(make_proposal(2))
    messages: list[Message] = []
    async with app_factory(desk).run_test(size=(140, 45), message_hook=messages.append) as pilot:
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("down")  # newest first: campaign 2, then the dispatched 1
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, CampaignDetailScreen)
        assert pilot.app.screen.campaign_id == 1
        await pilot.press("ctrl+e")
        await settle(pilot)
        [exported] = of_type(messages, CampaignExported)
        path = settings.home / "exports" / "campaign-1.csv"
        assert exported.result.path == path and path.read_bytes().startswith(b"campaign_id,")
        assert str(path) in chat_text(pilot.app).replace("\n", "")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("up")
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen.campaign_id == 2  # type: ignore[attr-defined]
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert len(of_type(messages, CampaignExported)) == 1
        assert "only a dispatched campaign has codes" in chat_text(pilot.app)
