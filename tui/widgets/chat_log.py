"""The conversation pane: the operator's requests, the agent's steps, answers and errors.

One Static per line (elia's chat does the same) rather than a RichLog, so lines re-wrap when
the terminal is resized and every kind of line can be styled from app.tcss by class.
"""

from __future__ import annotations

from typing import Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

STEP_WIDTH = 9


def labelled(label: Text | str, body: RenderableType, width: int = STEP_WIDTH) -> Table:
    """A two-column line whose body wraps under itself (hanging indent), CJK-safe."""
    return _row(label, body, width)


def _row(label: Text | str, body: RenderableType, width: int = STEP_WIDTH) -> Table:
    """A two-column line whose body wraps under itself (hanging indent), CJK-safe."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=width, no_wrap=True)
    grid.add_column(ratio=1, overflow="fold")
    grid.add_row(label, body)
    return grid


class ChatLog(VerticalScroll, can_focus=False):
    """Append-only log of the session, anchored to the newest line (also across resizes)."""

    def on_mount(self) -> None:
        self.anchor()

    def _append(self, renderable: RenderableType, kind: str) -> Static:
        line = Static(renderable, classes=f"chat-line chat-{kind}")
        self.mount(line)
        self.scroll_end(animate=False)
        return line

    def add_request(self, text: str) -> Static:
        """What the operator typed, as they typed it."""
        return self._append(_row(Text("you ›", style="bold"), Text(text)), "request")

    def add_step(self, step: str, message: str) -> Static:
        """One agent step with the fact it found ("scored 1,204 households in 0.8 s")."""
        return self._append(_row(Text(step, style="bold"), Text(message)), "step")

    def add_answer(self, answer: dict[str, Any]) -> Static:
        """The answer to a free question: the reading restated, then the figure; or a decline."""
        reading, figure = answer.get("reading"), answer.get("figure")
        if reading and figure:
            body = Text.assemble(("read as: ", "bold"), (str(reading), "italic"), "\n",
                                 (str(figure), "bold"))
        else:
            body = Text(str(answer.get("answer", "")))
        for key, value in answer.items():
            if key in ("answer", "question", "reading", "figure", "answered", "query") or (
                    isinstance(value, (dict, list))):
                continue
            body.append(f"\n{key}: {value}", style="dim")
        label = "declined" if answer.get("answered") is False else "answer"
        return self._append(_row(Text(label, style="bold"), body), "answer")

    def add_note(self, text: str, kind: str = "note") -> Static:
        """A line from the app itself (summary, blocked plan, restored request…)."""
        label = {"summary": "done ✔", "blocked": "blocked", "warning": "note"}.get(kind, "·")
        return self._append(_row(Text(label, style="bold"), Text(text)), kind)

    def add_error(self, title: str, message: str) -> Static:
        """A failure in plain words; ERROR is spelled out so it reads without colour."""
        return self._append(
            _row(Text("ERROR", style="bold"), Text.assemble((f"{title}: ", "bold"), message)),
            "error",
        )
