"""An owner's control of an organisation (the EU's and the UK's ownership-or-control test).

Revision ID: 0006_ownership_control
Revises: 0005_audit_anchor
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_ownership_control"
down_revision = "0005_audit_anchor"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ownerships") as batch:
        batch.add_column(sa.Column("control", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("ownerships") as batch:
        batch.drop_column("control")
