"""Every table of the app. Alembic migrations (storage/migrations) create them; nothing else runs DDL.

The Slack installation, bot and OAuth-state tables keep slack_sdk's column names so that its SQLAlchemy
installation store runs unchanged on them, but token columns hold Fernet ciphertext (see storage.crypto) and
so are Text, and the tables carry the indexes and unique keys slack_sdk's own shapes lack.
"""

from __future__ import annotations

from sqlalchemy import JSON
from sqlalchemy import Boolean
from sqlalchemy import Column
from sqlalchemy import DateTime
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import LargeBinary
from sqlalchemy import MetaData
from sqlalchemy import PrimaryKeyConstraint
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy import func

from storage.crypto import EncryptedToken

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _installed_bot_columns() -> list[Column[object]]:
    """What slack_installations and slack_bots both hold of an installation: the app, where, and its bot."""
    return [
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
    ]


slack_installations = Table(
    "slack_installations",
    metadata,
    *_installed_bot_columns(),
    Column("enterprise_url", String(200)),
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
    *_installed_bot_columns(),
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

aws_accounts = Table(
    "aws_accounts",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("account_name", String(30)),  # None: shown as the account ID
    Column("organization_id", String(64)),
    Column("management_account_id", String(12)),
    Column("updated_at", DateTime, nullable=False, default=func.now()),
)

# An AWS account's consent for a workspace. `pending` rows come from an install link that named the account
# and count toward no limit; `authorized` ones were proven (via `role`: AssumeRole with the workspace's External
# ID, or via `organization`: the management account registered the workspace for the account's organization).
workspace_authorizations = Table(
    "workspace_authorizations",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("enterprise_id", String(32), primary_key=True),
    Column("team_id", String(32), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("via", String(16)),
    Column("verified_role_arn", String(2048)),
    Column("authorized_by", String(64)),
    Column("authorized_at", DateTime),
    Column("requested_at", DateTime, nullable=False, default=func.now()),
    Index("ix_workspace_authorizations_workspace", "enterprise_id", "team_id"),
)

organization_registrations = Table(
    "organization_registrations",
    metadata,
    Column("organization_id", String(64), primary_key=True),
    Column("enterprise_id", String(32), primary_key=True),
    Column("team_id", String(32), primary_key=True),
    Column("management_account_id", String(12), nullable=False),
    Column("registered_by", String(64)),
    Column("registered_at", DateTime, nullable=False, default=func.now()),
)

# Keyed by the whole workspace: two Grid orgs that install org-wide both have team_id "" (see WorkspaceKey),
# and a channel they share holds one configuration of each.
channel_configurations = Table(
    "channel_configurations",
    metadata,
    Column("team_id", String(32), nullable=False),
    Column("channel_id", String(32), nullable=False),
    Column("account_id", String(12), nullable=False),
    Column("enterprise_id", String(32), nullable=False, default=""),
    Column("channel_name", String(256), nullable=False, default=""),
    Column("role_arn", String(2048), nullable=False),
    Column("notify_on_case_severity", String(8), nullable=False, default="none"),
    Column("notify_on_create_or_reopen_case", Boolean, nullable=False, default=False),
    Column("notify_on_add_correspondence_to_case", Boolean, nullable=False, default=False),
    Column("notify_on_resolve_case", Boolean, nullable=False, default=False),
    # Who in the channel may do what (bolt_app.services.member_policy's file vocabulary); NULL: everyone.
    Column("member_policy", JSON),
    Column("created_by", String(64)),
    Column("created_at", DateTime, nullable=False, default=func.now()),
    Column("updated_at", DateTime, nullable=False, default=func.now()),
    PrimaryKeyConstraint("enterprise_id", "team_id", "channel_id", "account_id"),
    Index("ix_channel_configurations_account", "account_id"),
    Index("ix_channel_configurations_channel", "channel_id"),
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
    Column("outcome", String(64), nullable=False),
    Column("detail", Text),
    Column("aws_request_id", String(64)),
    Column("user_name", String(255)),  # as Slack showed the user when they acted
    Column("session_name", String(64)),  # the RoleSessionName of the AssumeRole: CloudTrail's join key
    # The listings (storage.audit.AuditRepository.page): newest first, in a workspace, by channel, user or case.
    Index("ix_audit_events_workspace", "enterprise_id", "team_id", "id"),
    Index("ix_audit_events_channel", "enterprise_id", "team_id", "channel_id", "id"),
    Index("ix_audit_events_user", "enterprise_id", "team_id", "user_id", "id"),
    Index("ix_audit_events_case", "enterprise_id", "team_id", "case_id", "id"),
)


# Who opened each case through the app (AWS only knows the channel's role): "Opened by <@U…>" on case messages,
# and a person's recent cases in App Home. Keyed by the workspace that owns the channel the case was opened in.
case_openers = Table(
    "case_openers",
    metadata,
    Column("enterprise_id", String(32), nullable=False, default=""),
    Column("team_id", String(32), nullable=False),
    Column("account_id", String(12), nullable=False),
    Column("case_id", String(64), nullable=False),
    Column("display_id", String(32)),
    Column("subject", String(255), nullable=False),
    Column("user_id", String(32), nullable=False),
    Column("channel_id", String(32), nullable=False),
    Column("opened_at", DateTime, nullable=False),
    PrimaryKeyConstraint("enterprise_id", "team_id", "account_id", "case_id"),
    Index("ix_case_openers_user", "enterprise_id", "team_id", "user_id", "opened_at"),
)

# Case creations AWS deferred (its hourly case limit, its rate spoken for): the validated case, waiting for a drainer
# (bolt_app/services/cases/deferred.py) to create and post it once AWS accepts. `attempted_at` is committed before
# each CreateCase and `case_id` as soon as AWS answers, `posting_at` before the case is posted and `posted_ts` after,
# so a process that dies between two steps leaves the next attempt enough to neither create nor post twice.
deferred_cases = Table(
    "deferred_cases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("enterprise_id", String(32), nullable=False, default=""),
    Column("team_id", String(32), nullable=False),
    Column("channel_id", String(32), nullable=False),
    Column("channel_name", String(255), nullable=False),  # as the case body names it, kept for every attempt
    Column("account_id", String(12), nullable=False),
    Column("user_id", String(32), nullable=False),
    Column("user_name", String(255), nullable=False),
    Column("user_handle", String(255), nullable=False, default=""),
    Column("home_enterprise_id", String(32), nullable=False, default=""),
    Column("home_team_id", String(32), nullable=False, default=""),
    Column("idempotency_key", String(255), nullable=False, unique=True),
    Column("subject", String(255), nullable=False),
    Column("fields", JSON, nullable=False),  # the rest of the validated case (NewCase without attachments)
    Column("reason", String(16), nullable=False),  # limit | busy | throttled: why AWS did not take it
    Column("submitted_at", DateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("lease_owner", String(64)),
    Column("lease_until", DateTime),
    Column("attempted_at", DateTime),
    Column("case_id", String(64)),
    Column("posting_at", DateTime),
    Column("posted_ts", String(32)),
    Index("ix_deferred_cases_due", "next_attempt_at"),
    Index("ix_deferred_cases_workspace", "enterprise_id", "team_id", "channel_id"),
)

# The files of a deferred case, until the case exists at AWS.
deferred_case_files = Table(
    "deferred_case_files",
    metadata,
    Column("deferred_id", Integer, nullable=False),
    Column("position", Integer, nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("data", LargeBinary, nullable=False),
    PrimaryKeyConstraint("deferred_id", "position"),
)

# ---- case notifications (the delivery protocol: storage/notifications/__init__.py) ----

# One token per AWS account for `POST /aws/events`; only its SHA-256 is kept.
events_tokens = Table(
    "events_tokens",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("issued_by", String(64)),
    Column("issued_at", DateTime, nullable=False, default=func.now()),
)

notification_events = Table(
    "notification_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("case_id", String(64), nullable=False),
    Column("event_name", String(32), nullable=False),  # CreateCase … or Reconcile
    Column("communication_id", String(255)),
    Column("origin", String(16)),
    Column("event_time", DateTime, nullable=False),
    Column("floor_time", DateTime),  # Reconcile: the start of the window it looked at
    Column("source", String(16), nullable=False),  # http | sqs | reconcile
    Column("aws_event_id", String(128)),
    Column("received_at", DateTime, nullable=False, default=func.now(), index=True),
)

notification_deliveries = Table(
    "notification_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", Integer, nullable=False),
    Column("enterprise_id", String(32), nullable=False, default=""),
    Column("team_id", String(32), nullable=False),
    Column("channel_id", String(32), nullable=False),
    Column("account_id", String(12), nullable=False),
    Column("state", String(16), nullable=False, default="pending"),
    Column("claimed_by", String(64)),
    Column("lease_until", DateTime),
    Column("attempts", Integer, nullable=False, default=0),
    Column("outcome", String(64)),
    Column("created_at", DateTime, nullable=False, default=func.now()),
    Column("updated_at", DateTime, nullable=False, default=func.now()),
    UniqueConstraint(
        "event_id", "enterprise_id", "team_id", "channel_id", name="uq_notification_deliveries_event_channel"
    ),
    Index(
        "ix_notification_deliveries_channel_state", "enterprise_id", "team_id", "channel_id", "state", "id"
    ),
    Index("ix_notification_deliveries_state_updated", "state", "updated_at"),
)

# One row per channel that ever had a delivery: who is posting to it, and when it may be tried again.
notification_channels = Table(
    "notification_channels",
    metadata,
    Column("team_id", String(32), nullable=False),
    Column("channel_id", String(32), nullable=False),
    Column("enterprise_id", String(32), nullable=False, default=""),
    Column("claimed_by", String(64)),
    Column("lease_until", DateTime),
    Column("not_before", DateTime),
    PrimaryKeyConstraint("enterprise_id", "team_id", "channel_id"),
)

# What each channel has been told about each case: the guard against posting anything twice, whether a change
# arrives as an event, a duplicate, or through reconciliation.
case_threads = Table(
    "case_threads",
    metadata,
    Column("team_id", String(32), nullable=False),
    Column("channel_id", String(32), nullable=False),
    Column("account_id", String(12), nullable=False),
    Column("case_id", String(64), nullable=False),
    Column("enterprise_id", String(32), nullable=False, default=""),
    Column("display_id", String(32)),
    Column("language", String(8)),
    Column("root_ts", String(32)),  # the thread's root message; None until one exists
    Column("root_status", String(32)),  # the status the root message shows
    Column("lifecycle", String(16)),  # open | resolved, as last announced or deliberately passed over
    Column("lifecycle_at", DateTime),  # when that lifecycle change happened (event time, or observation)
    Column("last_comm_at", DateTime),  # newest correspondence covered (posted or deliberately passed over)
    Column("own_replies", Integer, nullable=False, default=0),  # replies sent from this channel, not yet seen
    Column("own_reply_at", DateTime),
    Column("updated_at", DateTime, nullable=False, default=func.now()),
    PrimaryKeyConstraint("enterprise_id", "team_id", "channel_id", "account_id", "case_id"),
    Index("ix_case_threads_account", "account_id", "case_id"),
)

notification_reconciliations = Table(
    "notification_reconciliations",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("last_look_at", DateTime),
    Column("next_due_at", DateTime),
    Column("claimed_by", String(64)),
    Column("lease_until", DateTime),
)
