"""A modal that asks for one line of text (a revision, a rejection reason) or is cancelled.

Revise and Reject differ only in their words, the input's id and the confirm button; the
behaviour (focus the input, refuse an empty answer, Enter or the button confirms, Escape or
Cancel returns None) is this one class.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static
from textual.widgets.button import ButtonVariant


class TextDialog(ModalScreen[str | None]):
    """Returns the trimmed text, or None when cancelled. Subclasses set the words."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    TITLE_TEXT: ClassVar[str] = "{campaign_id}"
    """The dialog's title; `{campaign_id}` is filled in."""
    HINT: ClassVar[str] = ""
    INPUT_ID: ClassVar[str] = "text"
    PLACEHOLDER: ClassVar[str] = ""
    CONFIRM_LABEL: ClassVar[str] = "OK"
    CONFIRM_VARIANT: ClassVar[ButtonVariant] = "primary"
    DIALOG_CLASS: ClassVar[str] = ""
    """Extra CSS class of the dialog box (app.tcss colours reject red)."""
    EMPTY_WARNING: ClassVar[str] = "Type something first."

    def __init__(self, campaign_id: int, draft: str = "") -> None:
        super().__init__()
        self.campaign_id = campaign_id
        self.draft = draft

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes=f"dialog {self.DIALOG_CLASS}".strip()):
            yield Static(self.TITLE_TEXT.format(campaign_id=self.campaign_id),
                         classes="dialog-title")
            yield Static(self.HINT, classes="muted")
            yield Input(self.draft, placeholder=self.PLACEHOLDER, id=self.INPUT_ID)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.CONFIRM_LABEL, id="confirm", variant=self.CONFIRM_VARIANT)
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one(f"#{self.INPUT_ID}", Input).focus()

    def _submit(self) -> None:
        text = self.query_one(f"#{self.INPUT_ID}", Input).value.strip()
        if not text:
            self.notify(self.EMPTY_WARNING, severity="warning")
            return
        self.dismiss(text)

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
