"""`coupondesk import-outcomes DIR`: what a store's systems report after a campaign.

Two files, CSV or parquet: `redemptions` (code, redeemed_at, basket_total, discount, order_id)
and `transactions` (the retailer import's columns). Every row is validated as `coupondesk
import` validates (file and line of the first bad row; one bad row and nothing loads); the whole
import is one transaction, and its content hash makes a second import of the same files a no-op.
Redemptions go through the same redemption core as the service (`redeem_code`), so both paths
end in the same table under the same single-use and budget rules.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from coupondesk.tools.data.importer import (
    FILE_COLUMNS,
    FLOAT,
    STR,
    TIMESTAMP,
    BadRow,
    read_file,
    validate_frame,
)
from coupondesk.tools.db.schema import Holdout, IssuedCoupon, OutcomeImport, OutcomeTransaction
from coupondesk.tools.errors import BadInputError
from coupondesk.tools.outcomes.redemptions import Basket, redeem_code
from coupondesk.tools.policy.rules import RedemptionRules
from sqlalchemy import Engine, insert, select, tuple_
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

OutcomeSource = Literal["observed", "simulated"]
REDEMPTION_COLUMNS: dict[str, str] = {
    "code": STR, "redeemed_at": TIMESTAMP, "basket_total": FLOAT, "discount": FLOAT,
    "order_id": STR,
}
TRANSACTION_COLUMNS: dict[str, str] = FILE_COLUMNS["transactions"]
OUTCOME_FILES: dict[str, dict[str, str]] = {
    "redemptions": REDEMPTION_COLUMNS,
    "transactions": TRANSACTION_COLUMNS,
}
NON_NEGATIVE = frozenset({"basket_total", "discount", "sales_value", "quantity"})
CHUNK = 500


@dataclass
class OutcomeImportReport:
    """What an outcome import loaded (or that it was a repeat and loaded nothing)."""

    files: list[str]
    source: str
    import_id: int | None = None
    redemptions: int = 0
    transactions: int = 0
    campaign_ids: list[int] = field(default_factory=list)
    refused_budget: int = 0
    """Redemptions the campaign's budget refused (recorded as refusals, not bad rows)."""
    skipped: bool = False
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        """The `import-outcomes --json` document."""
        return {
            "files": self.files, "source": self.source, "import_id": self.import_id,
            "redemptions": self.redemptions, "transactions": self.transactions,
            "campaign_ids": self.campaign_ids, "refused_budget": self.refused_budget,
            "skipped": self.skipped, "reason": self.reason,
        }


def find_outcome_files(directory: Path) -> dict[str, Path]:
    """redemptions and/or transactions (.csv or .parquet) in `directory`."""
    if not directory.is_dir():
        raise BadInputError(f"{directory} is not a directory")
    found: dict[str, Path] = {}
    for path in sorted(directory.iterdir()):
        stem, suffix = path.stem, path.suffix.lower()
        if suffix in (".csv", ".parquet") and stem in OUTCOME_FILES:
            if stem in found:
                raise BadInputError(f"both {found[stem].name} and {path.name} found; keep one")
            found[stem] = path
    if not found:
        raise BadInputError(
            f"no outcome files in {directory} (expected redemptions and/or transactions, "
            "CSV or parquet)"
        )
    return found


def content_hash(files: dict[str, Path]) -> str:
    """sha256 over the files' names and bytes: the same files always give the same hash."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode())
        digest.update(files[name].read_bytes())
    return digest.hexdigest()


def _validated(files: dict[str, Path]) -> tuple[dict[str, pd.DataFrame], dict[str, int],
                                                list[BadRow]]:
    """Typed frames, their line offsets, and every bad row found without the database."""
    typed: dict[str, pd.DataFrame] = {}
    offsets: dict[str, int] = {}
    bad: list[BadRow] = []
    for name, path in files.items():
        try:
            frame, offset = read_file(path)
        except Exception as exc:  # unreadable CSV/parquet
            raise BadInputError(f"{path.name}: cannot read: {exc}") from exc
        frame = frame.reset_index(drop=True)
        frame_typed, frame_bad = validate_frame(
            name, path, frame, offset, spec=OUTCOME_FILES[name], non_negative=NON_NEGATIVE
        )
        bad.extend(frame_bad)
        if name == "redemptions":
            codes = frame["code"].astype("str").str.strip()
            frame_typed["code"] = codes
            for index in frame.index[codes == ""]:
                bad.append(BadRow(path.name, int(index) + offset, "code is empty"))
            for index in frame.index[codes.duplicated(keep="first") & (codes != "")]:
                bad.append(BadRow(path.name, int(index) + offset,
                                  f"code {codes[index]} appears twice"))
            orders = frame["order_id"].astype("str").str.strip()
            frame_typed["order_id"] = orders.where(orders != "", None)
        else:
            keys = ["household_id", "basket_id", "product_id"]
            for index in frame.index[frame.duplicated(subset=keys, keep="first")]:
                bad.append(BadRow(path.name, int(index) + offset,
                                  "duplicate household_id/basket_id/product_id"))
        typed[name], offsets[name] = frame_typed, offset
    return typed, offsets, bad


def _existing_transaction_keys(
    session: Session, source: str, frame: pd.DataFrame
) -> set[tuple[int, int, int]]:
    """(household, basket, product) keys of `frame` already in outcome_transactions for `source`."""
    keys = list({(int(h), int(b), int(p)) for h, b, p in
                 frame[["household_id", "basket_id", "product_id"]].itertuples(index=False)})
    found: set[tuple[int, int, int]] = set()
    columns = (OutcomeTransaction.household_id, OutcomeTransaction.basket_id,
               OutcomeTransaction.product_id)
    for start in range(0, len(keys), CHUNK):
        rows = session.execute(
            select(*columns).where(
                OutcomeTransaction.source == source,
                tuple_(*columns).in_(keys[start : start + CHUNK]),
            )
        ).all()
        found.update((int(h), int(b), int(p)) for h, b, p in rows)
    return found


def _issued_coupons(session: Session, codes: list[str]) -> dict[str, IssuedCoupon]:
    coupons: dict[str, IssuedCoupon] = {}
    for start in range(0, len(codes), CHUNK):
        for coupon in session.execute(
            select(IssuedCoupon).where(IssuedCoupon.code.in_(codes[start : start + CHUNK]))
        ).scalars():
            coupons[coupon.code] = coupon
    return coupons


def _held_out(session: Session, pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which (campaign, household) pairs are in a campaign's holdout."""
    if not pairs:
        return set()
    listed = list(pairs)
    held: set[tuple[int, int]] = set()
    for start in range(0, len(listed), CHUNK):
        rows = session.execute(
            select(Holdout.campaign_id, Holdout.household_id).where(
                tuple_(Holdout.campaign_id, Holdout.household_id).in_(listed[start : start + CHUNK])
            )
        ).all()
        held.update((int(c), int(h)) for c, h in rows)
    return held


def _fail(bad: list[BadRow]) -> BadInputError:
    bad.sort(key=lambda b: (b.file, b.line))
    more = f" (and {len(bad) - 1} more bad rows)" if len(bad) > 1 else ""
    return BadInputError(f"{bad[0]}{more}; nothing was imported")


def import_outcomes(
    engine: Engine,
    directory: Path,
    *,
    source: OutcomeSource = "observed",
    campaign_id: int | None = None,
    rules: RedemptionRules | None = None,
) -> OutcomeImportReport:
    """Validate the outcome files, then load all of them in one transaction, or nothing."""
    if source not in ("observed", "simulated"):
        raise BadInputError(f"source must be observed or simulated, not {source!r}")
    files = find_outcome_files(directory)
    names = sorted(p.name for p in files.values())
    digest = content_hash(files)
    with Session(engine) as session:
        before = session.execute(
            select(OutcomeImport.id, OutcomeImport.source).where(
                OutcomeImport.content_hash == digest
            )
        ).first()
    if before is not None:
        return OutcomeImportReport(
            names, str(before.source), import_id=int(before.id), skipped=True,
            reason=f"these exact files were imported before (import {before.id}, "
            f"{before.source}); nothing imported",
        )
    typed, offsets, bad = _validated(files)
    if bad:
        raise _fail(bad)
    redemptions = typed.get("redemptions")
    transactions = typed.get("transactions")
    with Session(engine, expire_on_commit=False) as session, session.begin():
        record = OutcomeImport(
            source=source, campaign_id=campaign_id, directory=str(directory),
            content_hash=digest, detail={"files": names},
        )
        session.add(record)
        session.flush()
        report = OutcomeImportReport(names, source, import_id=record.id)
        campaigns: set[int] = set()
        if transactions is not None:
            name = files["transactions"].name
            clashes = _existing_transaction_keys(session, source, transactions)
            for index, row in transactions.iterrows():
                key = (int(row["household_id"]), int(row["basket_id"]), int(row["product_id"]))
                if key in clashes:
                    bad.append(BadRow(name, int(index) + offsets["transactions"],
                                      f"{source} line household/basket/product {key} was "
                                      "imported before"))
        if redemptions is not None:
            refused, redeemed_campaigns = _redeem_all(
                session, redemptions, file=files["redemptions"].name,
                offset=offsets["redemptions"], source=source, import_id=record.id,
                rules=rules, bad=bad,
            )
            report.refused_budget = refused
            campaigns |= redeemed_campaigns
            report.redemptions = len(redemptions) - refused
        if bad:
            raise _fail(bad)
        if transactions is not None and not transactions.empty:
            rows = [
                {
                    "outcome_import_id": record.id, "source": source,
                    "household_id": int(r.household_id), "store_id": int(r.store_id),
                    "basket_id": int(r.basket_id), "product_id": int(r.product_id),
                    "quantity": float(r.quantity), "sales_value": float(r.sales_value),
                    "retail_disc": float(r.retail_disc), "coupon_disc": float(r.coupon_disc),
                    "coupon_match_disc": float(r.coupon_match_disc), "week": int(r.week),
                    "transaction_timestamp": pd.Timestamp(r.transaction_timestamp).to_pydatetime(),
                }
                for r in transactions.itertuples(index=False)
            ]
            for start in range(0, len(rows), 5000):
                session.execute(insert(OutcomeTransaction), rows[start : start + 5000])
            report.transactions = len(rows)
        if campaign_id is not None:
            campaigns.add(campaign_id)
        report.campaign_ids = sorted(campaigns)
        if record.campaign_id is None and len(campaigns) == 1:
            record.campaign_id = next(iter(campaigns))
        record.redemptions = report.redemptions
        record.transactions = report.transactions
        record.detail = {"files": names, "campaign_ids": report.campaign_ids,
                         "refused_budget": report.refused_budget}
    logger.info("outcome import %s: %d redemptions, %d transaction lines (%s)",
                report.import_id, report.redemptions, report.transactions, source)
    return report


def _redeem_all(
    session: Session,
    redemptions: pd.DataFrame,
    *,
    file: str,
    offset: int,
    source: OutcomeSource,
    import_id: int,
    rules: RedemptionRules | None,
    bad: list[BadRow],
) -> tuple[int, set[int]]:
    """Redeem every reported code through the redemption core; returns (budget refusals, campaigns).

    An unknown code, a code of a held-out household, or a redemption the core refuses for any
    reason but the campaign's budget is a bad row. A budget refusal is the rule working (the
    store reported more discount than the campaign may spend): it is recorded as a refusal.
    """
    codes = [str(c) for c in redemptions["code"]]
    coupons = _issued_coupons(session, codes)
    held = _held_out(session, {(c.campaign_id, c.household_id) for c in coupons.values()})
    refused = 0
    campaigns: set[int] = set()
    for index, row in redemptions.iterrows():
        line = int(index) + offset
        code = str(row["code"])
        coupon = coupons.get(code)
        if coupon is None:
            bad.append(BadRow(file, line, f"code {code} was never issued"))
            continue
        if (coupon.campaign_id, coupon.household_id) in held:
            bad.append(BadRow(file, line, f"code {code} belongs to a held-out household"))
            continue
        order_id = row["order_id"]
        # The file reports a basket total without its lines: the store's discount stands
        # (the core then checks validity, single use and the budget, not scope or min spend).
        outcome = redeem_code(
            session, code, household_id=coupon.household_id,
            basket=Basket(total=float(row["basket_total"])),
            at=pd.Timestamp(row["redeemed_at"]).to_pydatetime(), source=source,
            order_id=None if order_id is None else str(order_id)[:64],
            outcome_import_id=import_id, reported_discount=float(row["discount"]), rules=rules,
        )
        reasons = list(outcome.reasons)
        if outcome.redeemed:
            campaigns.add(coupon.campaign_id)
        elif reasons == ["budget_exhausted"]:
            refused += 1
            campaigns.add(coupon.campaign_id)
        else:
            bad.append(BadRow(file, line, f"code {code} refused: {', '.join(reasons)}"))
    return refused, campaigns
