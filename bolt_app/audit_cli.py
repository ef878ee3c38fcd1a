"""`aws-support-slack audit list | prune`: the audit trail for operators, to join with CloudTrail and ship to a
SIEM (every field, as JSON or JSON Lines), and its retention (`AUDIT_RETENTION_DAYS`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from bolt_app.admin_cli import add_workspace_args
from bolt_app.admin_cli import resolve_workspace
from bolt_app.admin_cli import run_with_services
from bolt_app.bundle import Services
from bolt_app.errors import UserFacingError
from bolt_app.identifiers import CASE_ID
from bolt_app.identifiers import CHANNEL_ID
from bolt_app.identifiers import USER_ID
from bolt_app.identifiers import identifier_argument
from bolt_app.settings import Settings
from storage.audit import AuditEntry
from storage.audit import AuditFilter
from storage.clock import as_utc
from storage.clock import utc_naive
from storage.clock import utc_now

PAGE = 1000  # rows read at a time (keyset pages, so a long trail never needs one huge query)
_AGO = re.compile(r"([0-9]{1,6})([dhm])", re.ASCII)
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
# The table shows what a person scans for; json and jsonl carry every field.
_TABLE = ("time", "channel_id", "user_id", "action", "case_id", "outcome", "session_name")


def add_audit_commands(sub: Any) -> None:
    audit = sub.add_parser(
        "audit", help="the audit trail: who did what, where, with which role"
    ).add_subparsers(dest="audit_command", required=True)
    p = audit.add_parser("list", help="a workspace's audit entries, newest first (json/jsonl: every field)")
    add_workspace_args(p)
    p.add_argument("--channel", type=identifier_argument(CHANNEL_ID, "a Slack channel ID (C… or G…)"))
    p.add_argument("--user", type=identifier_argument(USER_ID, "a Slack user ID (U… or W…)"))
    p.add_argument("--case", type=identifier_argument(CASE_ID, "an AWS Support case ID (case-…)"))
    p.add_argument("--since", help="7d, 12h, 30m (that long ago) or an ISO date/time (UTC unless it says)")
    p.add_argument("--format", choices=["table", "json", "jsonl"], default="table")
    audit.add_parser("prune", help="delete the entries older than AUDIT_RETENTION_DAYS (the worker does too)")


def parse_since(value: str, now: datetime) -> datetime:
    """`7d`/`12h`/`30m` before `now`, or an ISO 8601 date or time; naive UTC. UserFacingError otherwise."""
    text = value.strip()
    if ago := _AGO.fullmatch(text):
        return now - timedelta(**{_UNITS[ago.group(2)]: int(ago.group(1))})
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UserFacingError(
            f"--since {value!r} is neither a duration (7d, 12h, 30m) nor an ISO date/time (2026-11-30T12:00Z)"
        ) from None
    return utc_naive(moment)


def as_record(entry: AuditEntry) -> dict[str, Any]:
    """Every field of an entry, as the export writes it; `time` in UTC with its offset."""
    at = as_utc(entry.at)
    return {
        "id": entry.id,
        "time": at.isoformat() if at else None,
        "enterprise_id": entry.enterprise_id,
        "team_id": entry.team_id,
        "channel_id": entry.channel_id,
        "user_id": entry.user_id,
        "user_name": entry.user_name,
        "account_id": entry.account_id,
        "role_arn": entry.role_arn,
        "action": entry.action,
        "case_id": entry.case_id,
        "outcome": entry.outcome,
        "refusal_reason": entry.detail if entry.outcome == "refused" else None,
        "detail": entry.detail,
        "aws_request_id": entry.aws_request_id,
        "session_name": entry.session_name,
    }


def formatted(records: list[dict[str, Any]], fmt: str, columns: tuple[str, ...], empty: str) -> str:
    """Records as `json`, `jsonl` (every field) or a `table` of `columns` (`empty` when there are none)."""
    if fmt == "json":
        return json.dumps(records, indent=2)
    if fmt == "jsonl":
        return "\n".join(json.dumps(r, separators=(",", ":")) for r in records)
    if not records:
        return empty
    rows = [{k: k.upper().replace("_", " ") for k in columns}]
    rows += [{k: str(r[k] if r[k] not in (None, "") else "-") for k in columns} for r in records]
    widths = {k: max(len(r[k]) for r in rows) for k in columns}
    return "\n".join("  ".join(r[k].ljust(widths[k]) for k in columns).rstrip() for r in rows)


async def _entries(services: Services, where: AuditFilter) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    while page := await services.audit.page(where, PAGE):
        records += (as_record(e) for e in page)
        where = AuditFilter(**{**where.__dict__, "before_id": page[-1].id})
    return records


async def _list(services: Services, args: argparse.Namespace) -> str:
    since = parse_since(args.since, utc_now()) if args.since is not None else None
    key = resolve_workspace(await services.workspaces.installed(), args.team, args.enterprise)
    where = AuditFilter(key, channel_id=args.channel, user_id=args.user, case_id=args.case, since=since)
    return formatted(await _entries(services, where), args.format, _TABLE, "no audit entries match")


async def _prune(services: Services, _: argparse.Namespace) -> str:
    cutoff = services.audit_log.cutoff()
    if cutoff is None:
        return "AUDIT_RETENTION_DAYS is 0: the audit trail is kept for ever; nothing pruned"
    deleted = await services.audit_log.prune()
    return f"pruned {deleted} audit entries from before {cutoff.replace(tzinfo=UTC).isoformat(timespec='seconds')}"


def run_audit_command(settings: Settings, args: argparse.Namespace) -> int:
    handler = _list if args.audit_command == "list" else _prune
    return asyncio.run(run_with_services(settings, lambda services: handler(services, args)))
