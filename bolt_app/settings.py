"""Settings from the environment, checked all at once so start-up names every problem, not just the first."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from storage.crypto import generate_key
from storage.crypto import is_valid_key
from storage.db import is_sqlite
from storage.db import sqlite_path

log = logging.getLogger(__name__)

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./aws-support-slack.db"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_APP_BASE_URL = "http://localhost:3000"
SUPPORTED_DATABASE_SCHEMES = ("postgresql+asyncpg", "sqlite+aiosqlite")
PLAIN_POSTGRES_SCHEMES = ("postgres://", "postgresql://")


class Mode(Enum):
    HTTP = "serve"
    SOCKET = "socket"
    WORKER = "worker"
    ADMIN = "admin"  # db and configuration commands: database only


class SettingsError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Settings:
    database_url: str
    token_encryption_keys: tuple[str, ...]
    slack_api_url: str = DEFAULT_SLACK_API_URL
    app_base_url: str = DEFAULT_APP_BASE_URL
    signing_secret: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    app_token: str | None = None
    bot_token: str | None = None
    bot_refresh_token: str | None = None  # Socket Mode: exchanged once for a rotating, stored installation
    notifications_queue_url: str | None = None
    host: str = "0.0.0.0"
    port: int = 3000
    metrics_enabled: bool = False
    audit_retention_days: int = 400  # 0 keeps the audit trail for ever
    aws_work_limit: int = 200  # listener runs with AWS calls in progress at once (bolt_app.aws.admission)

    @property
    def oauth_enabled(self) -> bool:
        return bool(self.client_id and self.client_secret)

    @property
    def redirect_uri(self) -> str:
        return f"{self.app_base_url.rstrip('/')}/slack/oauth_redirect"


_HOW = {
    "SLACK_SIGNING_SECRET": "Slack app settings → Basic Information → App Credentials → Signing Secret",
    "SLACK_CLIENT_ID": "Slack app settings → Basic Information → App Credentials → Client ID",
    "SLACK_CLIENT_SECRET": "Slack app settings → Basic Information → App Credentials → Client Secret",
    "SLACK_APP_TOKEN": "Slack app settings → Basic Information → App-Level Tokens, with scope connections:write "
    "(starts with xapp-)",
    "SLACK_BOT_TOKEN": "Slack app settings → OAuth & Permissions → Bot User OAuth Token (starts with xoxb-)",
}
_SOCKET_TOKENS = (
    "Socket Mode needs the workspace's bot: install it once through `aws-support-slack serve` (Add to Slack) "
    "on this database, or set SLACK_BOT_REFRESH_TOKEN (OAuth & Permissions → Refresh Token, with token rotation "
    "on), or SLACK_BOT_TOKEN (a fixed token: with token rotation on it stops working after 12 hours)"
)


def _missing(name: str) -> str:
    return f"{name} is not set: {_HOW[name]}."


def _key_file_for(database_url: str) -> Path | None:
    path = sqlite_path(database_url)
    return None if path is None else path.with_name(path.name + ".key")


def _token_keys(
    env: Mapping[str, str], database_url: str, problems: list[str], *, may_create_key_file: bool
) -> tuple[str, ...]:
    raw = env.get("TOKEN_ENCRYPTION_KEY", "").strip()
    if raw:
        keys = tuple(k.strip() for k in raw.split(",") if k.strip())
        bad = [i + 1 for i, k in enumerate(keys) if not is_valid_key(k)]
        if bad:
            problems.append(
                f"TOKEN_ENCRYPTION_KEY: key number {', '.join(map(str, bad))} is not a Fernet key (32 url-safe "
                'base64-encoded bytes); make one with: python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"'
            )
        return keys
    if "://" not in database_url:
        return ()
    if not is_sqlite(database_url):
        problems.append(
            "TOKEN_ENCRYPTION_KEY is not set: it is required with a database other than the SQLite default. "
            'Make one with: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
        )
        return ()
    key_file = _key_file_for(database_url)
    if key_file is None:  # in-memory SQLite: nothing outlives the process, neither may the key
        return (generate_key(),)
    if key_file.exists():
        return tuple(key_file.read_text().split())
    if not may_create_key_file:
        return ()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(generate_key() + "\n")
    log.warning(
        "TOKEN_ENCRYPTION_KEY is not set: generated a key into %s (mode 0600). Keep it with the database; "
        "without it the stored Slack tokens cannot be read.",
        key_file,
    )
    return tuple(key_file.read_text().split())


def _whole_number(
    env: Mapping[str, str], problems: list[str], name: str, default: int, low: int, high: int, rule: str
) -> int:
    """`name` as a whole number from `low` to `high`; unset or blank: `default`; else a problem saying `rule`."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if raw.isascii() and raw.isdigit() and low <= int(raw) <= high:
        return int(raw)
    problems.append(f"{name}={raw!r} {rule}")
    return default


def load_settings(mode: Mode, env: Mapping[str, str] | None = None) -> Settings:
    """Reads and checks the settings `mode` needs; raises SettingsError listing every problem."""
    env = os.environ if env is None else env
    problems: list[str] = []
    database_url = env.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if "://" not in database_url:
        problems.append(
            f"DATABASE_URL={database_url!r} is not a SQLAlchemy URL (e.g. {DEFAULT_DATABASE_URL})."
        )
    elif database_url.startswith(PLAIN_POSTGRES_SCHEMES):
        # Hosting platforms hand out postgres://…; the app's one PostgreSQL driver is asyncpg.
        database_url = "postgresql+asyncpg://" + database_url.split("://", 1)[1]
    elif database_url.split("://", 1)[0] not in SUPPORTED_DATABASE_SCHEMES:
        problems.append(
            f"DATABASE_URL scheme {database_url.split('://', 1)[0]!r} is not supported: use "
            "postgresql+asyncpg://user:password@host/db or sqlite+aiosqlite:///path/file.db."
        )

    def get(name: str) -> str | None:
        return env.get(name, "").strip() or None

    required: list[str] = []
    if mode is Mode.HTTP:
        required = ["SLACK_SIGNING_SECRET", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"]
    elif mode is Mode.SOCKET:
        required = ["SLACK_APP_TOKEN"]
    problems += [_missing(name) for name in required if not get(name)]
    app_token, bot_token = get("SLACK_APP_TOKEN"), get("SLACK_BOT_TOKEN")
    refresh_token = get("SLACK_BOT_REFRESH_TOKEN")
    if mode is Mode.SOCKET and not bot_token:
        # The stored installation rotates its token, which takes the app's client credentials.
        problems += [
            f"{_missing(name)[:-1]}; {_SOCKET_TOKENS}."
            for name in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")
            if not get(name)
        ]
    if mode is Mode.SOCKET and refresh_token and not refresh_token.startswith("xoxe-"):
        problems.append("SLACK_BOT_REFRESH_TOKEN must be a refresh token (starts with xoxe-).")
    if mode is Mode.SOCKET and app_token and not app_token.startswith("xapp-"):
        problems.append("SLACK_APP_TOKEN must be an app-level token (starts with xapp-).")
    if mode is Mode.SOCKET and bot_token and not bot_token.startswith("xoxb-"):
        problems.append("SLACK_BOT_TOKEN must be a bot token (starts with xoxb-).")

    app_base_url = (get("APP_BASE_URL") or DEFAULT_APP_BASE_URL).rstrip("/")
    if not app_base_url.startswith(("http://", "https://")):
        problems.append(f"APP_BASE_URL={app_base_url!r} must start with https:// (or http:// for local use).")
    slack_api_url = get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
    if not slack_api_url.endswith("/"):
        slack_api_url += "/"
    port = _whole_number(env, problems, "PORT", 3000, 1, 65535, "is not a TCP port number (1-65535).")
    retention_days = _whole_number(
        env,
        problems,
        "AUDIT_RETENTION_DAYS",
        400,
        0,
        36500,
        "must be a whole number of days from 0 (keep) to 36500.",
    )
    work_limit = _whole_number(
        env,
        problems,
        "AWS_WORK_LIMIT",
        200,
        1,
        100_000,
        "must be a whole number of requests from 1 to 100000.",
    )
    # A key file is only created once everything else is right, so a failed start leaves nothing behind.
    keys = _token_keys(env, database_url, problems, may_create_key_file=not problems)
    if problems:
        raise SettingsError(problems)
    return Settings(
        database_url=database_url,
        token_encryption_keys=keys,
        slack_api_url=slack_api_url,
        app_base_url=app_base_url,
        signing_secret=get("SLACK_SIGNING_SECRET"),
        client_id=get("SLACK_CLIENT_ID"),
        client_secret=get("SLACK_CLIENT_SECRET"),
        app_token=app_token,
        bot_token=bot_token,
        bot_refresh_token=refresh_token,
        notifications_queue_url=get("NOTIFICATIONS_QUEUE_URL"),
        host=get("HOST") or "0.0.0.0",
        port=port,
        metrics_enabled=get("METRICS_ENABLED") in ("1", "true", "yes"),
        audit_retention_days=retention_days,
        aws_work_limit=work_limit,
    )
