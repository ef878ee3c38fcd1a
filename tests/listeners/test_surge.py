"""Many users at once against a realistic AWS (latency and throttling as AWS does it, scaled down): signed requests
into the real app, the fake Slack Web API, the realistic moto double. Orderings and counts, never wall-clock
thresholds (timing goals are measured by `python -m benchmarks --aws realistic`)."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlparse

from bolt_app.blocks.cases.parts import SERVICE_ACTION
from bolt_app.services.cases.fields import SERVICE_BLOCK
from tests.fakes.aws import AwsDouble
from tests.fakes.moto_support import Case
from tests.fakes.slack_api import Call
from tests.helpers.app import AppHarness
from tests.helpers.scenario import configured_channel
from tests.helpers.scenario import create_modals_open
from tests.helpers.scenario import open_modal
from tests.helpers.scenario import response_url_posts
from tests.helpers.scenario import submit_cases_at_once
from tests.helpers.scenario import suggest
from tests.helpers.scenario import text_of
from tests.helpers.scenario import view_of
from tests.helpers.slack_requests import new_response_url
from tests.helpers.slack_requests import new_trigger_id
from tests.listeners.test_cases import create_modal

ACCOUNT = "210987654321"
OTHER = "310987654321"
SCALE = 0.05  # AssumeRole 7.5 ms, Support reads 15 ms, CreateCase 40 ms


def path_of(url: str) -> str:
    return urlparse(url).path


async def results(h: AppHarness, count: int, within: float = 30.0) -> list[Call]:
    """The first `count` search results posted to response URLs (not the "in line" notices), bounded."""
    deadline = time.monotonic() + within
    while True:
        found = [c for c in h.slack.calls("response_url") if "Search results" in str(c.params.get("text"))]
        if len(found) >= count:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"expected {count} search results within {within}s, got {len(found)}")
        await asyncio.sleep(0.01)


async def search_many(h: AppHarness, display_ids: list[str], channel_id: str = "C0001") -> list[str]:
    """`/aws-support search-case <id>` for each ID at once, each by another user; their response URL paths."""
    urls = [new_response_url() for _ in display_ids]
    responses = await asyncio.gather(
        *(
            h.command(f"search-case {d}", user_id=f"U{n:04d}X", response_url=url, channel_id=channel_id)
            for n, (d, url) in enumerate(zip(display_ids, urls, strict=True))
        )
    )
    assert all(r.status == 200 for r in responses)
    return [path_of(u) for u in urls]


async def test_a_burst_of_create_case_commands_opens_every_modal_before_any_aws_call_for_it(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    aws.realistic(SCALE)
    aws.reset_records()
    users = [f"U{n:04d}B" for n in range(10)]
    triggers = {user: new_trigger_id() for user in users}
    await asyncio.gather(
        *(harness.command("create-case", user_id=user, trigger_id=triggers[user]) for user in users)
    )
    opened = await harness.slack.wait_for("views.open", count=len(users))
    await harness.slack.wait_for("views.update", count=len(users))  # every modal was completed from AWS
    opened_at = {c.params["trigger_id"]: c.at for c in opened}
    assert set(opened_at) == set(triggers.values())
    for user in users:
        assumed = [c.at for c in aws.assume_role_calls if c.session_name == f"T0001.{user}"]
        assert all(at > opened_at[triggers[user]] for at in assumed), user
    support = aws.calls_to("support")
    assert support and min(c.at for c in support) > min(opened_at.values())


async def test_a_throttled_search_is_retried_and_the_user_sees_the_case(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    case = aws.support.put_case(ACCOUNT, subject="Disk full on db-1")
    aws.fail_next("support", "DescribeCases", "ThrottlingException")
    await harness.command(f"search-case {case.display_id}")
    [said] = await response_url_posts(harness)
    assert "Disk full on db-1" in text_of(said) and "throttl" not in text_of(said).lower()
    assert [c.error for c in aws.calls_to("support", "DescribeCases")][:2] == ["ThrottlingException", None]


async def more_cases_than_a_second_of_searches(
    harness: AppHarness, aws: AwsDouble, subject: str
) -> list[Case]:
    """A channel with one account holding 14 cases (more than its 5 searches a second), AWS at realistic speed."""
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    cases = [aws.support.put_case(ACCOUNT, subject=f"{subject} {n}") for n in range(14)]
    aws.realistic(SCALE)
    return cases


async def test_many_searches_of_one_account_never_exceed_its_rate(
    harness: AppHarness, aws: AwsDouble
) -> None:
    cases = await more_cases_than_a_second_of_searches(harness, aws, "Case")
    aws.reset_records()
    await search_many(harness, [c.display_id for c in cases])
    shown = await results(harness, len(cases))
    assert all("Case " in text_of(c) for c in shown)
    # AWS's rate is a token bucket (5 at once, 5 more per second): the double throttles every call beyond it
    assert aws.throttled_calls() == []
    arrived = sorted(c.at for c in aws.calls_to("support") if c.account == ACCOUNT)
    assert len(arrived) >= len(cases)
    assert (len(arrived) - 1) / (arrived[-1] - arrived[0]) <= 5.0  # and, paced, never above 5 per second
    # a request may reach the double late, never early: one second can show a sixth call, not a burst
    assert aws.most_calls_in_one_second("support", ACCOUNT) <= 6


async def test_identical_concurrent_searches_cost_one_aws_call(harness: AppHarness, aws: AwsDouble) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    case = aws.support.put_case(ACCOUNT, subject="Everyone looks for this one")
    aws.reset_records()
    gate = aws.gate("support", "DescribeCases")
    first = asyncio.create_task(search_many(harness, [case.display_id]))
    assert await asyncio.to_thread(gate.wait_reached)
    budget = harness.services.role_sessions.budget
    shared_before = budget.shared_reads
    others = asyncio.create_task(search_many(harness, [case.display_id] * 4))
    deadline = time.monotonic() + 10
    while budget.shared_reads < shared_before + 4:
        assert time.monotonic() < deadline, "the other searches never joined the one in flight"
        await asyncio.sleep(0.01)
    gate.release()
    await asyncio.gather(first, others)
    shown = await results(harness, 5)
    assert all("Everyone looks for this one" in text_of(c) for c in shown)
    assert len(aws.calls_to("support", "DescribeCases")) == 1


async def test_the_second_create_case_modal_needs_no_aws_call(harness: AppHarness, aws: AwsDouble) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    aws.realistic(SCALE)
    first = await create_modal(harness)
    assert await suggest(harness, first, SERVICE_ACTION, SERVICE_BLOCK, "EC2")
    before = len(aws.calls)
    assert aws.calls_to("support", "DescribeSeverityLevels") and aws.calls_to("support", "DescribeServices")

    second = await create_modal(harness)  # the same user again, then another user
    assert await suggest(harness, second, SERVICE_ACTION, SERVICE_BLOCK, "EC2")
    updates = len(harness.slack.calls("views.update"))
    third = await open_modal(harness, "create-case", user_id="U0002C")
    completed = view_of((await harness.slack.wait_for("views.update", count=updates + 1))[-1])
    assert "Production system impaired" in str(completed) and await suggest(
        harness, third, SERVICE_ACTION, SERVICE_BLOCK, "EC2"
    )
    assert len(aws.calls) == before


async def test_a_saturated_account_does_not_hold_up_another_accounts_search(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"}, channel_id="C0001")
    await configured_channel(harness, aws, {OTHER: "full"}, channel_id="C0002")
    busy = [aws.support.put_case(ACCOUNT, subject=f"Busy {n}") for n in range(14)]
    calm = aws.support.put_case(OTHER, subject="Calm account's case")
    aws.realistic(SCALE)
    busy_search = asyncio.create_task(search_many(harness, [c.display_id for c in busy], "C0001"))
    [calm_path] = await search_many(harness, [calm.display_id], "C0002")
    await busy_search
    shown = await results(harness, len(busy) + 1)
    order = [c.params["_path"] for c in shown]
    assert "Calm account's case" in text_of(shown[order.index(calm_path)])
    assert order.index(calm_path) < len(order) - 5  # answered while the busy account still had a line


async def test_a_waiting_search_says_its_place_in_line_and_the_result_replaces_it(
    harness: AppHarness, aws: AwsDouble
) -> None:
    cases = await more_cases_than_a_second_of_searches(harness, aws, "Queued")
    paths = await search_many(harness, [c.display_id for c in cases])
    await results(harness, len(cases))
    posts = harness.slack.calls("response_url")
    waited = {c.params["_path"] for c in posts if "in line" in str(c.params.get("text"))}
    assert waited, "nobody was told they were waiting"
    for path in waited:
        mine = [c for c in posts if c.params["_path"] == path]
        assert "AWS is busy: your search is" in str(mine[0].params["text"])
        assert mine[0].params.get("replace_original") is False
        assert (
            "Search results" in str(mine[-1].params["text"]) and mine[-1].params["replace_original"] is True
        )
        assert all("in line" in str(c.params["text"]) for c in mine[:-1])
    assert set(paths) >= waited
    assert len([c for c in posts if "Search results" in str(c.params.get("text"))]) == len(cases)


async def test_cases_submitted_at_once_are_told_they_wait_and_each_is_created_once(
    harness: AppHarness, aws: AwsDouble
) -> None:
    users, modals = await create_modals_open(harness, aws, ACCOUNT, "S", 8)
    aws.realistic(SCALE)
    aws.reset_records()
    await submit_cases_at_once(harness, modals, users)
    posted = await harness.slack.wait_for("chat.postMessage", count=len(users), timeout=30)
    assert len(aws.cases(ACCOUNT)) == len(users) == len(aws.calls_to("support", "CreateCase"))
    assert len(posted) == len(users)
    told = [c for c in harness.slack.calls("chat.postEphemeral") if "your case is" in text_of(c)]
    assert told, "nobody whose case waited was told"
    assert all("shown in this channel" in text_of(c) for c in told)
    assert aws.throttled_calls() == []
