"""Dispatch: turn an approved proposal into issued coupon codes, exactly once.

One transaction writes the codes, the holdout, the budget commitment, the campaign status and
the audit rows; it refuses unless approvals exist for the exact proposal now stored (a hash of
offer, recipients, holdout, dates and copy) from as many different operators as the stored
proposal and the policy require. (campaign, household) is unique in the schema, so a repeat or
a retry after a crash issues nothing twice.

Inside that transaction, under the lock, every campaign rule is checked again against the
database as it is then (coupondesk.tools.campaigns.dispatch_rules: stacking, the frequency cap,
the budget envelope, validity not in the past, then the monthly budget account). A violation
refuses the whole dispatch: nothing is issued, and the campaign becomes `blocked` with the
violations stored on its proposal, to be revised. Issuing to the households that pass would
dispatch something other than what the operators approved (the approval hash covers the
recipients), so dispatch never trims.

Concurrency: on PostgreSQL the transaction first takes a transaction-scoped advisory lock that
every dispatch takes, so two dispatches (any campaigns, any processes) run their re-checks one
after the other and each sees the other's codes; the campaign and budget-account rows are also
locked with SELECT ... FOR UPDATE. On SQLite the first statement is a write to the campaign row,
which takes the database write lock (writers are serialised; readers carry on under WAL).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

from coupondesk.tools.campaigns.dispatch_rules import (
    approval_shortfall,
    approvals_needed,
    recheck,
)
from coupondesk.tools.campaigns.proposal import Proposal, verified_proposal
from coupondesk.tools.campaigns.records import approvers, audit, block_campaign
from coupondesk.tools.campaigns.variants import assign_variant, passing_variants
from coupondesk.tools.db.schema import BudgetAccount, BudgetEntry, Campaign, Holdout, IssuedCoupon
from coupondesk.tools.errors import NotFoundError, RefusedError
from coupondesk.tools.policy.rules import Policy
from coupondesk.tools.policy.verdict import Violation
from sqlalchemy import CursorResult, Engine, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_GROUPS = 3
CODE_GROUP_LEN = 4
DISPATCH_LOCK_KEY = 0x434F55504F4E  # "COUPON": the PostgreSQL advisory lock every dispatch takes

logger = logging.getLogger(__name__)


class DispatchRefused(RefusedError):
    """Dispatch found rule violations under its lock; the campaign went back for revision."""

    def __init__(self, campaign_id: int, violations: list[Violation]) -> None:
        self.campaign_id = campaign_id
        self.violations = violations
        rules = ", ".join(dict.fromkeys(v.rule for v in violations))
        detail = "; ".join(v.message for v in violations)
        super().__init__(
            f"campaign {campaign_id} was not dispatched ({rules}): {detail}; nothing was "
            "issued and the campaign is blocked until it is revised"
        )

    @property
    def rules(self) -> list[str]:
        """The rule ids, in the order found, once each."""
        return list(dict.fromkeys(v.rule for v in self.violations))


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
        raise DispatchRefused(campaign_id, [Violation(
            rule="plan.monthly_limit",
            message=f"budget account {account} has ${left:,.2f} left; campaign {campaign_id} "
                    f"needs ${amount:,.2f}",
            value={"account": account, "left": round(left, 2), "needed": amount},
        )])
    row.committed = row.committed + amount
    session.add(BudgetEntry(account=account, campaign_id=campaign_id, amount=amount))
    return row.committed


def dispatch(
    engine: Engine,
    campaign_id: int,
    *,
    operator: str,
    policy: Policy,
    today: date,
    required_approvals: int = 1,
) -> DispatchResult:
    """Issue the approved proposal's codes in one transaction (or refuse and write nothing).

    `required_approvals` can only raise the number of approvers the stored proposal and the
    policy demand. A rule violation found under the lock raises DispatchRefused after marking
    the campaign blocked (in a transaction of its own; no code, holdout or budget is written).
    """
    try:
        return _dispatch(engine, campaign_id, operator=operator, policy=policy, today=today,
                         required_approvals=required_approvals)
    except DispatchRefused as refused:
        with Session(engine) as session, session.begin():
            block_campaign(session, campaign_id, refused.violations, actor=operator)
        logger.info("dispatch of campaign %s refused: %s", campaign_id, ", ".join(refused.rules))
        raise


def _lock_dispatches(session: Session) -> None:
    """Serialise every dispatch's re-check and writes (PostgreSQL; SQLite's write lock does it)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(DISPATCH_LOCK_KEY)))


def _dispatch(
    engine: Engine,
    campaign_id: int,
    *,
    operator: str,
    policy: Policy,
    today: date,
    required_approvals: int,
) -> DispatchResult:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        _lock_dispatches(session)
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
        shortfall = approval_shortfall(proposal, policy, names, asked=required_approvals)
        if shortfall is not None:
            raise RefusedError(shortfall)
        if proposal.blocking:
            rules = ", ".join(v.rule for v in proposal.violations) or "no recipients or copy"
            raise RefusedError(f"campaign {campaign_id} has violations ({rules}); it cannot be "
                               "dispatched")
        violations = recheck(session, proposal, policy=policy, today=today)
        if violations:
            raise DispatchRefused(campaign_id, violations)

        valid_from = date.fromisoformat(proposal.valid_from)
        valid_to = date.fromisoformat(proposal.valid_to)
        amount = proposal.budget if proposal.budget is not None else proposal.expected_cost
        account = budget_account_name(valid_from)
        committed = _commit_budget(
            session, account=account, campaign_id=campaign_id, amount=round(amount, 2),
            period_limit=policy.budget.monthly_limit,
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
        rows = []
        for r in proposal.recipients:
            # A timed send starts the code's validity on its send day (valid_days long);
            # otherwise every code runs over the campaign's dates.
            starts = date.fromisoformat(r.send_at) if r.send_at else valid_from
            ends = (starts + timedelta(days=max(offer.valid_days, 1) - 1)) if r.send_at \
                else valid_to
            rows.append({
                "code": new_code(), "campaign_id": campaign_id, "household_id": r.household_id,
                "kind": offer.kind, "min_spend": offer.min_spend,
                "max_discount": offer.max_discount,
                "departments": offer.departments, "categories": offer.categories,
                "valid_from": starts, "valid_to": ends, "send_at": starts, "status": "issued",
                # A per-household depth (tools/uplift) is the code's own value and arm, with
                # the probability it was assigned; its copy is a variant stating that depth.
                "value": r.value if r.value is not None else offer.value,
                "arm": r.arm, "assignment_probability": r.assignment_probability,
                "variant": assign_variant(campaign_id, r.household_id,
                                          passing if r.value is None
                                          else proposal.copy_for(r.value)),
            })
        for start in range(0, len(rows), 1000):
            session.execute(
                insert(IssuedCoupon)
                .values(rows[start : start + 1000])
                .on_conflict_do_nothing(index_elements=["campaign_id", "household_id"])
            )
        issued = _issued_count(session, campaign_id) - before
        campaign.status = "dispatched"
        campaign.budget_mode = proposal.budget_mode
        audit(
            session, actor=operator, action="dispatched", campaign_id=campaign_id,
            proposal_hash=digest, issued=issued, holdout=len(proposal.holdout),
            budget_account=account, committed=round(amount, 2), approvers=names,
            approvals_required=approvals_needed(proposal, policy, asked=required_approvals),
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


def mark_approved(
    engine: Engine, campaign_id: int, *, policy: Policy, required_approvals: int = 1
) -> bool:
    """Move a proposed campaign to approved once enough distinct operators approved it.

    Enough is what the stored proposal and the policy require; `required_approvals` can only
    raise it.
    """
    with Session(engine) as session, session.begin():
        campaign = session.execute(
            select(Campaign).where(Campaign.id == campaign_id).with_for_update()
        ).scalar_one()
        if campaign.status == "approved":
            return True
        if (campaign.status != "proposed" or campaign.proposal_hash is None
                or campaign.proposal_json is None):
            return False
        proposal = Proposal.model_validate(campaign.proposal_json)
        names = approvers(session, campaign_id, campaign.proposal_hash)
        if approval_shortfall(proposal, policy, names, asked=required_approvals) is None:
            campaign.status = "approved"
            return True
        return False
