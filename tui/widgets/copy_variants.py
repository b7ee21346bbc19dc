"""Copy variants with a PASS/FAIL badge per guardrail rule, the failing rule and value shown."""

from __future__ import annotations

from collections.abc import Sequence

from coupondesk.tools.campaigns.proposal import CopyVariant
from coupondesk.tools.policy.rules import RULES
from coupondesk.tui.format import pass_badge
from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.text import Text
from textual.containers import Vertical
from textual.widgets import Static

COPY_RULES = sorted(rule for rule in RULES if rule.startswith("copy."))


def render_variant(index: int, variant: CopyVariant, *, selected: bool) -> Group:
    """Header (badge, chosen mark, source), the text, then one line per failing rule."""
    header = Text.assemble(
        pass_badge(variant.ok),
        f" #{index + 1} ",
        ("★ CHOSEN " if selected else "", "bold"),
        (f"[{variant.source}]", "dim"),
        (" redrafted" if variant.redrafted else "", "dim"),
    )
    lines: list[RenderableType] = [header, Padding(Text(variant.text), (0, 0, 0, 2))]
    if variant.ok:
        lines.append(Text(f"  PASS all {len(COPY_RULES)} copy rules", style="green"))
    for violation in variant.violations:
        value = "" if violation.value in (None, "") else f" (value: {violation.value!r})"
        lines.append(Padding(
            Text.assemble(pass_badge(False), (f" {violation.rule}", "bold red"),
                          f": {violation.message}{value}"),
            (0, 0, 0, 2),
        ))
    return Group(*lines)


class CopyVariants(Vertical):
    """Every drafted variant; the one dispatch would send is marked CHOSEN."""

    def __init__(
        self, variants: Sequence[CopyVariant], selected: int | None, **kwargs: str
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._variants = list(variants)
        self._selected = selected

    def compose(self):  # type: ignore[no-untyped-def]
        if not self._variants:
            yield Static("No copy drafted (the plan was blocked before drafting).",
                         classes="muted")
        for index, variant in enumerate(self._variants):
            classes = "copy-variant " + ("-ok" if variant.ok else "-fail")
            yield Static(
                render_variant(index, variant, selected=index == self._selected), classes=classes
            )
