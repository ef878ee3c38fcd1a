"""Migrations carry existing rows over: a database at an older revision, with rows in it, upgraded to head."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime

import pytest
from sqlalchemy import inspect
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import db
from storage.channels import ChannelRepository
from storage.workspaces import WorkspaceKey
from tests.helpers.databases import opened

ACCOUNT = "210987654321"
CHANNEL = "C0SHARED"
CASE = "case-1"
E1, E2 = WorkspaceKey("E0001", ""), WorkspaceKey("E0002", "")  # two Grid orgs, each installed org-wide
AT = datetime(2026, 11, 30, 12, 0, 0)


@pytest.fixture
async def engine(old_database: str) -> AsyncIterator[AsyncEngine]:
    async with opened(old_database) as engine:
        yield engine


CONFIGURATION = text(
    "INSERT INTO channel_configurations (enterprise_id, team_id, channel_id, account_id, channel_name, role_arn, "
    "notify_on_case_severity, notify_on_create_or_reopen_case, notify_on_add_correspondence_to_case, "
    "notify_on_resolve_case, created_by, created_at, updated_at) "
    "VALUES (:e, '', :c, :a, 'shared-ops', :role, 'all', true, false, false, 'U1', :at, :at)"
)
THREAD = text(
    "INSERT INTO case_threads (enterprise_id, team_id, channel_id, account_id, case_id, root_ts, own_replies, "
    "updated_at) VALUES (:e, '', :c, :a, :case, :root, 0, :at)"
)
LEASE = text("INSERT INTO notification_channels (enterprise_id, team_id, channel_id) VALUES (:e, '', :c)")
DELIVERY = text(
    "INSERT INTO notification_deliveries (event_id, enterprise_id, team_id, channel_id, account_id, state, "
    "attempts, created_at, updated_at) VALUES (1, :e, '', :c, :a, 'posted', 1, :at, :at)"
)


def role(org: WorkspaceKey) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/Slack{org.enterprise_id}"


async def write_org_rows(engine: AsyncEngine, org: WorkspaceKey, root_ts: str) -> None:
    """What the app writes for an org's channel: its configuration, a case thread, a lease and a delivery."""
    values = {"e": org.enterprise_id, "c": CHANNEL, "a": ACCOUNT, "case": CASE, "at": AT}
    async with engine.begin() as conn:
        await conn.execute(CONFIGURATION, values | {"role": role(org)})
        await conn.execute(THREAD, values | {"root": root_ts})
        await conn.execute(LEASE, values)
        await conn.execute(DELIVERY, values)


async def roots(engine: AsyncEngine) -> list[tuple[str, str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT enterprise_id, root_ts FROM case_threads WHERE channel_id = :c ORDER BY enterprise_id"
            ),
            {"c": CHANNEL},
        )
        return [(r[0], r[1]) for r in rows]


@pytest.mark.revision("0001")
async def test_rows_written_at_0001_keep_their_org_and_a_second_org_gets_rows_of_its_own(
    engine: AsyncEngine, old_database: str
) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO notification_events (id, account_id, case_id, event_name, event_time, source, "
                "received_at) VALUES (1, :a, :case, 'CreateCase', :at, 'http', :at)"
            ),
            {"a": ACCOUNT, "case": CASE, "at": AT},
        )
    await write_org_rows(engine, E1, root_ts="1700000000.000100")

    await db.upgrade_async(old_database)

    channels = ChannelRepository(engine)
    assert [(r.channel_id, r.role_arn) for r in await channels.for_workspace(E1)] == [(CHANNEL, role(E1))]
    assert await channels.for_workspace(E2) == []
    # The same channel, account and case for a second org-wide install (team_id "" too) is a row of its own,
    # where at 0001 it collided with the first org's key.
    await write_org_rows(engine, E2, root_ts="1700000000.000200")
    assert [(r.channel_id, r.role_arn) for r in await channels.for_workspace(E2)] == [(CHANNEL, role(E2))]
    assert [(r.role_arn) for r in await channels.for_workspace(E1)] == [role(E1)]
    assert await roots(engine) == [("E0001", "1700000000.000100"), ("E0002", "1700000000.000200")]
    # An org still has one row per key.
    with pytest.raises(IntegrityError):
        await write_org_rows(engine, E1, root_ts="1700000000.000300")
    assert await roots(engine) == [("E0001", "1700000000.000100"), ("E0002", "1700000000.000200")]


AUDIT_ROW = text(
    "INSERT INTO audit_events (at, enterprise_id, team_id, channel_id, user_id, action, case_id, outcome) "
    "VALUES (:at, '', 'T0001', 'C0001', 'U0001', 'support:ResolveCase', :case, 'ok')"
)


@pytest.mark.revision("0003")
async def test_audit_rows_written_before_0004_keep_their_fields_and_read_with_no_name_or_session(
    engine: AsyncEngine, old_database: str
) -> None:
    from storage.audit import AuditFilter
    from storage.audit import AuditRepository

    async with engine.begin() as conn:
        await conn.execute(AUDIT_ROW, {"at": AT, "case": CASE})
    await engine.dispose()
    await asyncio.to_thread(db.upgrade, old_database)
    [entry] = await AuditRepository(engine).page(
        AuditFilter(WorkspaceKey("", "T0001"), channel_id="C0001"), 5
    )
    assert (entry.action, entry.case_id, entry.at, entry.user_name, entry.session_name) == (
        "support:ResolveCase",
        CASE,
        AT,
        None,
        None,
    )
    async with engine.connect() as conn:
        indexes = await conn.run_sync(lambda c: {i["name"] for i in inspect(c).get_indexes("audit_events")})
    assert {"ix_audit_events_workspace", "ix_audit_events_channel", "ix_audit_events_case"} <= indexes
    await engine.dispose()
    await asyncio.to_thread(db.downgrade, old_database, "0003")
    async with engine.connect() as conn:
        columns = await conn.run_sync(lambda c: {x["name"] for x in inspect(c).get_columns("audit_events")})
    assert "session_name" not in columns and "user_name" not in columns


async def configured_then_upgraded(engine: AsyncEngine, url: str) -> ChannelRepository:
    """The first org's channel configuration written at the old revision, then the database upgraded to head."""
    async with engine.begin() as conn:
        await conn.execute(
            CONFIGURATION, {"e": "E0001", "c": CHANNEL, "a": ACCOUNT, "role": role(E1), "at": AT}
        )
    await db.upgrade_async(url)
    return ChannelRepository(engine)


@pytest.mark.revision("0005")
async def test_a_configuration_written_before_0006_has_no_member_policy_and_can_be_given_one(
    engine: AsyncEngine, old_database: str
) -> None:
    channels = await configured_then_upgraded(engine, old_database)
    [row] = await channels.for_workspace(E1)
    assert row.members is None  # everyone in the channel, as before
    policy = {"resolve": ["S0ONCALL"], "quota": "admins", "max_severity": "high"}
    await channels.save(replace(row, members=policy), per_account=20, per_channel=100)
    [saved] = await channels.for_workspace(E1)
    assert saved.members == policy and saved.role_arn == role(E1)


@pytest.mark.revision("0006")
async def test_0007_adds_deferred_cases_beside_the_rows_of_0006_and_0006_comes_back_without_them(
    engine: AsyncEngine, old_database: str
) -> None:
    from storage.deferred_cases import DeferredCaseRepository
    from tests.storage.test_deferred_cases import deferral

    channels = await configured_then_upgraded(engine, old_database)
    repo = DeferredCaseRepository(engine)
    assert await repo.save(deferral("view-1", files=2))
    [row] = await repo.waiting()
    assert len(await repo.files(row.id)) == 2
    [config] = await channels.for_workspace(E1)
    assert config.role_arn == role(E1)

    await asyncio.to_thread(db.downgrade, old_database, "0006")
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
    assert "deferred_cases" not in tables and "deferred_case_files" not in tables
    assert [c.role_arn for c in await channels.for_workspace(E1)] == [role(E1)]
