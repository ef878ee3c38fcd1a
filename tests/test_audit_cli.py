"""`aws-support-slack audit list | prune` as an operator runs them: filters, formats, choosing the workspace,
retention, and every mistake as one line on stderr with a non-zero exit."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from bolt_app.audit_cli import parse_since
from bolt_app.audit_cli import run_audit_command
from bolt_app.cli import build_parser
from bolt_app.errors import UserFacingError
from bolt_app.settings import Mode
from bolt_app.settings import load_settings
from storage import db
from storage.audit import AuditEvent
from storage.audit import AuditFilter
from storage.audit import AuditRepository
from storage.clock import utc_now
from storage.tables import audit_events
from storage.workspaces import WorkspaceKey
from tests.helpers.installed import install_workspaces
from tests.helpers.installed import operator_env
from tests.test_cli import assert_one_line_failure
from tests.test_cli import cli

ONE, TWO = WorkspaceKey("", "T0000000001"), WorkspaceKey("", "T0000000002")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return operator_env(tmp_path, (ONE, "Acme"))


def write(env: dict[str, str], *rows: tuple[WorkspaceKey, str, str, str, int]) -> None:
    """Audit entries in the CLI's database: (workspace, channel, user, case, days ago) each."""
    asyncio.run(_write(env["DATABASE_URL"], *rows))


async def _write(url: str, *rows: tuple[WorkspaceKey, str, str, str, int]) -> None:
    engine = db.create_engine(url)
    audit = AuditRepository(engine)
    try:
        for key, channel, user, case, days in rows:
            await audit.record(
                AuditEvent(
                    "support:ResolveCase" if case else "support:DescribeCases",
                    "refused" if user == "U0BLOCKED" else "ok",
                    team_id=key.team_id,
                    channel_id=channel,
                    user_id=user,
                    case_id=case or None,
                    detail="Only members of @oncall may resolve cases here." if user == "U0BLOCKED" else None,
                    session_name=f"{key.team_id}.{user}",
                )
            )
            newest = (await audit.page(AuditFilter(key), 1))[0].id
            moment = utc_now() - timedelta(days=days)
            async with engine.begin() as conn:
                await conn.execute(update(audit_events).where(audit_events.c.id == newest).values(at=moment))
    finally:
        await engine.dispose()


def in_process(env: dict[str, str], *args: str) -> str:
    """`aws-support-slack audit list ARGS` in this process (the real parser and command, without a Python start
    per call); the subprocess runs below show the command's own exits and stderr."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = run_audit_command(
            load_settings(Mode.ADMIN, env), build_parser().parse_args(["audit", *args])
        )
    assert status == 0
    return out.getvalue()


def listed(env: dict[str, str], *args: str) -> list[dict[str, object]]:
    return json.loads(in_process(env, "list", "--format", "json", *args))


def test_filters_narrow_the_listing_and_every_format_carries_the_rows(env: dict[str, str]) -> None:
    write(
        env,
        (ONE, "C0000000001", "U0000000001", "", 10),
        (ONE, "C0000000001", "U0000000002", "case-111", 3),
        (ONE, "C0000000002", "U0BLOCKED", "case-111", 1),
        (TWO, "C0000000001", "U0000000001", "case-999", 0),  # another workspace (not installed)
    )
    everything = listed(env)
    assert [(r["channel_id"], r["user_id"]) for r in everything] == [
        ("C0000000002", "U0BLOCKED"),
        ("C0000000001", "U0000000002"),
        ("C0000000001", "U0000000001"),
    ]
    refused = everything[0]
    assert refused["outcome"] == "refused"
    assert refused["refusal_reason"] == "Only members of @oncall may resolve cases here."
    assert refused["session_name"] == "T0000000001.U0BLOCKED"
    assert datetime.fromisoformat(str(refused["time"])).tzinfo is not None
    assert [r["user_id"] for r in listed(env, "--channel", "C0000000001")] == ["U0000000002", "U0000000001"]
    assert [r["user_id"] for r in listed(env, "--user", "U0000000001")] == ["U0000000001"]
    assert [r["user_id"] for r in listed(env, "--case", "case-111")] == ["U0BLOCKED", "U0000000002"]
    assert [r["user_id"] for r in listed(env, "--since", "5d")] == ["U0BLOCKED", "U0000000002"]
    since = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    assert [r["user_id"] for r in listed(env, "--since", since, "--channel", "C0000000002")] == ["U0BLOCKED"]
    assert [r["case_id"] for r in listed(env, "--team", "T0000000002")] == ["case-999"]

    jsonl = in_process(env, "list", "--format", "jsonl", "--case", "case-111")
    assert [json.loads(line)["user_id"] for line in jsonl.splitlines()] == ["U0BLOCKED", "U0000000002"]
    table = in_process(env, "list").splitlines()
    assert table[0].split() == [
        "TIME",
        "CHANNEL",
        "ID",
        "USER",
        "ID",
        "ACTION",
        "CASE",
        "ID",
        "OUTCOME",
        "SESSION",
        "NAME",
    ]
    assert len(table) == 4 and "support:ResolveCase" in table[1] and "refused" in table[1]
    assert in_process(env, "list", "--user", "U0NOBODY").strip() == "no audit entries match"


@pytest.mark.parametrize("since", ["7x", "2026-13-01"])
def test_a_since_that_is_neither_a_duration_nor_a_date_is_one_line(env: dict[str, str], since: str) -> None:
    done = cli(env, "audit", "list", f"--since={since}")
    assert_one_line_failure(done, f"--since {since!r}", "7d, 12h, 30m", "ISO")


def test_since_reads_durations_and_iso_times_as_utc() -> None:
    now = datetime(2026, 12, 1, 12, 0)
    assert parse_since("7d", now) == datetime(2026, 11, 24, 12, 0)
    assert parse_since("12h", now) == datetime(2026, 12, 1, 0, 0)
    assert parse_since("30m", now) == datetime(2026, 12, 1, 11, 30)
    assert parse_since("2026-11-30", now) == datetime(2026, 11, 30)
    assert parse_since("2026-11-30T10:00:00+02:00", now) == datetime(2026, 11, 30, 8, 0)
    assert parse_since("2026-11-30T10:00Z", now) == datetime(2026, 11, 30, 10, 0)
    with pytest.raises(UserFacingError):
        parse_since("7 days", now)
    with pytest.raises(UserFacingError):
        parse_since("-3d", now)


def test_two_workspaces_need_a_team_and_the_error_is_one_line(env: dict[str, str]) -> None:
    asyncio.run(install_workspaces(env["DATABASE_URL"], env["TOKEN_ENCRYPTION_KEY"], (TWO, "Other")))
    assert_one_line_failure(cli(env, "audit", "list"), "2 workspaces", "--team T0000000001 (Acme)")
    assert cli(env, "audit", "list", "--team", "T0000000002").returncode == 0


def test_prune_deletes_the_entries_past_audit_retention_days(env: dict[str, str]) -> None:
    write(
        env,
        (ONE, "C0000000001", "U0000000001", "case-1", 40),
        (ONE, "C0000000001", "U0000000001", "case-2", 20),
        (TWO, "C0000000001", "U0000000001", "case-3", 35),
    )
    done = cli(env | {"AUDIT_RETENTION_DAYS": "30"}, "audit", "prune")
    assert done.returncode == 0 and done.stdout.startswith("pruned 2 audit entries from before "), done.stderr
    assert [r["case_id"] for r in listed(env)] == ["case-2"]
    assert "kept for ever" in in_process(env | {"AUDIT_RETENTION_DAYS": "0"}, "prune")
    assert [r["case_id"] for r in listed(env)] == ["case-2"]


@pytest.mark.parametrize("days", ["forever", "99999"])
def test_a_bad_audit_retention_days_is_one_line(env: dict[str, str], days: str) -> None:
    done = cli(env | {"AUDIT_RETENTION_DAYS": days}, "audit", "prune")
    assert_one_line_failure(done, f"AUDIT_RETENTION_DAYS={days!r}", "whole number of days")
