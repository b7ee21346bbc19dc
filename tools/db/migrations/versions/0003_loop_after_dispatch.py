"""the loop after dispatch: redemptions, API keys, idempotency, outcomes, blocked campaigns

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 14:50:00

What a campaign needs once its codes leave the desk: the redemption service's API keys and
idempotency records, one redemptions table that the service and `import-outcomes` both write
(with the refusals beside it, for the readout), imported or simulated outcome transactions, and
per-code terms that vary by household (depth, per-order cap, send date, the probability with
which an exploration arm was assigned). Campaigns gain the `blocked` status and the running
total of redeemed discount that redemption checks against the budget under the campaign lock.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OLD_STATUS = "status IN ('draft','proposed','approved','dispatched','rejected')"
NEW_STATUS = "status IN ('draft','proposed','blocked','approved','dispatched','rejected')"


def upgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_campaigns_status"), type_="check")
        batch_op.create_check_constraint("status", NEW_STATUS)
        batch_op.add_column(
            sa.Column("budget_mode", sa.String(length=16), nullable=False,
                      server_default="service")
        )
        batch_op.add_column(
            sa.Column("redeemed_discount", sa.Float(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("redeemed_count", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.create_check_constraint("redeemed_nonneg", "redeemed_discount >= 0")
        batch_op.create_check_constraint(
            "budget_mode", "budget_mode IN ('service','export_only')"
        )

    with op.batch_alter_table("issued_coupons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("max_discount", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("variant", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("send_at", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("assignment_probability", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("arm", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("redeemed_at", sa.DateTime(), nullable=True))
        batch_op.create_check_constraint(
            "max_discount_positive", "max_discount IS NULL OR max_discount > 0"
        )

    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False, server_default="checkout"),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"),
                  nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("role IN ('checkout','operator')", name=op.f("ck_api_keys_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
        sa.UniqueConstraint("name", name=op.f("uq_api_keys_name")),
    )
    op.create_table(
        "outcome_imports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("directory", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("redemptions", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("transactions", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"),
                  nullable=False),
        sa.CheckConstraint("source IN ('observed','simulated')",
                           name=op.f("ck_outcome_imports_source")),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="RESTRICT",
                                name=op.f("fk_outcome_imports_campaign_id_campaigns")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_imports")),
        sa.UniqueConstraint("content_hash", name=op.f("uq_outcome_imports_content_hash")),
    )
    op.create_table(
        "redemptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.BigInteger(), nullable=False),
        sa.Column("redeemed_at", sa.DateTime(), nullable=False),
        sa.Column("basket_total", sa.Float(), nullable=False),
        sa.Column("discount", sa.Float(), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        sa.Column("outcome_import_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("discount >= 0", name=op.f("ck_redemptions_discount_nonneg")),
        sa.CheckConstraint("basket_total >= 0", name=op.f("ck_redemptions_basket_nonneg")),
        sa.CheckConstraint("source IN ('service','observed','simulated')",
                           name=op.f("ck_redemptions_source")),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="RESTRICT",
                                name=op.f("fk_redemptions_campaign_id_campaigns")),
        sa.ForeignKeyConstraint(["code"], ["issued_coupons.code"], ondelete="RESTRICT",
                                name=op.f("fk_redemptions_code_issued_coupons")),
        sa.ForeignKeyConstraint(["api_key_id"], ["api_keys.id"],
                                name=op.f("fk_redemptions_api_key_id_api_keys")),
        sa.ForeignKeyConstraint(["outcome_import_id"], ["outcome_imports.id"],
                                name=op.f("fk_redemptions_outcome_import_id_outcome_imports")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redemptions")),
        sa.UniqueConstraint("code", name=op.f("uq_redemptions_code")),
    )
    with op.batch_alter_table("redemptions", schema=None) as batch_op:
        batch_op.create_index("ix_redemptions_campaign", ["campaign_id"], unique=False)
    op.create_table(
        "redemption_refusals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"),
                  nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="RESTRICT",
                                name=op.f("fk_redemption_refusals_campaign_id_campaigns")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redemption_refusals")),
    )
    with op.batch_alter_table("redemption_refusals", schema=None) as batch_op:
        batch_op.create_index("ix_redemption_refusals_campaign", ["campaign_id"], unique=False)
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"),
                  nullable=False),
        sa.ForeignKeyConstraint(["api_key_id"], ["api_keys.id"],
                                name=op.f("fk_idempotency_keys_api_key_id_api_keys")),
        sa.PrimaryKeyConstraint("api_key_id", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "outcome_transactions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=True, nullable=False),
        sa.Column("outcome_import_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("household_id", sa.BigInteger(), nullable=False),
        sa.Column("store_id", sa.BigInteger(), nullable=True),
        sa.Column("basket_id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("sales_value", sa.Float(), nullable=False),
        sa.Column("retail_disc", sa.Float(), nullable=False, server_default="0"),
        sa.Column("coupon_disc", sa.Float(), nullable=False, server_default="0"),
        sa.Column("coupon_match_disc", sa.Float(), nullable=False, server_default="0"),
        sa.Column("week", sa.Integer(), nullable=True),
        sa.Column("transaction_timestamp", sa.DateTime(), nullable=False),
        sa.CheckConstraint("source IN ('observed','simulated')",
                           name=op.f("ck_outcome_transactions_source")),
        sa.ForeignKeyConstraint(["outcome_import_id"], ["outcome_imports.id"],
                                name=op.f("fk_outcome_transactions_outcome_import_id_outcome_imports")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_transactions")),
        sa.UniqueConstraint("source", "household_id", "basket_id", "product_id",
                            name=op.f("uq_outcome_transactions_source_household_id_basket_id_product_id")),
    )
    with op.batch_alter_table("outcome_transactions", schema=None) as batch_op:
        batch_op.create_index("ix_outcome_transactions_household_ts",
                              ["household_id", "transaction_timestamp"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outcome_transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_outcome_transactions_household_ts")
    op.drop_table("outcome_transactions")
    op.drop_table("idempotency_keys")
    with op.batch_alter_table("redemption_refusals", schema=None) as batch_op:
        batch_op.drop_index("ix_redemption_refusals_campaign")
    op.drop_table("redemption_refusals")
    with op.batch_alter_table("redemptions", schema=None) as batch_op:
        batch_op.drop_index("ix_redemptions_campaign")
    op.drop_table("redemptions")
    op.drop_table("outcome_imports")
    op.drop_table("api_keys")
    with op.batch_alter_table("issued_coupons", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_issued_coupons_max_discount_positive"), type_="check")
        for column in ("redeemed_at", "arm", "assignment_probability", "send_at", "variant",
                       "max_discount"):
            batch_op.drop_column(column)
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_campaigns_budget_mode"), type_="check")
        batch_op.drop_constraint(op.f("ck_campaigns_redeemed_nonneg"), type_="check")
        for column in ("redeemed_count", "redeemed_discount", "budget_mode"):
            batch_op.drop_column(column)
        batch_op.drop_constraint(op.f("ck_campaigns_status"), type_="check")
        batch_op.create_check_constraint("status", OLD_STATUS)
