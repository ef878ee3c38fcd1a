"""announce changes to cached rows with NOTIFY (PostgreSQL)

Every serving process keeps installations and channel configurations in memory for a short while. On
PostgreSQL a trigger on each table they come from sends a NOTIFY naming the changed row's keys; it runs inside
the changing transaction, so it is delivered when, and only if, that transaction commits, whatever wrote the
row (a request, the admin CLI, slack_sdk's installation store). SQLite serves one process: nothing to do there.
"""

from alembic import op

revision = "0003"
down_revision = "0002"

FUNCTION = "aws_support_slack_announce_change"
CHANNEL = "aws_support_slack_changes"  # storage.change_feed listens on it
WATCHED_TABLES = (
    "slack_installations",
    "slack_bots",
    "workspaces",
    "aws_accounts",
    "workspace_authorizations",
    "channel_configurations",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"""
        CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            changed jsonb;
        BEGIN
            FOREACH changed IN ARRAY CASE TG_OP
                WHEN 'INSERT' THEN ARRAY[to_jsonb(NEW)]
                WHEN 'DELETE' THEN ARRAY[to_jsonb(OLD)]
                ELSE ARRAY[to_jsonb(OLD), to_jsonb(NEW)]
            END LOOP
                PERFORM pg_notify('{CHANNEL}', jsonb_build_object(
                    'table', TG_TABLE_NAME,
                    'enterprise_id', changed->>'enterprise_id',
                    'team_id', changed->>'team_id',
                    'channel_id', changed->>'channel_id',
                    'account_id', changed->>'account_id'
                )::text);
            END LOOP;
            RETURN NULL;
        END
        $$
        """
    )
    for table in WATCHED_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_announce_change AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in WATCHED_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_announce_change ON {table}")
    op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
