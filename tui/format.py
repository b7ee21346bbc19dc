"""Plain-words formatting shared by the screens: money, dates, statuses, errors.

Offer and audience sentences come from coupondesk.agent.describe (the same words the CLI
prints); this module only adds what is particular to a terminal: status badges that read
without colour and one-line error text.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from coupondesk.agent.describe import money
from rich.text import Text

if TYPE_CHECKING:
    from coupondesk.tools.campaigns.proposal import Proposal

STATUS_STYLES: dict[str, str] = {
    "draft": "dim",
    "proposed": "bold yellow",
    "approved": "bold cyan",
    "dispatched": "bold green",
    "rejected": "bold red",
}
"""Colour adds meaning; the upper-case word alone still carries it without colour."""


def status_badge(status: str) -> Text:
    """PROPOSED / DISPATCHED / REJECTED…, coloured by meaning."""
    return Text(status.upper(), style=STATUS_STYLES.get(status, "bold"))


def pass_badge(ok: bool) -> Text:
    """" PASS " green or " FAIL " red: the word is the meaning, the colour repeats it."""
    return Text(" PASS ", style="bold black on green") if ok else Text(
        " FAIL ", style="bold white on red"
    )


def money_or_dash(value: float | None) -> str:
    """$1,234.50 / $2,000, or "-" when the value is unknown."""
    return "-" if value is None else money(round(value, 2))


def cents(value: float) -> str:
    """$3.10 / $3.00: fixed two decimals, so a column of amounts lines up."""
    return f"${value:,.2f}"


def day(value: date | datetime | str | None) -> str:
    """ISO day (2017-12-05) or "-"."""
    if value is None or value == "":
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).replace("T", " ")
    return text[:16] if len(text) > 10 else text


def validity(proposal: Proposal) -> str:
    """"2017-12-05 → 2017-12-11 (7 days)"."""
    days = proposal.plan.offer.valid_days
    return f"{day(proposal.valid_from)} → {day(proposal.valid_to)} ({days} day{'s' * (days != 1)})"


def error_words(error: BaseException) -> tuple[str, str]:
    """(title, message) for a notification; CoupondeskError messages are written for operators."""
    from coupondesk.tools.errors import CoupondeskError

    if isinstance(error, CoupondeskError):
        return error.title, error.message
    name = type(error).__name__
    first = (str(error).strip().splitlines() or [""])[0]
    if "OperationalError" in name or "could not connect" in first.lower():
        return "Database unreachable", f"the database cannot be reached: {first}"
    if "Connection" in name or "Timeout" in name:
        return "LLM endpoint down", f"the language model endpoint did not answer: {first}"
    return "Unexpected error", f"{name}: {first}" if first else name
