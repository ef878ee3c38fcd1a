"""Deferred case creations in storage, on SQLite and PostgreSQL: one row per submission, its files until the case
exists, leases that one drainer holds at a time, every step conditional on holding it, kept per workspace."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest

from storage import db
from storage.deferred_cases import Attachment
from storage.deferred_cases import DeferredCaseRepository
from storage.deferred_cases import NewDeferredCase
from storage.workspaces import ChannelKey
from storage.workspaces import WorkspaceKey
from tests.helpers.databases import opened

ONE, OTHER = WorkspaceKey("", "T0000000001"), WorkspaceKey("E0000000009", "T0000000001")
NOW = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
LEASE = timedelta(minutes=10)


def deferral(
    key: str, workspace: WorkspaceKey = ONE, *, files: int = 0, due: datetime = NOW, channel: str = "C1"
) -> NewDeferredCase:
    return NewDeferredCase(
        channel=ChannelKey(workspace, channel),
        channel_name="support",
        account_id="210987654321",
        user_id="U1",
        user_name="Jane Doe",
        user_handle="jane",
        home=workspace,
        idempotency_key=key,
        subject=f"Subject of {key}",
        fields={"description": "it broke", "language": "en", "cc_emails": ["ops@example.com"]},
        reason="limit",
        submitted_at=NOW - timedelta(minutes=5),
        next_attempt_at=due,
        files=tuple(Attachment(f"file-{n}.log", bytes([n]) * 1000) for n in range(files)),
    )


@pytest.fixture
async def repo(database_url: str) -> AsyncIterator[DeferredCaseRepository]:
    async with opened(database_url) as engine:
        yield DeferredCaseRepository(engine)


async def test_a_submission_is_stored_once_with_its_fields_and_files(repo: DeferredCaseRepository) -> None:
    assert await repo.save(deferral("view-1", files=2))
    assert not await repo.save(deferral("view-1", files=3))  # a double click or a retry: nothing more
    [row] = await repo.waiting()
    assert (row.subject, row.user_name, row.reason, row.attempts) == (
        "Subject of view-1",
        "Jane Doe",
        "limit",
        0,
    )
    assert row.fields["cc_emails"] == ["ops@example.com"] and row.home == ONE
    assert [(f.file_name, f.data) for f in await repo.files(row.id)] == [
        ("file-0.log", b"\0" * 1000),
        ("file-1.log", b"\1" * 1000),
    ]
    assert await repo.count() == 1


async def test_due_rows_are_leased_to_one_drainer_and_each_step_needs_the_lease(
    repo: DeferredCaseRepository,
) -> None:
    await repo.save(deferral("view-1", files=1))
    await repo.save(deferral("view-2", due=NOW + timedelta(hours=1)))  # not due yet
    [row] = await repo.take_due("w1", NOW, NOW + LEASE, 10)
    assert row.idempotency_key == "view-1" and row.lease_owner == "w1"
    assert await repo.take_due("w2", NOW, NOW + LEASE, 10) == []  # leased

    assert not await repo.attempting(row.id, "w2", NOW, NOW + LEASE)
    assert await repo.attempting(row.id, "w1", NOW, NOW + LEASE)
    assert not await repo.created(row.id, "w2", "case-1")
    assert await repo.created(row.id, "w1", "case-1")
    assert await repo.files(row.id) == []  # the case exists: its files are not kept
    assert await repo.posting(row.id, "w1", NOW) and await repo.posted(row.id, "w1", "1700000000.000100")
    [seen] = [r for r in await repo.waiting() if r.id == row.id]
    assert (seen.case_id, seen.posted_ts, seen.attempts) == ("case-1", "1700000000.000100", 1)
    assert seen.attempted_at is not None and seen.posting_at is not None
    assert not await repo.drop(row.id, "w2") and await repo.drop(row.id, "w1")
    assert [r.idempotency_key for r in await repo.waiting()] == ["view-2"]


async def test_a_lease_that_ran_out_passes_to_another_drainer_and_the_first_may_not_send(
    repo: DeferredCaseRepository,
) -> None:
    await repo.save(deferral("view-1"))
    [row] = await repo.take_due("w1", NOW, NOW + LEASE, 10)
    later = NOW + LEASE + timedelta(seconds=1)
    assert not await repo.attempting(row.id, "w1", later, later + LEASE)  # its lease is over: send nothing
    [again] = await repo.take_due("w2", later, later + LEASE, 10)
    assert again.id == row.id and again.lease_owner == "w2"
    assert not await repo.later(row.id, "w1", later)
    assert await repo.later(row.id, "w2", later + timedelta(minutes=5))
    assert await repo.take_due("w3", later, later + LEASE, 10) == []
    [back] = await repo.take_due("w3", later + timedelta(minutes=5), later + LEASE, 10)
    assert back.lease_owner == "w3"


async def test_concurrent_drainers_split_the_due_rows(
    repo: DeferredCaseRepository, database_url: str
) -> None:
    for n in range(6):
        await repo.save(deferral(f"view-{n}"))
    other = db.create_engine(database_url)
    try:
        second = DeferredCaseRepository(other)
        a, b = await asyncio.gather(
            repo.take_due("w1", NOW, NOW + LEASE, 4), second.take_due("w2", NOW, NOW + LEASE, 4)
        )
    finally:
        await other.dispose()
    ids = [r.id for r in a] + [r.id for r in b]
    assert len(ids) == len(set(ids)) == 6


async def test_each_workspace_lists_its_own_deferrals(repo: DeferredCaseRepository) -> None:
    await repo.save(deferral("view-1", ONE))
    await repo.save(deferral("view-2", OTHER))  # the same team ID in another Grid org
    assert [r.idempotency_key for r in await repo.waiting(ONE)] == ["view-1"]
    assert [r.idempotency_key for r in await repo.waiting(OTHER)] == ["view-2"]
    assert len(await repo.waiting()) == 2 and await repo.count() == 2
