"""`coupondesk check-offer` and `coupondesk check-copy`: the guardrails from the command line.

Exit codes are the contract scripts rely on: 0 when the offer/copy passes, 1 when it has
violations, 2 when the input cannot be understood (bad JSON, unknown kind, broken policy).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from coupondesk.output import emit_json, json_option
from coupondesk.tools.errors import BadInputError
from coupondesk.tools.policy.verdict import Verdict

if TYPE_CHECKING:
    from coupondesk.settings import Settings


def _read_offer_argument(text: str) -> str:
    """OFFER_JSON is the JSON itself, "-" for stdin, or @path for a file."""
    if text == "-":
        return sys.stdin.read()
    if text.startswith("@"):
        try:
            with open(text[1:], encoding="utf-8") as handle:
                return handle.read()
        except OSError as exc:
            raise BadInputError(f"cannot read offer file {text[1:]}: {exc.strerror}") from exc
    return text


def _report(verdict: Verdict, *, as_json: bool, subject: str) -> None:
    """Print the verdict (one JSON document, or a readable summary) and exit 0 or 1."""
    if as_json:
        emit_json(verdict.to_json_dict())
    elif verdict.ok:
        click.echo(f"{subject}: ok")
    else:
        count = len(verdict.violations)
        click.echo(f"{subject}: {count} violation{'s' if count != 1 else ''}")
        for violation in verdict.violations:
            click.echo(f"  [{violation.rule}] {violation.message}")
    for note in verdict.notes if not as_json else []:
        click.echo(f"  note [{note.rule}] {note.message}")
    click.get_current_context().exit(0 if verdict.ok else 1)


@click.command("check-offer")
@click.argument("offer_json")
@json_option("the verdict")
@click.pass_obj
def check_offer_cmd(settings: Settings, offer_json: str, as_json: bool) -> None:
    """Check OFFER_JSON (JSON text, @file or -) against the discount policy."""
    from coupondesk.tools.campaigns.offer import parse_offer_json
    from coupondesk.tools.policy.guardrails import check_offer

    offer = parse_offer_json(_read_offer_argument(offer_json))
    policy = settings.guardrails.load_policy()
    _report(check_offer(offer, policy), as_json=as_json, subject="offer")


@click.command("check-copy")
@click.option("--offer", "offer_json", required=True, help="OFFER_JSON (JSON text, @file or -).")
@click.option("--text", required=True, help="The customer copy to check.")
@click.option(
    "--language", type=click.Choice(["en", "zh"]), default=None,
    help="Requested language of the copy (default: not enforced).",
)
@json_option("the verdict")
@click.pass_obj
def check_copy_cmd(
    settings: Settings, offer_json: str, text: str, language: str | None, as_json: bool
) -> None:
    """Check copy TEXT against the offer it advertises and the policy's copy rules."""
    from coupondesk.tools.campaigns.offer import parse_offer_json
    from coupondesk.tools.policy.guardrails import check_copy

    offer = parse_offer_json(_read_offer_argument(offer_json))
    policy = settings.guardrails.load_policy()
    verdict = check_copy(text, offer, policy, language=language)  # type: ignore[arg-type]
    _report(verdict, as_json=as_json, subject="copy")


COMMANDS = [check_offer_cmd, check_copy_cmd]
