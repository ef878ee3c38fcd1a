"""key every per-channel table by the whole workspace (enterprise_id and team_id)

Two Enterprise Grid orgs that each install org-wide both have team_id "", so keys of team_id alone let one org
read, overwrite and delete the other's rows in a channel they share. Every row already holds its enterprise_id:
only the primary keys, the unique constraint and the index gain it, and the rows stay as they are.
"""

from alembic import op

revision = "0002"
down_revision = "0001"

# table -> (key without enterprise_id); each becomes (enterprise_id, *key)
PRIMARY_KEYS = {
    "channel_configurations": ["team_id", "channel_id", "account_id"],
    "case_threads": ["team_id", "channel_id", "account_id", "case_id"],
    "notification_channels": ["team_id", "channel_id"],
}


def _deliveries_keys(with_enterprise: bool) -> None:
    lead = ["enterprise_id"] if with_enterprise else []
    with op.batch_alter_table("notification_deliveries", recreate="auto") as batch_op:
        batch_op.drop_constraint("uq_notification_deliveries_event_channel", type_="unique")
        batch_op.drop_index("ix_notification_deliveries_channel_state")
        batch_op.create_unique_constraint(
            "uq_notification_deliveries_event_channel", ["event_id", *lead, "team_id", "channel_id"]
        )
        batch_op.create_index(
            "ix_notification_deliveries_channel_state", [*lead, "team_id", "channel_id", "state", "id"]
        )


def _primary_keys(with_enterprise: bool) -> None:
    lead = ["enterprise_id"] if with_enterprise else []
    for table, key in PRIMARY_KEYS.items():
        with op.batch_alter_table(table, recreate="auto") as batch_op:
            batch_op.drop_constraint(f"pk_{table}", type_="primary")
            batch_op.create_primary_key(f"pk_{table}", [*lead, *key])


def upgrade() -> None:
    _primary_keys(with_enterprise=True)
    _deliveries_keys(with_enterprise=True)


def downgrade() -> None:
    # Fails (duplicate key) while two orgs hold rows of one channel: those rows cannot be told apart at 0001.
    _primary_keys(with_enterprise=False)
    _deliveries_keys(with_enterprise=False)
