"""The audit trail anchored outside the store: a keyed MAC per record, and the rows each record covers.

``mac`` is an HMAC-SHA256, under a key kept outside the database (``PROSCRIBE_AUDIT_DIR``), of the
record's hash; ``rows`` holds the digest of every ledger posting and decision the record covers.
Both are empty on records written before this migration, which verify for internal consistency
only (``proscribe audit verify`` says so).

Revision ID: 0005_audit_anchor
Revises: 0004_specific_licences
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_audit_anchor"
down_revision = "0004_specific_licences"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mac", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("rows", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("rows")
        batch_op.drop_column("mac")
