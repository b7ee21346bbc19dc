"""The request box: Enter sends, Up/Down walk back through what was sent this session."""

from __future__ import annotations

from coupondesk.tui.messages import BriefSubmitted
from textual.binding import Binding
from textual.widgets import Input


class PromptInput(Input):
    """An Input that posts BriefSubmitted and can take back a request that failed."""

    BINDINGS = [
        Binding("up", "history(-1)", "Previous request", show=False),
        Binding("down", "history(1)", "Next request", show=False),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            placeholder="Campaign request or question… (Enter)",
            **kwargs,  # type: ignore[arg-type]
        )
        self._history: list[str] = []
        self._cursor = 0

    async def action_submit(self) -> None:
        """Send the text and clear the box (a failure puts it back with `restore`)."""
        text = self.value.strip()
        if not text:
            return
        self._history.append(text)
        self._cursor = len(self._history)
        self.value = ""
        self.post_message(BriefSubmitted(text))

    def restore(self, text: str) -> None:
        """Put a failed request back, unless the operator already typed something new."""
        if self.value.strip() and self.value.strip() != text:
            return
        self.value = text
        self.cursor_position = len(text)

    def action_history(self, step: int) -> None:
        """Recall an earlier request of this session."""
        if not self._history:
            return
        self._cursor = max(0, min(len(self._history), self._cursor + step))
        self.value = self._history[self._cursor] if self._cursor < len(self._history) else ""
        self.cursor_position = len(self.value)
