"""The ledger: event store, snapshots, journal, projections; events and journal append-only.

Revision ID: 0003
Revises: 0002
"""

from alembic import op
from sqlalchemy import MetaData, Table

from lending_ledger.adapters import orm

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = (
    orm.events, orm.snapshots, orm.journal_entries, orm.journal_lines, orm.loan_accounts,
    orm.approved_terms, orm.parked_acceptances, orm.refusals, orm.business_dates,
    orm.accrual_runs,
)
APPEND_ONLY = ("events", "journal_entries", "journal_lines")
# Columns that later revisions add (0005: approved_terms.traceparent). This revision builds
# the tables from the ORM, so it leaves those out and stays what it was when written.
ADDED_LATER = {"approved_terms": ("traceparent",)}


def as_written(table: Table) -> Table:
    later = ADDED_LATER.get(table.name)
    if not later:
        return table
    return Table(table.name, MetaData(),
                 *(column._copy() for column in table.columns if column.name not in later))


def upgrade() -> None:
    bind = op.get_bind()
    for table in TABLES:
        as_written(table).create(bind)
    op.execute(
        "CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION '% is append-only: correct with a reversing event, never an edit', "
        "TG_TABLE_NAME; END $$"
    )
    for name in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {name} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only()"
        )


def downgrade() -> None:
    for name in APPEND_ONLY:
        op.execute(f"DROP TRIGGER {name}_append_only ON {name}")
    op.execute("DROP FUNCTION ledger_append_only()")
    for table in reversed(TABLES):
        op.drop_table(table.name)
