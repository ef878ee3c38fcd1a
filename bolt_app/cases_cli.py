"""`aws-support-slack cases deferred`: the case creations AWS deferred that still wait to be created and posted,
for operators (where, who, the subject, why, how many attempts, what is done). No description, no attachment."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bolt_app.admin_cli import add_workspace_args
from bolt_app.admin_cli import resolve_workspace
from bolt_app.admin_cli import run_with_services
from bolt_app.audit_cli import formatted
from bolt_app.bundle import Services
from bolt_app.settings import Settings
from storage.clock import as_utc
from storage.deferred_cases import DeferredCaseRow

_TABLE = (
    "submitted_at",
    "team_id",
    "channel_id",
    "account_id",
    "user_id",
    "reason",
    "attempts",
    "state",
    "subject",
)


def add_case_commands(sub: Any) -> None:
    cases = sub.add_parser("cases", help="support cases the app keeps for later").add_subparsers(
        dest="cases_command", required=True
    )
    p = cases.add_parser(
        "deferred", help="case creations AWS deferred, waiting to be created and posted (oldest first)"
    )
    add_workspace_args(p)
    p.add_argument("--format", choices=["table", "json", "jsonl"], default="table")


def _time(moment: Any) -> str | None:
    at = as_utc(moment)
    return at.isoformat(timespec="seconds") if at else None


def _state(row: DeferredCaseRow) -> str:
    if row.posted_ts is not None:
        return "posted"
    if row.case_id:
        return "created"
    return "attempted" if row.attempted_at else "waiting"


def as_record(row: DeferredCaseRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "submitted_at": _time(row.submitted_at),
        "enterprise_id": row.channel.workspace.enterprise_id,
        "team_id": row.channel.workspace.team_id,
        "channel_id": row.channel.channel_id,
        "account_id": row.account_id,
        "user_id": row.user_id,
        "user_name": row.user_name,
        "subject": row.subject,
        "reason": row.reason,
        "attempts": row.attempts,
        "next_attempt_at": _time(row.next_attempt_at),
        "leased_by": row.lease_owner,
        "state": _state(row),
        "case_id": row.case_id,
    }


async def _deferred(services: Services, args: argparse.Namespace) -> str:
    key = None
    if args.team or args.enterprise:
        key = resolve_workspace(await services.workspaces.installed(), args.team, args.enterprise)
    records = [as_record(r) for r in await services.deferred.repository.waiting(key)]
    return formatted(records, args.format, _TABLE, "no deferred cases are waiting")


def run_case_command(settings: Settings, args: argparse.Namespace) -> int:
    return asyncio.run(run_with_services(settings, lambda services: _deferred(services, args)))
