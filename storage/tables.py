"""Every table of the app. Alembic migrations (storage/migrations) create them; nothing else runs DDL.

The Slack installation, bot and OAuth-state tables keep slack_sdk's column names so that its SQLAlchemy
installation store runs unchanged on them, but token columns hold Fernet ciphertext (see storage.crypto) and
so are Text, and the tables carry the indexes and unique keys slack_sdk's own shapes lack.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)

from storage.crypto import EncryptedToken

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

slack_installations = Table(
    "slack_installations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("enterprise_url", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", EncryptedToken),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", EncryptedToken),
    Column("bot_token_expires_at", DateTime),
    Column("user_id", String(32), nullable=False),
    Column("user_token", EncryptedToken),
    Column("user_scopes", String(1000)),
    Column("user_refresh_token", EncryptedToken),
    Column("user_token_expires_at", DateTime),
    Column("incoming_webhook_url", EncryptedToken),
    Column("incoming_webhook_channel", String(200)),
    Column("incoming_webhook_channel_id", String(200)),
    Column("incoming_webhook_configuration_url", String(200)),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("token_type", String(32)),
    Column("installed_at", DateTime, nullable=False, default=func.now()),
    UniqueConstraint(
        "client_id", "enterprise_id", "team_id", "user_id", "installed_at", name="uq_slack_installations"
    ),
    Index("ix_slack_installations_lookup", "client_id", "enterprise_id", "team_id", "installed_at"),
)

slack_bots = Table(
    "slack_bots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", EncryptedToken),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", EncryptedToken),
    Column("bot_token_expires_at", DateTime),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("installed_at", DateTime, nullable=False, default=func.now()),
    Index("ix_slack_bots_lookup", "client_id", "enterprise_id", "team_id", "installed_at"),
)

slack_oauth_states = Table(
    "slack_oauth_states",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False, unique=True),
    Column("expire_at", DateTime, nullable=False, index=True),
    # The AWS account an install was started for (`/slack/install?aws_account=...`), if any.
    Column("aws_account_id", String(12)),
    Column("consumed_at", DateTime),
)

# One row per installed workspace, or per Enterprise Grid organization for an org-wide install (team_id "").
# Outlives uninstalls: the configuration comes back on reinstall.
workspaces = Table(
    "workspaces",
    metadata,
    Column("enterprise_id", String(32), primary_key=True),
    Column("team_id", String(32), primary_key=True),
    Column("team_name", String(200), nullable=False, default=""),
    Column("external_id", String(64), nullable=False, unique=True),
    Column("installed_at", DateTime, nullable=False, default=func.now()),
    Column("installed_by", String(32)),
    Column("uninstalled_at", DateTime),
    Column("admin_user_ids", JSON, nullable=False, default=list),
)

processed_events = Table(
    "processed_events",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("seen_at", DateTime, nullable=False, default=func.now(), index=True),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False, default=func.now(), index=True),
    Column("enterprise_id", String(32), nullable=False, default=""),
    Column("team_id", String(32), nullable=False, default=""),
    Column("channel_id", String(32)),
    Column("user_id", String(32)),
    Column("account_id", String(12)),
    Column("role_arn", String(2048)),
    Column("action", String(64), nullable=False),
    Column("case_id", String(64)),
    Column("outcome", String(32), nullable=False),
    Column("detail", Text),
    Column("aws_request_id", String(64)),
)
