"""Ask for a change in words; the agent re-plans from it ("make it 10%", "only 200 households")."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static


class ReviseDialog(ModalScreen[str | None]):
    """Returns the change, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, campaign_id: int, draft: str = "") -> None:
        super().__init__()
        self.campaign_id = campaign_id
        self.draft = draft

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog -revise"):
            yield Static(f"Revise campaign {self.campaign_id}", classes="dialog-title")
            yield Static(
                "Say what to change; everything after the plan is re-run and checked again.\n"
                "e.g. make it 10% · only 200 households · valid 14 days · budget $1,500",
                classes="muted",
            )
            yield Input(self.draft, placeholder="the change, in words", id="change")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Revise", id="confirm", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#change", Input).focus()

    def _submit(self) -> None:
        change = self.query_one("#change", Input).value.strip()
        if not change:
            self.notify("Type the change you want first.", severity="warning")
            return
        self.dismiss(change)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "confirm":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
