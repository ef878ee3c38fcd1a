"""Case creations AWS defers, end to end: signed submissions into the real app, the realistic AWS double (its hourly
case limit on a clock the test moves), the fake Slack; a drainer of the app's own parts creates the saved cases."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import update

from bolt_app.services.cases.fields import ATTACHMENTS_BLOCK
from storage.tables import deferred_cases
from tests.fakes.aws import AwsDouble
from tests.fakes.slack_api import FILE_DOWNLOAD
from tests.helpers.app import AppHarness
from tests.helpers.deferred import MovedClock
from tests.helpers.deferred import drainer
from tests.helpers.deferred import waiting_rows
from tests.helpers.scenario import case_form
from tests.helpers.scenario import configured_channel
from tests.helpers.scenario import create_modals_open
from tests.helpers.scenario import slack_file
from tests.helpers.scenario import submit
from tests.helpers.scenario import submit_cases_at_once
from tests.helpers.scenario import text_of
from tests.listeners.test_cases import create_modal
from tests.listeners.test_cases import refused_as_duplicates

ACCOUNT = "210987654321"
SCALE = 0.05
SAVED = "It is saved: the app will create it and post it in this channel"


async def ephemerals_with(h: AppHarness, words: str, count: int, within: float = 30.0) -> list[Any]:
    deadline = time.monotonic() + within
    while True:
        found = [c for c in h.slack.calls("chat.postEphemeral") if words in text_of(c)]
        if len(found) >= count:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"expected {count} ephemerals saying {words!r}, got {len(found)}")
        await asyncio.sleep(0.02)


async def test_cases_beyond_the_hourly_limit_are_saved_then_each_is_created_and_posted_once(
    harness: AppHarness, aws: AwsDouble
) -> None:
    users, modals = await create_modals_open(harness, aws, ACCOUNT, "D", 12)
    aws_clock = MovedClock()
    aws.realistic(SCALE, clock=lambda: time.monotonic() + aws_clock.offset.total_seconds())
    aws.reset_records()
    await submit_cases_at_once(harness, modals, users)
    saved = await ephemerals_with(harness, SAVED, 2)
    await harness.settled(30)
    assert len(aws.cases(ACCOUNT)) == 10 and len(harness.slack.calls("chat.postMessage")) == 10
    deferred_users = {c.params["user"] for c in saved}
    assert len(deferred_users) == 2 and all(c.params["channel"] == "C0001" for c in saved)
    said = text_of(saved[0])
    assert "(about 10 an hour)" in said and ACCOUNT in said and "Do not submit it again" in said
    rows = await waiting_rows(harness)
    assert {r.user_id for r in rows} == deferred_users and {r.reason for r in rows} == {"limit"}

    clock = MovedClock()
    clock.move(minutes=10)  # due, but AWS's hour has not moved on: put off again, nothing created
    assert await drainer(harness, clock).drain("drainer-1") == 2
    assert len(aws.cases(ACCOUNT)) == 10 and len(await waiting_rows(harness)) == 2
    assert [r.attempts for r in await waiting_rows(harness)] == [1, 1]

    aws_clock.move(hours=1)  # the double's hour window frees
    clock.move(minutes=30)
    assert await drainer(harness, clock).drain("drainer-1") == 2
    assert await drainer(harness, clock).drain("drainer-1") == 0
    cases = aws.cases(ACCOUNT)
    subjects = sorted(c.subject for c in cases)
    assert len(cases) == 12 and len(set(subjects)) == 12
    assert {f"Case of {u}" for u in deferred_users} <= set(subjects)
    posted = harness.slack.calls("chat.postMessage")
    assert len(posted) == 12
    for user in deferred_users:
        assert len([c for c in posted if f"Case of {user}" in text_of(c)]) == 1
        [told] = [
            c
            for c in harness.slack.calls("chat.postEphemeral")
            if c.params["user"] == user and "was created" in text_of(c)
        ]
        assert f"Case of {user}" in text_of(told) and "posted in this channel" in text_of(told)
    assert await waiting_rows(harness) == []
    assert aws.throttled_calls() == [
        c for c in aws.throttled_calls() if c.error == "CaseCreationLimitExceeded"
    ]


async def test_a_deferred_form_submitted_again_makes_one_row_and_one_case(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    harness.slack.add_file("F1", "trace.log", b"trace\n" * 300, "text/plain")
    view = await create_modal(harness)
    files = [slack_file("F1", "trace.log", 1800)]
    aws.fail_next("support", "CreateCase", "CaseCreationLimitExceeded")
    values = case_form(**{ATTACHMENTS_BLOCK: ("files", files)})
    first, second = await asyncio.gather(submit(harness, view, values), submit(harness, view, values))
    assert first.status == second.status == 200
    await ephemerals_with(harness, SAVED, 1)
    await submit(harness, view, values)  # Slack retrying later, while the case waits
    assert await refused_as_duplicates(harness, 2)
    [row] = await waiting_rows(harness)
    assert len(await harness.services.deferred.repository.files(row.id)) == 1
    audited = [e for e in await harness.services.audit.list(row.channel.workspace) if e.outcome == "deferred"]
    assert [(e.action, e.user_id) for e in audited] == [("support:CreateCase", "U0001")]
    assert len(harness.slack.calls(FILE_DOWNLOAD)) >= 1

    clock = MovedClock()
    clock.move(minutes=10)
    assert await drainer(harness, clock).drain("drainer-1") == 1
    [case] = aws.cases(ACCOUNT)
    assert {a.file_name: a.data for a in case.communications[0].attachments} == {
        "trace.log": b"trace\n" * 300
    }
    assert len(aws.calls_to("support", "CreateCase")) == 2  # the refused one, then the one that created it
    assert len(aws.calls_to("support", "AddAttachmentsToSet")) == 2  # a fresh set just before each create
    assert len(harness.slack.calls("chat.postMessage")) == 1
    assert await waiting_rows(harness) == []
    assert await harness.services.deferred.repository.files(row.id) == []
    assert len(await ephemerals_with(harness, SAVED, 1)) == 1
    [told] = await ephemerals_with(harness, "was created", 1)
    assert case.display_id in text_of(told)


async def test_the_apps_own_drainer_creates_a_due_case(harness: AppHarness, aws: AwsDouble) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    view = await create_modal(harness)
    aws.fail_next("support", "CreateCase", "CaseCreationLimitExceeded")
    await submit(harness, view, case_form())
    await ephemerals_with(harness, SAVED, 1)
    [row] = await waiting_rows(harness)
    async with harness.services.engine.begin() as conn:
        await conn.execute(
            update(deferred_cases)
            .values(next_attempt_at=row.submitted_at)
            .where(deferred_cases.c.id == row.id)
        )
    harness.services.deferred.wake.set()
    await harness.slack.wait_for("chat.postMessage", timeout=20)
    assert len(aws.cases(ACCOUNT)) == 1
    await ephemerals_with(harness, "was created", 1)
