"""The delivery export: one row per issued code, for the operator's e-mail/SMS/app-push tool.

Holdout households never appear (they hold no code, and the query excludes them besides).
Rows are ordered by household and code, every field is written the same way each time, and
no field changes when a code is redeemed, so exporting twice gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Any, Literal

from coupondesk.tools.campaigns.proposal import Proposal
from coupondesk.tools.campaigns.records import get_campaign
from coupondesk.tools.campaigns.variants import assign_variant, passing_variants
from coupondesk.tools.db.schema import Holdout, IssuedCoupon
from coupondesk.tools.errors import BadInputError, RefusedError
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

ExportFormat = Literal["csv", "jsonl"]
FORMATS: tuple[ExportFormat, ...] = ("csv", "jsonl")

COLUMNS = (
    "campaign_id", "household_id", "code", "variant", "copy_text", "send_at", "valid_from",
    "valid_to", "kind", "value", "min_spend", "max_discount", "departments", "categories",
)


class ExportRow(BaseModel):
    """One code as the delivery tool needs it: who, what to say, when, and the terms."""

    campaign_id: int
    household_id: int
    code: str
    variant: int | None
    copy_text: str
    """The approved copy of the household's variant."""
    send_at: date
    valid_from: date
    valid_to: date
    kind: str
    value: float
    min_spend: float | None
    max_discount: float | None
    departments: list[str]
    categories: list[str]


class ExportResult(BaseModel):
    """What an export wrote."""

    campaign_id: int
    format: ExportFormat
    rows: int
    path: Path | None
    bytes: int


def export_rows(session: Session, campaign_id: int) -> list[ExportRow]:
    """The issued codes of a dispatched campaign, by household then code, holdout excluded."""
    campaign = get_campaign(session, campaign_id)
    if campaign.status != "dispatched" or campaign.proposal_json is None:
        raise RefusedError(
            f"campaign {campaign_id} is {campaign.status}; only a dispatched campaign has codes"
        )
    proposal = Proposal.model_validate(campaign.proposal_json)
    texts = [v.text for v in proposal.copy_variants]
    passing = passing_variants([v.ok for v in proposal.copy_variants])
    held_out = select(Holdout.household_id).where(Holdout.campaign_id == campaign_id)
    coupons = session.execute(
        select(IssuedCoupon)
        .where(IssuedCoupon.campaign_id == campaign_id, IssuedCoupon.household_id.not_in(held_out))
        .order_by(IssuedCoupon.household_id, IssuedCoupon.code)
    ).scalars()
    rows: list[ExportRow] = []
    for coupon in coupons:
        variant = coupon.variant
        if variant is None:  # dispatched before variants were recorded: the same stable rule
            variant = assign_variant(campaign_id, coupon.household_id, passing)
        if variant is None or not 0 <= variant < len(texts):
            variant = proposal.selected_copy
        text = texts[variant] if variant is not None and 0 <= variant < len(texts) else ""
        rows.append(ExportRow(
            campaign_id=campaign_id, household_id=coupon.household_id, code=coupon.code,
            variant=variant, copy_text=text, send_at=coupon.send_at or coupon.valid_from,
            valid_from=coupon.valid_from, valid_to=coupon.valid_to, kind=coupon.kind,
            value=coupon.value, min_spend=coupon.min_spend, max_discount=coupon.max_discount,
            departments=list(coupon.departments or []),
            categories=list(coupon.categories or []),
        ))
    return rows


def _number(value: float | None) -> str:
    """A number as a delivery tool reads it: 15, 2.5, 0.99; empty for none."""
    if value is None:
        return ""
    return format(value, ".2f").rstrip("0").rstrip(".")


def _csv_cell(name: str, value: Any) -> str:
    if name in ("departments", "categories"):
        return "|".join(value)
    if name in ("value", "min_spend", "max_discount"):
        return _number(value)
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


def render_export(rows: list[ExportRow], fmt: ExportFormat) -> bytes:
    """The rows as CSV (header, `|` between list items) or JSON Lines, UTF-8, `\\n` endings."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in rows:
            data = row.model_dump()
            writer.writerow([_csv_cell(name, data[name]) for name in COLUMNS])
        return buffer.getvalue().encode("utf-8")
    if fmt == "jsonl":
        lines = (
            json.dumps({name: row.model_dump(mode="json")[name] for name in COLUMNS},
                       ensure_ascii=False, separators=(",", ":"))
            for row in rows
        )
        return "".join(f"{line}\n" for line in lines).encode("utf-8")
    raise BadInputError(f"export format {fmt!r}: use one of {', '.join(FORMATS)}")


def write_atomically(path: Path, content: bytes) -> None:
    """Write `content` to `path` through a temporary file, so a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def export_campaign(
    session: Session, campaign_id: int, fmt: ExportFormat, out: Path | None = None
) -> tuple[ExportResult, bytes]:
    """Render a campaign's export, writing it to `out` when given; returns (result, bytes)."""
    if fmt not in FORMATS:
        raise BadInputError(f"export format {fmt!r}: use one of {', '.join(FORMATS)}")
    rows = export_rows(session, campaign_id)
    content = render_export(rows, fmt)
    if out is not None:
        write_atomically(out, content)
    return ExportResult(campaign_id=campaign_id, format=fmt, rows=len(rows), path=out,
                        bytes=len(content)), content


def default_export_path(home: Path, campaign_id: int, fmt: ExportFormat) -> Path:
    """Where the TUI writes an export: $COUPONDESK_HOME/exports/campaign-ID.FORMAT."""
    return home / "exports" / f"campaign-{campaign_id}.{fmt}"
