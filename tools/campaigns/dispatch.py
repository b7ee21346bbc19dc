"""Dispatch: turn an approved proposal into issued coupon codes, exactly once.

One transaction writes the codes, the holdout, the budget commitment, the campaign status and
the audit rows; it refuses unless approvals exist for the exact proposal now stored (a hash of
offer, recipients, holdout, dates and copy). (campaign, household) is unique in the schema, so a
repeat or a retry after a crash issues nothing twice.

Concurrency: the first statement of the transaction is a write to the campaign row, which on
SQLite takes the database write lock (writers are serialised; readers carry on under WAL), and on
PostgreSQL the campaign and budget-account rows are locked with SELECT ... FOR UPDATE. Either
way two approvals racing for the same budget account see each other's commitment.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from coupondesk.tools.campaigns.proposal import verified_proposal
from coupondesk.tools.campaigns.records import approvers, audit
from coupondesk.tools.campaigns.variants import assign_variant, passing_variants
from coupondesk.tools.db.schema import BudgetAccount, BudgetEntry, Campaign, Holdout, IssuedCoupon
from coupondesk.tools.errors import NotFoundError, RefusedError
from sqlalchemy import CursorResult, Engine, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_GROUPS = 3
CODE_GROUP_LEN = 4


@dataclass(frozen=True)
class DispatchResult:
    """What dispatch did."""

    campaign_id: int
    issued: int
    already_dispatched: bool
    budget_account: str | None = None
    committed: float = 0.0


def new_code() -> str:
    """An unguessable coupon code: 60 random bits from `secrets`, e.g. CD-7K2M-Q9XD-4RTB."""
    groups = (
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LEN))
        for _ in range(CODE_GROUPS)
    )
    return "CD-" + "-".join(groups)


def budget_account_name(valid_from: date) -> str:
    """Budgets are tracked per calendar month of the campaign's start."""
    return f"{valid_from:%Y-%m}"


def _insert(session: Session):  # type: ignore[no-untyped-def]
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _commit_budget(
    session: Session, *, account: str, campaign_id: int, amount: float, period_limit: float | None
) -> float:
    """Commit `amount` against the account under a row lock; refuse when it would overspend."""
    insert = _insert(session)
    limit = period_limit if period_limit is not None else 1e18
    session.execute(
        insert(BudgetAccount)
        .values(name=account, limit_amount=limit, committed=0.0)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    row = session.execute(
        select(BudgetAccount).where(BudgetAccount.name == account).with_for_update()
    ).scalar_one()
    if period_limit is not None and row.limit_amount != period_limit:
        row.limit_amount = max(period_limit, row.committed)
    if row.committed + amount > row.limit_amount + 1e-9:
        left = row.limit_amount - row.committed
        raise RefusedError(
            f"budget account {account} has ${left:,.2f} left; campaign {campaign_id} needs "
            f"${amount:,.2f}"
        )
    row.committed = row.committed + amount
    session.add(BudgetEntry(account=account, campaign_id=campaign_id, amount=amount))
    return row.committed


def dispatch(
    engine: Engine,
    campaign_id: int,
    *,
    operator: str,
    required_approvals: int = 1,
    period_limit: float | None = None,
) -> DispatchResult:
    """Issue the approved proposal's codes in one transaction (or refuse and write nothing)."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        # A write first: on SQLite this takes the write lock before anything is read.
        touched = session.execute(
            update(Campaign).where(Campaign.id == campaign_id).values(updated_at=func.now())
        )
        if cast(CursorResult[Any], touched).rowcount == 0:
            raise NotFoundError(f"campaign {campaign_id} does not exist")
        campaign = session.execute(
            select(Campaign).where(Campaign.id == campaign_id).with_for_update()
        ).scalar_one()
        if campaign.status == "dispatched":
            return DispatchResult(campaign_id, 0, already_dispatched=True)
        if campaign.status != "approved" or campaign.proposal_json is None:
            raise RefusedError(f"campaign {campaign_id} is {campaign.status}, not approved")
        proposal, digest = verified_proposal(
            campaign.proposal_json, campaign.proposal_hash,
            refusal=f"campaign {campaign_id} changed after approval; its approval is void",
        )
        names = approvers(session, campaign_id, digest)
        if len(names) < required_approvals:
            raise RefusedError(
                f"campaign {campaign_id} needs {required_approvals} approvals of this exact "
                f"proposal, has {len(names)}"
            )
        if proposal.blocking:
            raise RefusedError(f"campaign {campaign_id} has violations; it cannot be dispatched")

        valid_from = date.fromisoformat(proposal.valid_from)
        valid_to = date.fromisoformat(proposal.valid_to)
        amount = proposal.budget if proposal.budget is not None else proposal.expected_cost
        account = budget_account_name(valid_from)
        committed = _commit_budget(
            session, account=account, campaign_id=campaign_id, amount=round(amount, 2),
            period_limit=period_limit,
        )

        insert = _insert(session)
        if proposal.holdout:
            session.execute(
                insert(Holdout)
                .values([{"campaign_id": campaign_id, "household_id": h} for h in proposal.holdout])
                .on_conflict_do_nothing(index_elements=["campaign_id", "household_id"])
            )
        offer = proposal.plan.offer
        passing = passing_variants([v.ok for v in proposal.copy_variants])
        before = _issued_count(session, campaign_id)
        rows = [
            {
                "code": new_code(), "campaign_id": campaign_id, "household_id": r.household_id,
                "kind": offer.kind, "value": offer.value, "min_spend": offer.min_spend,
                "departments": offer.departments, "categories": offer.categories,
                "valid_from": valid_from, "valid_to": valid_to, "status": "issued",
                "variant": assign_variant(campaign_id, r.household_id, passing),
                "send_at": valid_from,
            }
            for r in proposal.recipients
        ]
        for start in range(0, len(rows), 1000):
            session.execute(
                insert(IssuedCoupon)
                .values(rows[start : start + 1000])
                .on_conflict_do_nothing(index_elements=["campaign_id", "household_id"])
            )
        issued = _issued_count(session, campaign_id) - before
        campaign.status = "dispatched"
        audit(
            session, actor=operator, action="dispatched", campaign_id=campaign_id,
            proposal_hash=digest, issued=issued, holdout=len(proposal.holdout),
            budget_account=account, committed=round(amount, 2), approvers=names,
        )
        return DispatchResult(campaign_id, issued, False, account, committed)


def _issued_count(session: Session, campaign_id: int) -> int:
    return int(
        session.execute(
            select(func.count())
            .select_from(IssuedCoupon)
            .where(IssuedCoupon.campaign_id == campaign_id)
        ).scalar_one()
    )


def mark_approved(engine: Engine, campaign_id: int, *, required_approvals: int) -> bool:
    """Move a proposed campaign to approved once enough distinct operators approved it."""
    with Session(engine) as session, session.begin():
        campaign = session.execute(
            select(Campaign).where(Campaign.id == campaign_id).with_for_update()
        ).scalar_one()
        if campaign.status == "approved":
            return True
        if campaign.status != "proposed" or campaign.proposal_hash is None:
            return False
        if len(approvers(session, campaign_id, campaign.proposal_hash)) >= required_approvals:
            campaign.status = "approved"
            return True
        return False
