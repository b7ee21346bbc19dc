"""Home: the chat (requests, agent steps, answers) beside the proposal under review.

Wide terminals put the two side by side; at 80 columns they stack (app.tcss, `-narrow`).
"""

from __future__ import annotations

from coupondesk.tui.desk import is_question, strip_route_prefix
from coupondesk.tui.messages import (
    AgentProgressed,
    BriefSubmitted,
    Failure,
    ProposalReady,
    QuestionAnswered,
    RevisionSubmitted,
)
from coupondesk.tui.screens.review import ReviewScreen
from coupondesk.tui.widgets.action_bar import ActionBar
from coupondesk.tui.widgets.chat_log import ChatLog
from coupondesk.tui.widgets.prompt_input import PromptInput
from coupondesk.tui.widgets.proposal_panel import ProposalPanel
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Header, ProgressBar, Static

WELCOME = (
    "Type a campaign request (English or 中文) and press Enter; the agent's steps appear here. "
    "Questions (ending in ?) are answered from the data. "
    "F2 campaigns · F3 policy · F4 settings · ctrl+p all commands."
)


class HomeScreen(ReviewScreen):
    """Where the operator asks for campaigns and decides on them."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            with Vertical(id="chat-pane"):
                yield ChatLog(id="chat")
                with Horizontal(id="agent-status"):
                    yield ProgressBar(id="agent-progress", show_eta=False, show_percentage=False)
                    yield Static("", id="agent-step")
                yield PromptInput(id="prompt")
            with Vertical(id="review-pane"):
                yield ProposalPanel(id="panel")
                yield ActionBar(id="actions")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.chat.add_note(WELCOME)
        self.query_one(PromptInput).focus()

    @property
    def prompt(self) -> PromptInput:
        return self.query_one("#prompt", PromptInput)

    def _working(self, text: str | None) -> None:
        """Show (or hide) the agent-is-working line above the input."""
        self.query_one("#agent-status").set_class(text is not None, "-busy")
        if text is not None:
            self.query_one("#agent-step", Static).update(text)

    # ------------------------------------------------------------------ requests and questions

    @on(BriefSubmitted)
    def _submitted(self, message: BriefSubmitted) -> None:
        if self.agent_busy:
            self.prompt.restore(message.text)
            self.notify("The agent is still working on the last request; your text is kept.",
                        severity="warning")
            return
        text = strip_route_prefix(message.text)
        self.chat.add_request(message.text)
        if is_question(message.text):
            self._texts["ask"] = message.text
            self._working("looking it up…")
            self._ask(text)
        else:
            self._texts["propose"] = message.text
            self._working("planning…")
            self._propose(text)

    @work(thread=True, exclusive=True, exit_on_error=False, group="agent", name="propose")
    def _propose(self, request: str) -> None:
        proposal = self.desk.propose(
            request, operator=self.desk.settings.operator, on_event=self._emit
        )
        self.post_message(ProposalReady(proposal))

    @work(thread=True, exclusive=True, exit_on_error=False, group="agent", name="ask")
    def _ask(self, question: str) -> None:
        self.post_message(QuestionAnswered(question, self.desk.ask(question)))

    # ------------------------------------------------------------------ results

    @on(AgentProgressed)
    def _step_shown(self, message: AgentProgressed) -> None:
        self._working(f"{message.step}: {message.message}")

    @on(QuestionAnswered)
    def _answered(self, message: QuestionAnswered) -> None:
        self._working(None)
        self._texts.pop("ask", None)
        self.chat.add_answer(message.answer)

    @on(ProposalReady)
    def _ready(self, message: ProposalReady) -> None:
        self._working(None)
        self._texts.pop("propose", None)

    def after_failure(self, failure: Failure) -> None:
        """Give the operator their request back, in the box, ready to edit and resend."""
        self._working(None)
        if failure.job in ("propose", "ask") and failure.text:
            self.prompt.restore(failure.text)
            self.chat.add_note("your request is back in the box: edit it and press Enter")
        self.prompt.focus()

    @on(RevisionSubmitted)
    def _revising(self, message: RevisionSubmitted) -> None:
        self._working("revising…")
