"""The `aws-support-slack` command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from aiohttp import web

from bolt_app.admin_cli import add_account_commands
from bolt_app.admin_cli import run_admin_command
from bolt_app.audit_cli import add_audit_commands
from bolt_app.audit_cli import run_audit_command
from bolt_app.cases_cli import add_case_commands
from bolt_app.cases_cli import run_case_command
from bolt_app.cli_failures import failure_line
from bolt_app.logging_setup import LOG_FORMATS
from bolt_app.logging_setup import configure_logging
from bolt_app.logging_setup import redact
from bolt_app.settings import DEFAULT_DATABASE_URL
from bolt_app.settings import Mode
from bolt_app.settings import Settings
from bolt_app.settings import SettingsError
from bolt_app.settings import load_settings
from storage import db

if TYPE_CHECKING:
    from bolt_app.notifications_worker import WorkerOptions

log = logging.getLogger("aws_support_slack")


def _settings(mode: Mode) -> Settings:
    try:
        return load_settings(mode)
    except SettingsError as e:
        for problem in e.problems:
            print(f"aws-support-slack: {problem}", file=sys.stderr)
        raise SystemExit(2) from None


async def _check_database(settings: Settings) -> None:
    """Refuses to start on a database that cannot be reached or tokens the keys cannot read: one clear line
    now instead of an error on every request later."""
    from storage.crypto import configure_token_cipher
    from storage.token_check import read_every_stored_token

    configure_token_cipher(settings.token_encryption_keys)
    engine = db.create_engine(settings.database_url)
    try:
        await read_every_stored_token(engine)
    finally:
        await engine.dispose()


def _serve(mode: Mode) -> int:
    from bolt_app.slack.socket_mode import SocketModeSetupError
    from bolt_app.web import create_web_app

    settings = _settings(mode)
    if db.is_sqlite(settings.database_url):
        db.upgrade(settings.database_url)
    asyncio.run(_check_database(settings))
    try:
        web.run_app(
            create_web_app(settings, socket_mode=mode is Mode.SOCKET),
            host=settings.host,
            port=settings.port,
            access_log=None,
            print=lambda msg: log.info("%s", msg),
        )
    except SocketModeSetupError as e:
        print(f"aws-support-slack: {e}", file=sys.stderr)
        return 2
    return 0


async def _revision(settings: Settings) -> str:
    engine = db.create_engine(settings.database_url)
    try:
        current = await db.current_revision(engine)
    finally:
        await engine.dispose()
    head = db.head_revision()
    if current is None:
        return "the database has no migrations applied"
    return f"the database is at revision {current}" + (" (head)" if current == head else f" (head is {head})")


def _db(args: argparse.Namespace) -> int:
    settings = _settings(Mode.ADMIN)
    if args.db_command == "upgrade":
        db.upgrade(settings.database_url)
        print(asyncio.run(_revision(settings)))
    elif args.db_command == "downgrade":
        db.downgrade(settings.database_url, args.revision)
        print(asyncio.run(_revision(settings)))
    elif args.db_command == "reencrypt":
        print(f"re-encrypted the tokens of {asyncio.run(_reencrypt(settings))} rows with the first key")
    return 0


async def _reencrypt(settings: Settings) -> int:
    from storage.crypto import configure_token_cipher
    from storage.installation_store import reencrypt_tokens

    configure_token_cipher(settings.token_encryption_keys)
    engine = db.create_engine(settings.database_url)
    try:
        return await reencrypt_tokens(engine)
    finally:
        await engine.dispose()


def _worker() -> int:
    from bolt_app.notifications_worker import options_from_env

    settings = _settings(Mode.WORKER)
    try:
        options = options_from_env()
    except SettingsError as e:
        for problem in e.problems:
            print(f"aws-support-slack: {problem}", file=sys.stderr)
        return 2
    if db.is_sqlite(settings.database_url):
        db.upgrade(settings.database_url)
    asyncio.run(_check_database(settings))
    return asyncio.run(_run_worker(settings, options))


async def _run_worker(settings: Settings, options: WorkerOptions) -> int:
    from bolt_app.app import build_services
    from bolt_app.notifications_worker import run_worker

    services = await build_services(
        settings, notification_options=options.notification, listen_for_changes=True
    )
    try:
        return await run_worker(
            services.notifications,
            settings.notifications_queue_url,
            options,
            services.audit_log,
            services.deferred,
        )
    finally:
        await services.close()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aws-support-slack", description="AWS Support cases from Slack")
    parser.add_argument(
        "--log-level",
        default=os.environ.get("LOG_LEVEL") or "INFO",
        help="DEBUG, INFO, WARNING or ERROR (default: LOG_LEVEL, else INFO)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="serve Slack over HTTP with OAuth (Add to Slack), one process per core")
    sub.add_parser("socket", help="serve one workspace over Socket Mode (development)")
    sub.add_parser("worker", help="consume NOTIFICATIONS_QUEUE_URL, deliver and reconcile case notifications")
    db_parser = sub.add_parser("db", help="database commands")
    db_sub = db_parser.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="run the migrations")
    p = db_sub.add_parser("downgrade", help="undo migrations down to REV (a revision ID, or base)")
    p.add_argument("revision", metavar="REV")
    db_sub.add_parser(
        "reencrypt", help="rewrite stored tokens with the first TOKEN_ENCRYPTION_KEY (key rotation)"
    )
    add_account_commands(sub)
    add_audit_commands(sub)
    add_case_commands(sub)
    return parser


def _run(args: argparse.Namespace) -> int:
    if args.command == "serve":
        return _serve(Mode.HTTP)
    if args.command == "socket":
        return _serve(Mode.SOCKET)
    if args.command == "db":
        return _db(args)
    if args.command == "worker":
        return _worker()
    settings = _settings(Mode.ADMIN)
    if db.is_sqlite(settings.database_url):
        db.upgrade(settings.database_url)
    asyncio.run(_check_database(settings))
    if args.command == "audit":
        return run_audit_command(settings, args)
    if args.command == "cases":
        return run_case_command(settings, args)
    return run_admin_command(settings, args)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    log_format = os.environ.get("LOG_FORMAT", "text").strip().lower() or "text"
    if log_format not in LOG_FORMATS:
        print(
            f"aws-support-slack: LOG_FORMAT={log_format!r} is not one of: {', '.join(LOG_FORMATS)}",
            file=sys.stderr,
        )
        return 2
    level = args.log_level.upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        print(
            f"aws-support-slack: --log-level {args.log_level!r} is not DEBUG, INFO, WARNING or ERROR",
            file=sys.stderr,
        )
        return 2
    configure_logging(level, log_format)
    if args.command not in ("serve", "socket", "worker") and level != "DEBUG":
        # A command's output is its answer: Alembic's "Running upgrade …" lines are noise there.
        logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        return _run(args)
    except (SystemExit, KeyboardInterrupt):
        raise
    except Exception as e:
        database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
        line = failure_line(e, database_url)
        if line is None:
            log.debug("unexpected failure", exc_info=True)
            line = f"unexpected error: {type(e).__name__}: {e} (--log-level DEBUG shows where)"
        print(f"aws-support-slack: {redact(' '.join(line.split()))}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
