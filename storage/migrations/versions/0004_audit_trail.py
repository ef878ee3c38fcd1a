"""the audit trail people read: who by name, the CloudTrail session name, and indexes for the listings

Rows written before this revision keep NULL in the new columns (the name and session were not recorded then).
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"

INDEXES = {
    "ix_audit_events_workspace": ["enterprise_id", "team_id", "id"],
    "ix_audit_events_channel": ["enterprise_id", "team_id", "channel_id", "id"],
    "ix_audit_events_user": ["enterprise_id", "team_id", "user_id", "id"],
    "ix_audit_events_case": ["enterprise_id", "team_id", "case_id", "id"],
}


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.add_column(sa.Column("user_name", sa.String(255), nullable=True))
        batch_op.add_column(sa.Column("session_name", sa.String(64), nullable=True))
    for name, columns in INDEXES.items():
        op.create_index(name, "audit_events", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="audit_events")
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.drop_column("session_name")
        batch_op.drop_column("user_name")
