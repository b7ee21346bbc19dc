"""Reject with a reason: the reason is kept in the audit log, and the campaign never dispatches."""

from __future__ import annotations

from coupondesk.tui.screens.text_dialog import TextDialog


class RejectDialog(TextDialog):
    """Returns the reason, or None when cancelled."""

    TITLE_TEXT = "Reject campaign {campaign_id}"
    HINT = "A rejected campaign can never issue a code. Why? (kept in the audit log)"
    INPUT_ID = "reason"
    PLACEHOLDER = "reason"
    CONFIRM_LABEL = "Reject"
    CONFIRM_VARIANT = "error"
    DIALOG_CLASS = "-reject"
    EMPTY_WARNING = "A reason is required to reject."
