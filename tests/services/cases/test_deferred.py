"""The drainer of deferred cases, on SQLite and PostgreSQL: a process dying between two steps, two drainers at once,
AWS refusing for good, the channel changed meanwhile, the day's end. Cases are deferred through the real app
(a signed submission that AWS answers with CaseCreationLimitExceeded); AWS is moto with IAM enforced."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from bolt_app.services.cases.fields import SUBJECT_BLOCK
from bolt_app.services.context import Actor
from storage.db import create_engine
from storage.deferred_cases import DeferredCaseRepository
from storage.deferred_cases import DeferredCaseRow
from storage.workspaces import ChannelKey
from storage.workspaces import WorkspaceKey
from tests.fakes.aws import AwsDouble
from tests.helpers.app import AppHarness
from tests.helpers.deferred import Died
from tests.helpers.deferred import MovedClock
from tests.helpers.deferred import dies_at
from tests.helpers.deferred import drainer
from tests.helpers.deferred import waiting_rows
from tests.helpers.scenario import case_form
from tests.helpers.scenario import configured_channel
from tests.helpers.scenario import submit
from tests.helpers.scenario import text_of
from tests.listeners.test_cases import create_modal
from tests.listeners.test_deferred_cases import SAVED
from tests.listeners.test_deferred_cases import ephemerals_with

ACCOUNT = "210987654321"
WORKSPACE = WorkspaceKey("", "T0001")


@pytest.fixture
async def installed(harness: AppHarness, aws: AwsDouble) -> AsyncIterator[AppHarness]:
    await harness.install()
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    yield harness


async def deferred_case(h: AppHarness, aws: AwsDouble, subject: str = "Disk full on db-1") -> DeferredCaseRow:
    view = await create_modal(h)
    aws.fail_next("support", "CreateCase", "CaseCreationLimitExceeded")
    await submit(h, view, case_form(**{SUBJECT_BLOCK: subject}))
    await ephemerals_with(h, SAVED, 1)
    await h.settled()
    [row] = await waiting_rows(h)
    aws.reset_records()
    return row


def later(minutes: float, aws: AwsDouble | None = None) -> MovedClock:
    """A drainer's clock `minutes` ahead (and AWS's, given `aws`): the deferred case is due."""
    clock = MovedClock(aws=aws)
    clock.move(minutes=minutes)
    return clock


async def died_at(h: AppHarness, aws: AwsDouble, step: str) -> MovedClock:
    """A deferred case whose drainer died at `step`; the clock it died by (and AWS's) 10 minutes ahead."""
    await deferred_case(h, aws)
    clock = later(10, aws)
    with pytest.raises(Died):
        await drainer(h, clock, dies_at(step)).drain("drainer-1")
    return clock


def channel_posts(h: AppHarness) -> list[object]:
    return [c for c in h.slack.calls("chat.postMessage") if c.params.get("channel") == "C0001"]


def told(h: AppHarness, words: str) -> list[str]:
    return [text_of(c) for c in h.slack.calls("chat.postEphemeral") if words in text_of(c)]


async def dropped(
    installed: AppHarness, aws: AwsDouble, words: str, *, minutes: float = 10, sent: bool
) -> str:
    """Drains once: the case is dropped (nothing created, nothing left waiting) and its submitter is told why, in
    the one message that has `words`, which is returned. `sent`: whether a CreateCase went to AWS first."""
    assert await drainer(installed, later(minutes)).drain("drainer-1") == 1
    assert aws.cases(ACCOUNT) == [] and await waiting_rows(installed) == []
    assert bool(aws.calls_to("support", "CreateCase")) is sent
    [said] = told(installed, words)
    return said


async def test_a_drainer_dying_after_create_case_leaves_the_next_one_to_find_the_case(
    installed: AppHarness, aws: AwsDouble
) -> None:
    clock = await died_at(installed, aws, "created")
    [row] = await waiting_rows(installed)
    assert row.attempted_at is not None and row.case_id is None and len(aws.cases(ACCOUNT)) == 1

    clock.move(minutes=5)  # still within the dead drainer's lease: nobody takes the row
    assert await drainer(installed, clock).drain("drainer-2") == 0
    clock.move(minutes=10)
    assert await drainer(installed, clock).drain("drainer-2") == 1
    [case] = aws.cases(ACCOUNT)
    assert len(aws.calls_to("support", "CreateCase")) == 1  # found by DescribeCases, not created again
    assert aws.calls_to("support", "DescribeCases")
    assert len(channel_posts(installed)) == 1 and await waiting_rows(installed) == []
    [said] = told(installed, "was created")
    assert case.display_id in said


async def test_a_drainer_dying_after_posting_leaves_nothing_to_post_again(
    installed: AppHarness, aws: AwsDouble
) -> None:
    clock = await died_at(installed, aws, "posted")
    [row] = await waiting_rows(installed)
    assert row.case_id and row.posted_ts and len(channel_posts(installed)) == 1
    clock.move(minutes=11)
    assert await drainer(installed, clock).drain("drainer-2") == 1
    assert len(channel_posts(installed)) == 1 and len(aws.calls_to("support", "CreateCase")) == 1
    assert await waiting_rows(installed) == []
    assert len(told(installed, "posted in this channel")) == 1


async def test_a_drainer_dying_while_posting_is_not_followed_by_a_second_post(
    installed: AppHarness, aws: AwsDouble
) -> None:
    clock = await died_at(installed, aws, "posting")
    clock.move(minutes=11)
    assert await drainer(installed, clock).drain("drainer-2") == 1
    [case] = aws.cases(ACCOUNT)
    assert len(channel_posts(installed)) == 1
    [said] = told(installed, "may not have been posted")
    assert f"/aws-support search-case {case.display_id}" in said


async def test_two_drainers_on_one_database_create_the_case_once(
    installed: AppHarness, aws: AwsDouble
) -> None:
    await deferred_case(installed, aws)
    other = create_engine(installed.settings.database_url)  # another process's connections
    try:
        clock = later(10, aws)
        first = drainer(installed, clock)
        second = drainer(installed, clock, repository=DeferredCaseRepository(other))
        taken = await asyncio.gather(first.drain("drainer-1"), second.drain("drainer-2"))
    finally:
        await other.dispose()
    assert sorted(taken) == [0, 1]
    assert len(aws.cases(ACCOUNT)) == 1 and len(aws.calls_to("support", "CreateCase")) == 1
    assert len(channel_posts(installed)) == 1 and len(told(installed, "was created")) == 1


async def test_aws_refusing_for_good_at_drain_time_tells_the_user_and_drops_the_case(
    installed: AppHarness, aws: AwsDouble
) -> None:
    await deferred_case(installed, aws)
    aws.fail_next("support", "CreateCase", "ValidationException", message="serviceCode <x> is not valid")
    said = await dropped(installed, aws, "AWS refused your saved case", sent=True)
    assert "serviceCode &lt;x&gt; is not valid" in said and "was not created" in said
    [audited] = [e for e in await installed.services.audit.list(WORKSPACE) if e.outcome.startswith("error")]
    assert (audited.action, audited.outcome) == ("support:CreateCase", "error: Validation")
    assert channel_posts(installed) == []


async def test_a_role_that_may_no_longer_create_is_told_with_aws_words(
    installed: AppHarness, aws: AwsDouble
) -> None:
    await deferred_case(installed, aws)
    [config] = await installed.services.channels.for_channel(WORKSPACE, "C0001")
    aws.set_role_policy(config.role_arn, "readonly")
    said = await dropped(installed, aws, "AWS refused your saved case", sent=True)
    assert "support:CreateCase" in said


async def test_a_channel_that_lost_the_account_meanwhile_drops_the_case_and_says_why(
    installed: AppHarness, aws: AwsDouble
) -> None:
    await deferred_case(installed, aws)
    admin = Actor.member(WORKSPACE, "U0001", slack_admin=True)
    await installed.services.channels.remove(admin, "C0001", ACCOUNT)
    said = await dropped(installed, aws, "Your saved case", sent=False)
    assert f"was not created: this channel no longer has AWS account {ACCOUNT} configured" in said
    audited = [e for e in await installed.services.audit.list(WORKSPACE) if e.outcome == "dropped"]
    assert len(audited) == 1 and audited[0].user_id == "U0001"


async def test_a_case_aws_did_not_accept_within_a_day_is_given_up(
    installed: AppHarness, aws: AwsDouble
) -> None:
    await deferred_case(installed, aws)
    said = await dropped(installed, aws, "within 24 hours", minutes=25 * 60, sent=False)
    assert "Nothing was created" in said


async def test_a_member_policy_that_no_longer_lets_the_user_create_drops_the_case_and_says_who_may(
    installed: AppHarness, aws: AwsDouble
) -> None:
    await deferred_case(installed, aws)
    installed.slack.set_group("S0ONCALL", ["U0ONCALL"])
    [row] = await installed.services.channels.repository.for_channel(ChannelKey(WORKSPACE, "C0001"))
    await installed.services.channels.repository.save(
        replace(row, members={"create": ["S0ONCALL"]}), per_account=20, per_channel=100
    )
    installed.services.channels.forget_cached()
    said = await dropped(installed, aws, "Your saved case", sent=False)
    assert "was not created" in said and "Ask an app admin" in said
    refused = [e for e in await installed.services.audit.list(WORKSPACE) if e.outcome == "refused"]
    assert len(refused) == 1 and refused[0].action == "support:CreateCase"


async def test_a_create_still_throttled_after_the_budgets_retries_is_saved_and_created_later(
    installed: AppHarness, aws: AwsDouble
) -> None:
    view = await create_modal(installed)
    aws.fail_next("support", "CreateCase", "ThrottlingException", times=4)  # every attempt the budget makes
    await submit(installed, view, case_form())
    [said] = await ephemerals_with(installed, SAVED, 1)
    assert "throttling" in text_of(said)
    [row] = await waiting_rows(installed)
    assert row.reason == "throttled" and aws.cases(ACCOUNT) == []
    assert await drainer(installed, later(2)).drain("drainer-1") == 1
    assert len(aws.cases(ACCOUNT)) == 1 and len(channel_posts(installed)) == 1


async def test_a_create_the_busy_budget_would_not_send_is_saved_and_created_later(
    installed: AppHarness, aws: AwsDouble
) -> None:
    view = await create_modal(installed)
    budget = installed.services.role_sessions.budget
    patience, budget._patience = budget._patience, -1.0  # every call would wait longer than the user may
    await submit(installed, view, case_form())
    [said] = await ephemerals_with(installed, SAVED, 1)
    assert f"AWS is busy for account Acct4321 ({ACCOUNT})" in text_of(said)
    assert aws.calls_to("support", "CreateCase") == []  # nothing was sent
    [row] = await waiting_rows(installed)
    assert row.reason == "busy"
    budget._patience = patience
    assert await drainer(installed, later(2)).drain("drainer-1") == 1
    assert len(aws.cases(ACCOUNT)) == 1 and len(channel_posts(installed)) == 1


async def test_a_submitter_who_left_the_channel_is_told_by_direct_message(
    installed: AppHarness, aws: AwsDouble
) -> None:
    await deferred_case(installed, aws)
    installed.slack.fail("chat.postEphemeral", error="user_not_in_channel")
    assert await drainer(installed, later(10)).drain("drainer-1") == 1
    [case] = aws.cases(ACCOUNT)
    [dm] = [c for c in installed.slack.calls("chat.postMessage") if c.params.get("channel") == "U0001"]
    assert case.display_id in text_of(dm) and "was created" in text_of(dm)
    assert len(channel_posts(installed)) == 1
