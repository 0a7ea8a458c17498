"""Specific licences the institution holds; a block's basis that lapsed while its property stays blocked.

Revision ID: 0004_specific_licences
Revises: 0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from proscribe.store.schema import UTCDateTime

revision = "0004_specific_licences"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "specific_licenses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("issuing_authority", sa.String(length=200), nullable=False),
        sa.Column("program", sa.String(length=50), nullable=True),
        sa.Column("licensee", sa.Text(), nullable=False),
        sa.Column("direction", sa.String(length=20), nullable=False),
        sa.Column("parties", sa.JSON(), nullable=False),
        sa.Column("accounts", sa.JSON(), nullable=False),
        sa.Column("counterparty", sa.Text(), nullable=True),
        sa.Column("counterparty_account", sa.String(length=100), nullable=True),
        sa.Column("amount", sa.Numeric(precision=24, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("used", sa.Numeric(precision=24, scale=4), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=True),
        sa.Column("issued", sa.Date(), nullable=False),
        sa.Column("expires", UTCDateTime(), nullable=True),
        sa.Column("unblocking_report", sa.Boolean(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("registered_by", sa.String(length=200), nullable=False),
        sa.Column("registered_at", UTCDateTime(), nullable=False),
        sa.Column("approved_by", sa.String(length=200), nullable=True),
        sa.Column("approved_at", UTCDateTime(), nullable=True),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["decision_id"], ["decisions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    with op.batch_alter_table("specific_licenses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_specific_licenses_status"), ["status"], unique=False)
    with op.batch_alter_table("blocks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lapsed_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("lapsed_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("blocks", schema=None) as batch_op:
        batch_op.drop_column("lapsed_reason")
        batch_op.drop_column("lapsed_at")
    with op.batch_alter_table("specific_licenses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_specific_licenses_status"))
    op.drop_table("specific_licenses")
