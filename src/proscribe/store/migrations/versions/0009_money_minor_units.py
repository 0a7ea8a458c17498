"""Money exact on SQLite: amounts as whole ten-thousandths instead of binary floats.

SQLite's NUMERIC columns keep a decimal as a float, which drops cents from about 10^13 up. On
SQLite every money column now holds an integer count of ten-thousandths (``schema.Money``); the
amounts already stored are converted (an amount a float had already rounded stays as it was read).
PostgreSQL keeps NUMERIC(24, 4) and is not touched.

Revision ID: 0009_money_minor_units
Revises: 0008_user_sessions
Create Date: 2026-12-03
"""

from alembic import op

revision = "0009_money_minor_units"
down_revision = "0008_user_sessions"
branch_labels = None
depends_on = None

#: table -> its money columns
MONEY_COLUMNS = {
    "accounts": ("balance",),
    "ledger_entries": ("amount", "balance_after"),
    "specific_licenses": ("amount", "used"),
    "payments": ("amount",),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, columns in MONEY_COLUMNS.items():
        sets = ", ".join(f"{c} = CAST(ROUND({c} * 10000) AS INTEGER)" for c in columns)
        op.execute(f"UPDATE {table} SET {sets}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, columns in MONEY_COLUMNS.items():
        sets = ", ".join(f"{c} = {c} / 10000.0" for c in columns)
        op.execute(f"UPDATE {table} SET {sets}")
