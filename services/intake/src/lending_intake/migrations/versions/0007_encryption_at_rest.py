"""Identity data and webhook secrets sealed at rest; erasure of applications that never
became loans.

Only the columns: the at-rest worker (service_layer/at_rest.py) seals the rows written
before, in batches, with the service's key (a migration has no key to seal with).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("partners", "webhook_secret", nullable=True)
    op.add_column("partners", sa.Column("webhook_secret_sealed", sa.LargeBinary()))
    op.add_column("partners", sa.Column("webhook_secret_key_id", sa.Text()))
    op.add_column("applications", sa.Column("identity_sealed", sa.LargeBinary()))
    op.add_column("applications", sa.Column("identity_key_id", sa.Text()))
    op.add_column("applications", sa.Column("erased_at", sa.DateTime(timezone=True)))
    op.create_index("applications_by_identity_key", "applications", ["identity_key_id"])
    op.create_index("applications_identity_in_clear", "applications", ["submitted_at"],
                    postgresql_where=sa.text("request ? 'applicant'"))
    op.create_index("applications_erasable", "applications", ["updated_at"],
                    postgresql_where=sa.text("erased_at IS NULL AND status IN ('declined', "
                                             "'withdrawn', 'expired')"))


def downgrade() -> None:
    # Sealed values cannot be put back in clear here (a migration holds no key), and the
    # older code cannot read them: refuse rather than lose them (restore a backup instead).
    bind = op.get_bind()
    sealed = bind.execute(sa.text(
        "SELECT (SELECT count(*) FROM partners WHERE webhook_secret IS NULL) "
        "+ (SELECT count(*) FROM applications WHERE identity_sealed IS NOT NULL)")).scalar()
    if sealed:
        raise RuntimeError(f"{sealed} rows hold sealed data that the code before 0007 "
                           "cannot read; restore a backup taken before the upgrade instead")
    op.drop_index("applications_erasable", table_name="applications")
    op.drop_index("applications_identity_in_clear", table_name="applications")
    op.drop_index("applications_by_identity_key", table_name="applications")
    op.drop_column("applications", "erased_at")
    op.drop_column("applications", "identity_key_id")
    op.drop_column("applications", "identity_sealed")
    op.drop_column("partners", "webhook_secret_key_id")
    op.drop_column("partners", "webhook_secret_sealed")
    op.alter_column("partners", "webhook_secret", nullable=False)
