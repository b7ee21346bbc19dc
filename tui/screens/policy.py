"""The active discount policy, section by section, and what each rule id means.

Operators meet rule ids in FAIL badges ("offer.max_percent"); this screen is where they look
them up, next to the values the policy file sets.
"""

from __future__ import annotations

from typing import Any

from coupondesk.tools.policy.rules import RULES, Policy
from rich.markup import escape
from rich.table import Table
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

SECTIONS = ("offer", "audience", "frequency", "budget", "stacking", "copy")


def _value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    if isinstance(value, dict):
        if not value:
            return "(none)"
        return "; ".join(
            f"{name}: " + ", ".join(f"{k} {v}" for k, v in limits.items() if v is not None)
            for name, limits in value.items()
        )
    return "(none)" if value is None else str(value)


def section_table(name: str, values: dict[str, Any]) -> Table:
    """One policy section as setting → value rows."""
    table = Table(title=escape(f"[{name}]"), title_justify="left", title_style="bold", expand=True,
                  show_header=False, box=None, padding=(0, 2))
    table.add_column(style="bold", no_wrap=True, width=30)
    table.add_column(ratio=1, overflow="fold")
    for key, value in values.items():
        table.add_row(key, _value(value))
    return table


def rules_table() -> Table:
    """Every rule id with its one-line meaning."""
    table = Table(title="Rule ids (as shown in PASS/FAIL badges)", title_justify="left",
                  title_style="bold", expand=True, box=None, padding=(0, 2))
    table.add_column("rule", style="bold", no_wrap=True)
    table.add_column("meaning", ratio=1, overflow="fold")
    for rule, meaning in RULES.items():
        table.add_row(rule, meaning)
    return table


class PolicyScreen(Screen[None]):
    """Read-only view of the policy the desk enforces."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="policy-title", classes="screen-title")
        with VerticalScroll(id="policy"):
            yield Static("loading…", id="policy-sections")
            yield Static(rules_table(), id="policy-rules")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        desk = self.app.desk  # type: ignore[attr-defined]
        self.query_one("#policy-title", Static).update(
            f"Discount policy · {desk.settings.guardrails.policy} · edit the file to change a rule"
        )
        try:
            policy: Policy = desk.policy
        except Exception as error:  # a broken policy file is shown, not raised
            from coupondesk.tui.format import error_words

            title, text = error_words(error)
            self.query_one("#policy-sections", Static).update(f"ERROR {title}: {text}")
            return
        dumped = policy.model_dump(mode="json", by_alias=True)
        tables = [section_table(name, dumped[name]) for name in SECTIONS if name in dumped]
        from rich.console import Group

        self.query_one("#policy-sections", Static).update(Group(*tables))
