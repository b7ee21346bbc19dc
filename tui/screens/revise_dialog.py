"""Ask for a change in words; the agent re-plans from it ("make it 10%", "only 200 households")."""

from __future__ import annotations

from coupondesk.tui.screens.text_dialog import TextDialog


class ReviseDialog(TextDialog):
    """Returns the change, or None when cancelled."""

    TITLE_TEXT = "Revise campaign {campaign_id}"
    HINT = (
        "Say what to change; everything after the plan is re-run and checked again.\n"
        "e.g. make it 10% · only 200 households · valid 14 days · budget $1,500"
    )
    INPUT_ID = "change"
    PLACEHOLDER = "the change, in words"
    CONFIRM_LABEL = "Revise"
    CONFIRM_VARIANT = "primary"
    DIALOG_CLASS = "-revise"
    EMPTY_WARNING = "Type the change you want first."
