"""who in a channel may do what: the member policy of a channel configuration

An optional JSON column on channel_configurations (bolt_app.services.member_policy's vocabulary); NULL keeps
today's behaviour, everyone in the channel may do what the channel's role allows. Existing rows stay NULL.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    with op.batch_alter_table("channel_configurations") as batch_op:
        batch_op.add_column(sa.Column("member_policy", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channel_configurations") as batch_op:
        batch_op.drop_column("member_policy")
