"""Servicing's own tables: the business calendar, delinquency buckets (seeded with the
defaults 1-30, 31-60, 61-90, 91-180, 181+), the loan projection, payments, statement
activity and payoff quotes.

Revision ID: 0003
Revises: 0002
"""

from alembic import op
from sqlalchemy import insert

from lending_servicing.adapters import orm
from lending_servicing.domain.delinquency import DEFAULT_BUCKETS

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ("business_days", "holidays", "delinquency_buckets", "loans", "installments",
          "payments", "activity", "payoff_quotes")


def upgrade() -> None:
    bind = op.get_bind()
    for name in TABLES:
        orm.metadata.tables[name].create(bind)
    bind.execute(insert(orm.delinquency_buckets), [
        {"code": b.code.value, "min_dpd": b.min_dpd, "max_dpd": b.max_dpd}
        for b in DEFAULT_BUCKETS])


def downgrade() -> None:
    bind = op.get_bind()
    for name in reversed(TABLES):
        orm.metadata.tables[name].drop(bind)
