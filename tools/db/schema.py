"""The database schema: the retailer's data and coupondesk's own campaign records.

Two halves. The retailer half mirrors The Complete Journey (or an operator's own export of the
same shape) and is read by the behaviour queries and the models. The coupondesk half records
what the product did: campaigns, approvals, issued coupons, holdouts, the budget ledger and an
append-only audit log. Invariants that money depends on live in the schema (unique codes, one
coupon per household per campaign, foreign keys, non-negative money), not only in code.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


MAX_ROW_ID = 2**63 - 1
"""The largest id SQLite (64-bit INTEGER) can bind. A larger number an operator types names
no row; callers check it with `is_row_id` instead of letting the driver raise OverflowError."""


def is_row_id(value: int) -> bool:
    """True when `value` can be looked up as an id (it may still name no row)."""
    return -MAX_ROW_ID <= value <= MAX_ROW_ID


class Base(DeclarativeBase):
    """Declarative base with stable constraint names (Alembic can drop what it created)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON}


# --------------------------------------------------------------------------- retailer data


class Household(Base):
    """A customer household. Every household seen in any retailer table has a row."""

    __tablename__ = "households"

    household_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class Demographics(Base):
    """Self-reported demographics; only some households have them (801 in The Complete Journey)."""

    __tablename__ = "demographics"

    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.household_id"), primary_key=True, autoincrement=False
    )
    age: Mapped[str | None] = mapped_column(String(16))
    income: Mapped[str | None] = mapped_column(String(16))
    home_ownership: Mapped[str | None] = mapped_column(String(32))
    marital_status: Mapped[str | None] = mapped_column(String(16))
    household_size: Mapped[str | None] = mapped_column(String(8))
    household_comp: Mapped[str | None] = mapped_column(String(32))
    kids_count: Mapped[str | None] = mapped_column(String(8))


class Product(Base):
    """The catalog: department -> product_category -> product_type, with brand and size."""

    __tablename__ = "products"
    __table_args__ = (
        Index("ix_products_department", "department"),
        Index("ix_products_category", "product_category"),
    )

    product_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    manufacturer_id: Mapped[int | None] = mapped_column(Integer)
    department: Mapped[str | None] = mapped_column(String(64))
    brand: Mapped[str | None] = mapped_column(String(32))
    product_category: Mapped[str | None] = mapped_column(String(64))
    product_type: Mapped[str | None] = mapped_column(String(64))
    package_size: Mapped[str | None] = mapped_column(String(32))


class Transaction(Base):
    """One line of one basket.

    `product_id` has no foreign key on purpose: 4,836 lines of The Complete Journey name
    products missing from its catalog, and every line must still arrive (spend and visits count).
    """

    __tablename__ = "transactions"
    __table_args__ = (
        # Covering: the behaviour queries (recency, spend, baskets, scope) read only these.
        Index(
            "ix_transactions_household_ts_cover",
            "household_id",
            "transaction_timestamp",
            "sales_value",
            "basket_id",
            "product_id",
        ),
        Index("ix_transactions_ts", "transaction_timestamp"),
        Index("ix_transactions_product", "product_id"),
        CheckConstraint("sales_value >= 0", name="sales_value_nonneg"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.household_id"))
    store_id: Mapped[int] = mapped_column(Integer)
    basket_id: Mapped[int] = mapped_column(BigInteger)
    product_id: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    sales_value: Mapped[float] = mapped_column(Float)
    retail_disc: Mapped[float] = mapped_column(Float, default=0.0)
    coupon_disc: Mapped[float] = mapped_column(Float, default=0.0)
    coupon_match_disc: Mapped[float] = mapped_column(Float, default=0.0)
    week: Mapped[int] = mapped_column(Integer)
    transaction_timestamp: Mapped[datetime] = mapped_column(DateTime)


class RetailCampaign(Base):
    """A historical marketing campaign of the retailer (Type A/B/C with a validity window)."""

    __tablename__ = "retail_campaigns"

    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    campaign_type: Mapped[str] = mapped_column(String(16))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)


class CampaignReceipt(Base):
    """Which households received which historical campaign."""

    __tablename__ = "campaign_receipts"
    __table_args__ = (Index("ix_campaign_receipts_household", "household_id"),)

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("retail_campaigns.campaign_id"), primary_key=True
    )
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.household_id"), primary_key=True
    )


class RetailCoupon(Base):
    """A coupon of a historical campaign and one product it applies to.

    Surrogate key: the source has 4,872 exact duplicate rows and all of them are kept, so row
    counts match the source. Join to redemptions on (coupon_upc, campaign_id).
    """

    __tablename__ = "retail_coupons"
    __table_args__ = (
        Index("ix_retail_coupons_upc_campaign", "coupon_upc", "campaign_id"),
        Index("ix_retail_coupons_campaign", "campaign_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    coupon_upc: Mapped[int] = mapped_column(BigInteger)
    product_id: Mapped[int] = mapped_column(Integer)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("retail_campaigns.campaign_id"))


class CouponRedemption(Base):
    """A redemption of a historical coupon by a household."""

    __tablename__ = "coupon_redemptions"
    __table_args__ = (Index("ix_coupon_redemptions_household", "household_id", "redemption_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.household_id"))
    coupon_upc: Mapped[int] = mapped_column(BigInteger)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("retail_campaigns.campaign_id"))
    redemption_date: Mapped[date] = mapped_column(Date)


class HouseholdDay(Base):
    """One household's storewide shopping on one calendar day, kept beside the lines.

    Maintained from `transactions` wherever lines are written (`tools/data/aggregates.py`, in
    the loading transaction), so recency, activity and spend-window rules read one row per
    household-day instead of every line: about a sixth of the rows, none of the width. Days are
    whole calendar days, and every window the audience rules use starts at a midnight, so the
    answers are exactly those of the lines.
    """

    __tablename__ = "household_days"
    __table_args__ = (Index("ix_household_days_day_cover", "day", "household_id", "spend"),)

    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.household_id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    spend: Mapped[float] = mapped_column(Float)
    """Sum of the day's sales_value."""
    baskets: Mapped[int] = mapped_column(Integer)
    """Distinct baskets (visits) that day."""
    lines: Mapped[int] = mapped_column(Integer)


class HouseholdCategory(Base):
    """The first and last day a household bought anything of one catalog category.

    Kept with `household_days` (`tools/data/aggregates.py`). "Bought coffee before" is exactly
    `first_day` before the day; "bought coffee in the last 30 days" is `last_day` inside the
    window whenever the window ends after the data does (planning today, not replaying a past
    day; the rules fall back to the lines otherwise). Lines of products missing from the
    catalog have no category and no row; a missing department or category is stored as ''.
    """

    __tablename__ = "household_categories"
    __table_args__ = (
        Index("ix_household_categories_category", "product_category", "first_day",
              "last_day", "household_id"),
        Index("ix_household_categories_department", "department", "first_day", "last_day",
              "household_id"),
    )

    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.household_id"), primary_key=True)
    department: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_category: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)


class CategoryPromotionWeek(Base):
    """Market context: how heavily a product category was promoted in a week, across stores.

    Aggregated from the 20.9M product x store x week rows of `promotions`. The planner and the
    models only ever ask "was this category on display / in the mailer that week, and how
    widely", so the raw rows (which would be 14x the transaction table) are not kept.
    """

    __tablename__ = "category_promotion_weeks"

    department: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_category: Mapped[str] = mapped_column(String(64), primary_key=True)
    week: Mapped[int] = mapped_column(Integer, primary_key=True)
    display_rows: Mapped[int] = mapped_column(Integer)
    """product x store rows with an in-store display that week."""
    mailer_rows: Mapped[int] = mapped_column(Integer)
    """product x store rows featured in the weekly mailer that week."""
    products_promoted: Mapped[int] = mapped_column(Integer)
    """Distinct products of the category promoted in any store that week."""


class DatasetLoad(Base):
    """What has been ingested, so `coupondesk setup` can skip work already done."""

    __tablename__ = "dataset_loads"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(256))
    row_counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    loaded_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


# --------------------------------------------------------------------------- coupondesk's own


class Campaign(Base):
    """A campaign planned by coupondesk; its id is also the agent's thread id."""

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft','proposed','blocked','approved','dispatched','rejected')",
            name="status",
        ),
        CheckConstraint("redeemed_discount >= 0", name="redeemed_nonneg"),
        CheckConstraint("budget_mode IN ('service','export_only')", name="budget_mode"),
        CheckConstraint("budget IS NULL OR budget >= 0", name="budget_nonneg"),
        CheckConstraint("expected_cost IS NULL OR expected_cost >= 0", name="cost_nonneg"),
        Index("ix_campaigns_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    plan_json: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    proposal_json: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    proposal_hash: Mapped[str | None] = mapped_column(String(64))
    budget: Mapped[float | None] = mapped_column(Float)
    expected_cost: Mapped[float | None] = mapped_column(Float)
    audience_size: Mapped[int | None] = mapped_column(Integer)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, server_default=func.now(), onupdate=func.now()
    )
    rejected_reason: Mapped[str | None] = mapped_column(Text)
    budget_mode: Mapped[str] = mapped_column(String(16), default="service",
                                             server_default="service")
    """'service': the budget is enforced at redemption; 'export_only': codes are redeemed
    outside this service, so the worst-case liability rule sizes the campaign instead."""
    redeemed_discount: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    """Running total of discount granted; redemption checks it against `budget` under the
    campaign row's lock, in the same transaction as the single-use check."""
    redeemed_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Approval(Base):
    """An operator's approval of one exact proposal (by hash); a changed proposal needs another."""

    __tablename__ = "approvals"
    __table_args__ = (UniqueConstraint("campaign_id", "operator", "proposal_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="RESTRICT"))
    operator: Mapped[str] = mapped_column(String(64))
    proposal_hash: Mapped[str] = mapped_column(String(64))
    approved_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class IssuedCoupon(Base):
    """A coupon code given to one household by one dispatched campaign."""

    __tablename__ = "issued_coupons"
    __table_args__ = (
        UniqueConstraint("campaign_id", "household_id"),
        UniqueConstraint("code"),
        CheckConstraint("value > 0", name="value_positive"),
        CheckConstraint("min_spend IS NULL OR min_spend >= 0", name="min_spend_nonneg"),
        CheckConstraint("kind IN ('percent_off','amount_off')", name="kind"),
        CheckConstraint("status IN ('issued','redeemed','expired','void')", name="status"),
        CheckConstraint("valid_to >= valid_from", name="validity_order"),
        CheckConstraint("max_discount IS NULL OR max_discount > 0", name="max_discount_positive"),
        Index("ix_issued_coupons_household_valid", "household_id", "valid_from"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="RESTRICT"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.household_id"))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[float] = mapped_column(Float)
    min_spend: Mapped[float | None] = mapped_column(Float)
    departments: Mapped[list[str]] = mapped_column(JSON, default=list)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="issued")
    issued_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    max_discount: Mapped[float | None] = mapped_column(Float)
    """Per-order cap of a percent offer ("15% off, up to $5"); None for amount-off."""
    variant: Mapped[int | None] = mapped_column(Integer)
    """Index of the copy variant this household was given."""
    send_at: Mapped[date | None] = mapped_column(Date)
    """The day the delivery tool should send this code (validity starts with it)."""
    assignment_probability: Mapped[float | None] = mapped_column(Float)
    """Probability with which this household was assigned its arm (exploration, IPS)."""
    arm: Mapped[str | None] = mapped_column(String(32))
    """The arm ('percent_off:15') when depth varies by household."""
    redeemed_at: Mapped[datetime | None] = mapped_column(DateTime)


class Holdout(Base):
    """A household kept out of a campaign as its control group (for the incrementality readout)."""

    __tablename__ = "holdouts"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="RESTRICT"), primary_key=True
    )
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.household_id"), primary_key=True
    )


class BudgetAccount(Base):
    """A spending envelope shared by all campaigns of a period; dispatch commits against it.

    Dispatch locks the row (SELECT ... FOR UPDATE on PostgreSQL; SQLite serialises writers), so
    two approvals racing for the same money cannot both succeed.
    """

    __tablename__ = "budget_accounts"
    __table_args__ = (
        CheckConstraint("limit_amount >= 0", name="limit_nonneg"),
        CheckConstraint("committed >= 0", name="committed_nonneg"),
        CheckConstraint("committed <= limit_amount", name="within_limit"),
    )

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    limit_amount: Mapped[float] = mapped_column(Float)
    committed: Mapped[float] = mapped_column(Float, default=0.0)


class BudgetEntry(Base):
    """One commitment of money by one campaign against a budget account."""

    __tablename__ = "budget_entries"
    __table_args__ = (
        UniqueConstraint("account", "campaign_id"),
        CheckConstraint("amount >= 0", name="amount_nonneg"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(ForeignKey("budget_accounts.name"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="RESTRICT"))
    amount: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class AuditEntry(Base):
    """Append-only log of everything that changed a campaign (triggers forbid UPDATE/DELETE)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_campaign", "campaign_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    actor: Mapped[str] = mapped_column(String(64))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="RESTRICT"))
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ApiKey(Base):
    """A redemption-service API key; only its SHA-256 is stored: a leaked table grants nothing."""

    __tablename__ = "api_keys"
    __table_args__ = (
        UniqueConstraint("key_hash"),
        UniqueConstraint("name"),
        CheckConstraint("role IN ('checkout','operator')", name="role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16), default="checkout", server_default="checkout")
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class OutcomeImport(Base):
    """One load of outcome files (observed from a store, or simulated); its hash makes it once."""

    __tablename__ = "outcome_imports"
    __table_args__ = (
        UniqueConstraint("content_hash"),
        CheckConstraint("source IN ('observed','simulated')", name="source"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(16))
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="RESTRICT")
    )
    directory: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    redemptions: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    transactions: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    imported_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class Redemption(Base):
    """One redeemed code: through the service, or reported by the store (observed/simulated).

    `code` is unique: a code redeems once, whichever path reports it first.
    """

    __tablename__ = "redemptions"
    __table_args__ = (
        UniqueConstraint("code"),
        CheckConstraint("discount >= 0", name="discount_nonneg"),
        CheckConstraint("basket_total >= 0", name="basket_nonneg"),
        CheckConstraint("source IN ('service','observed','simulated')", name="source"),
        Index("ix_redemptions_campaign", "campaign_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(ForeignKey("issued_coupons.code", ondelete="RESTRICT"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="RESTRICT"))
    household_id: Mapped[int] = mapped_column(BigInteger)
    redeemed_at: Mapped[datetime] = mapped_column(DateTime)
    basket_total: Mapped[float] = mapped_column(Float)
    discount: Mapped[float] = mapped_column(Float)
    order_id: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    outcome_import_id: Mapped[int | None] = mapped_column(ForeignKey("outcome_imports.id"))


class RedemptionRefusal(Base):
    """A redemption that was refused (budget exhausted, expired, ...), kept for the readout."""

    __tablename__ = "redemption_refusals"
    __table_args__ = (Index("ix_redemption_refusals_campaign", "campaign_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32))
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="RESTRICT")
    )
    reason: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class IdempotencyKey(Base):
    """The first answer to a request made with an Idempotency-Key (Stripe's scheme), per API key."""

    __tablename__ = "idempotency_keys"

    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class OutcomeTransaction(Base):
    """A transaction line reported after a campaign (observed) or played by the simulator.

    Kept apart from `transactions` so a simulated market never mixes into the retailer's real
    history; the readout and the uplift training read both, each marked with its source.
    """

    __tablename__ = "outcome_transactions"
    __table_args__ = (
        UniqueConstraint("source", "household_id", "basket_id", "product_id"),
        CheckConstraint("source IN ('observed','simulated')", name="source"),
        Index("ix_outcome_transactions_household_ts", "household_id", "transaction_timestamp"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    outcome_import_id: Mapped[int] = mapped_column(ForeignKey("outcome_imports.id"))
    source: Mapped[str] = mapped_column(String(16))
    household_id: Mapped[int] = mapped_column(BigInteger)
    store_id: Mapped[int | None] = mapped_column(BigInteger)
    basket_id: Mapped[int] = mapped_column(BigInteger)
    product_id: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[float] = mapped_column(Float)
    sales_value: Mapped[float] = mapped_column(Float)
    retail_disc: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    coupon_disc: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    coupon_match_disc: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    week: Mapped[int | None] = mapped_column(Integer)
    transaction_timestamp: Mapped[datetime] = mapped_column(DateTime)


RETAILER_TABLES = (
    "households",
    "demographics",
    "products",
    "transactions",
    "retail_campaigns",
    "campaign_receipts",
    "retail_coupons",
    "coupon_redemptions",
    "category_promotion_weeks",
)
