"""The `aws-support-slack` command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from aiohttp import web

from bolt_app.admin_cli import add_account_commands, run_admin_command
from bolt_app.settings import Mode, Settings, SettingsError, load_settings
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


def _serve(mode: Mode) -> int:
    from bolt_app.socket_mode import SocketModeSetupError
    from bolt_app.web import create_web_app

    settings = _settings(mode)
    if db.is_sqlite(settings.database_url):
        db.upgrade(settings.database_url)
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


def _db(args: argparse.Namespace) -> int:
    settings = _settings(Mode.ADMIN)
    if args.db_command == "upgrade":
        db.upgrade(settings.database_url)
        print("database is up to date")
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
    return asyncio.run(_run_worker(settings, options))


async def _run_worker(settings: Settings, options: WorkerOptions) -> int:
    from bolt_app.app import build_services
    from bolt_app.notifications_worker import run_worker

    services = await build_services(
        settings, notification_options=options.notification, listen_for_changes=True
    )
    try:
        return await run_worker(services.notifications, settings.notifications_queue_url, options)
    finally:
        await services.close()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aws-support-slack", description="AWS Support cases from Slack")
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR (default INFO)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="serve Slack over HTTP with OAuth (Add to Slack), one process per core")
    sub.add_parser("socket", help="serve one workspace over Socket Mode (development)")
    sub.add_parser("worker", help="consume NOTIFICATIONS_QUEUE_URL, deliver and reconcile case notifications")
    db_parser = sub.add_parser("db", help="database commands")
    db_sub = db_parser.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="run the migrations")
    db_sub.add_parser(
        "reencrypt", help="rewrite stored tokens with the first TOKEN_ENCRYPTION_KEY (key rotation)"
    )
    add_account_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
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
    return run_admin_command(settings, args)


if __name__ == "__main__":
    raise SystemExit(main())
