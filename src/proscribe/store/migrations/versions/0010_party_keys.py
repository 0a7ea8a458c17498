"""The book's party keys: the retrieval keys of each party's names, for delta re-screens.

Revision ID: 0010_party_keys
Revises: 0009_money_minor_units
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_party_keys"
down_revision = "0009_money_minor_units"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "party_keys",
        sa.Column("key", sa.String(210), primary_key=True),
        sa.Column("party_id", sa.String(100), primary_key=True),
    )
    op.create_index("ix_party_keys_party_id", "party_keys", ["party_id"])
    op.create_table(
        "party_key_lookups",
        sa.Column("key", sa.String(210), primary_key=True),
        sa.Column("lookups", sa.Text(), nullable=False),
        sa.Column("key_version", sa.String(32), nullable=False),
    )
    op.create_table(
        "party_key_state",
        sa.Column("party_id", sa.String(100), primary_key=True),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("key_version", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("party_key_state")
    op.drop_table("party_key_lookups")
    op.drop_index("ix_party_keys_party_id", table_name="party_keys")
    op.drop_table("party_keys")
