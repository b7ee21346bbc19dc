"""Reject with a reason: the reason is kept in the audit log, and the campaign never dispatches."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static


class RejectDialog(ModalScreen[str | None]):
    """Returns the reason, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, campaign_id: int, draft: str = "") -> None:
        super().__init__()
        self.campaign_id = campaign_id
        self.draft = draft

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog -reject"):
            yield Static(f"Reject campaign {self.campaign_id}", classes="dialog-title")
            yield Static(
                "A rejected campaign can never issue a code. Why? (kept in the audit log)",
                classes="muted",
            )
            yield Input(self.draft, placeholder="reason", id="reason")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Reject", id="confirm", variant="error")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    def _submit(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.notify("A reason is required to reject.", severity="warning")
            return
        self.dismiss(reason)

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
