"""Version numbers per list, and the publication time of a version.

``list_versions.id`` counts across all lists (the first UN import could be "version 3"); it stays the
key every other table refers to. ``number`` counts the versions of one list from 1, in the order they
were imported; existing versions are numbered here. ``published_at`` is the publisher's time of a
version when it is known to the minute (a replayed history), else empty.

Revision ID: 0007_list_version_numbers
Revises: 0006_ownership_control
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_list_version_numbers"
down_revision = "0006_ownership_control"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("list_versions") as batch:
        batch.add_column(sa.Column("number", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    conn = op.get_bind()
    versions = sa.table(
        "list_versions",
        sa.column("id", sa.Integer),
        sa.column("dataset", sa.String),
        sa.column("number", sa.Integer),
    )
    counter: dict[str, int] = {}
    for vid, dataset in conn.execute(
        sa.select(versions.c.id, versions.c.dataset).order_by(versions.c.id)
    ).all():
        counter[dataset] = counter.get(dataset, 0) + 1
        conn.execute(sa.update(versions).where(versions.c.id == vid).values(number=counter[dataset]))
    with op.batch_alter_table("list_versions") as batch:
        batch.alter_column("number", existing_type=sa.Integer(), nullable=False)
        batch.create_index("uq_list_versions_number", ["dataset", "number"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("list_versions") as batch:
        batch.drop_index("uq_list_versions_number")
        batch.drop_column("published_at")
        batch.drop_column("number")
