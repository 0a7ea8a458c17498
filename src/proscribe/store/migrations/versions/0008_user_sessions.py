"""Signed-in sessions kept on the server, so that signing out ends a session for good.

Revision ID: 0008_user_sessions
Revises: 0007_list_version_numbers
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from proscribe.store.schema import UTCDateTime

revision = "0008_user_sessions"
down_revision = "0007_list_version_numbers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("username", sa.String(100), sa.ForeignKey("users.username"), nullable=False, index=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("ended_by", sa.String(200), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("user_sessions")
