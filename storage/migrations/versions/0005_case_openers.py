"""remember who opened each case through the app

AWS records the channel's role as a case's submitter; the Slack person who opened it is only known to the app.
Keyed like every per-workspace table by (enterprise_id, team_id), then the account and the case.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.create_table(
        "case_openers",
        sa.Column("enterprise_id", sa.String(32), nullable=False),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("display_id", sa.String(32)),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("opened_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("enterprise_id", "team_id", "account_id", "case_id", name="pk_case_openers"),
    )
    op.create_index(
        "ix_case_openers_user", "case_openers", ["enterprise_id", "team_id", "user_id", "opened_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_case_openers_user", table_name="case_openers")
    op.drop_table("case_openers")
