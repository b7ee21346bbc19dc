"""household_days and household_categories: aggregates kept beside the lines

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 18:30:00

Recency, activity and spend-window audience rules read one row per household-day, and scope
rules one row per household and category (first and last day bought), instead of every
transaction line; tools/data/aggregates.py keeps both in step at every load. A database that
already holds lines gets their rows built here, in the migration's transaction.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "household_days",
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("spend", sa.Float(), nullable=False),
        sa.Column("baskets", sa.Integer(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["household_id"], ["households.household_id"],
                                name=op.f("fk_household_days_household_id_households")),
        sa.PrimaryKeyConstraint("household_id", "day", name=op.f("pk_household_days")),
    )
    op.create_index("ix_household_days_day_cover", "household_days",
                    ["day", "household_id", "spend"], unique=False)
    op.create_table(
        "household_categories",
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("product_category", sa.String(length=64), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["household_id"], ["households.household_id"],
                                name=op.f("fk_household_categories_household_id_households")),
        sa.PrimaryKeyConstraint("household_id", "department", "product_category",
                                name=op.f("pk_household_categories")),
    )
    op.create_index("ix_household_categories_category", "household_categories",
                    ["product_category", "first_day", "last_day", "household_id"], unique=False)
    op.create_index("ix_household_categories_department", "household_categories",
                    ["department", "first_day", "last_day", "household_id"], unique=False)
    # The SQL of tools/data/aggregates.py as of this revision, frozen here with the schema.
    op.execute(
        "INSERT INTO household_days (household_id, day, spend, baskets, lines) "
        "SELECT household_id, date(transaction_timestamp), SUM(sales_value), "
        "COUNT(DISTINCT basket_id), COUNT(*) FROM transactions "
        "GROUP BY household_id, date(transaction_timestamp)"
    )
    op.execute(
        "INSERT INTO household_categories "
        "(household_id, department, product_category, first_day, last_day) "
        "SELECT t.household_id, COALESCE(p.department, ''), COALESCE(p.product_category, ''), "
        "MIN(date(t.transaction_timestamp)), MAX(date(t.transaction_timestamp)) "
        "FROM transactions t JOIN products p ON p.product_id = t.product_id "
        "GROUP BY t.household_id, COALESCE(p.department, ''), COALESCE(p.product_category, '')"
    )


def downgrade() -> None:
    op.drop_index("ix_household_categories_department", table_name="household_categories")
    op.drop_index("ix_household_categories_category", table_name="household_categories")
    op.drop_table("household_categories")
    op.drop_index("ix_household_days_day_cover", table_name="household_days")
    op.drop_table("household_days")
