"""case creations AWS deferred: saved until AWS accepts them, then created and posted once

`deferred_cases` keeps the validated case (keyed by the workspace, channel and account, with the submitter and the
submission's idempotency key, unique), its attempts and lease, and the steps already done (`attempted_at`,
`case_id`, `posting_at`, `posted_ts`); `deferred_case_files` its attachments until the case exists.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_table(
        "deferred_cases",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("enterprise_id", sa.String(32), nullable=False),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("channel_name", sa.String(255), nullable=False),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("user_name", sa.String(255), nullable=False),
        sa.Column("user_handle", sa.String(255), nullable=False),
        sa.Column("home_enterprise_id", sa.String(32), nullable=False),
        sa.Column("home_team_id", sa.String(32), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("submitted_at", sa.DateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_until", sa.DateTime),
        sa.Column("attempted_at", sa.DateTime),
        sa.Column("case_id", sa.String(64)),
        sa.Column("posting_at", sa.DateTime),
        sa.Column("posted_ts", sa.String(32)),
        sa.PrimaryKeyConstraint("id", name="pk_deferred_cases"),
        sa.UniqueConstraint("idempotency_key", name="uq_deferred_cases_idempotency_key"),
    )
    op.create_index("ix_deferred_cases_due", "deferred_cases", ["next_attempt_at"])
    op.create_index(
        "ix_deferred_cases_workspace", "deferred_cases", ["enterprise_id", "team_id", "channel_id"]
    )
    op.create_table(
        "deferred_case_files",
        sa.Column("deferred_id", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("deferred_id", "position", name="pk_deferred_case_files"),
    )


def downgrade() -> None:
    op.drop_table("deferred_case_files")
    op.drop_index("ix_deferred_cases_workspace", table_name="deferred_cases")
    op.drop_index("ix_deferred_cases_due", table_name="deferred_cases")
    op.drop_table("deferred_cases")
