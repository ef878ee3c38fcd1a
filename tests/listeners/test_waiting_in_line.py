"""A user whose request waits behind the account's AWS budget sees where it is in line at once, updated in place,
then replaced by the result; when nobody waits nothing extra is shown. Signed requests into the real app, the fake
Slack Web API, the realistic AWS double with an account saturated by other users' searches."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from collections.abc import Callable
from typing import Any

import pytest

from bolt_app.aws import budget as budget_module
from bolt_app.blocks.cases import parts
from bolt_app.services.cases import fields
from tests.fakes.aws import AwsDouble
from tests.fakes.slack_api import Call
from tests.fakes.slack_api import FakeSlackApi
from tests.helpers.app import AppHarness
from tests.helpers.app import app_settings
from tests.helpers.app import running_app
from tests.helpers.scenario import cases_a_second_apart
from tests.helpers.scenario import click_message
from tests.helpers.scenario import configured_channel
from tests.helpers.scenario import open_modal
from tests.helpers.scenario import submit
from tests.helpers.scenario import text_of
from tests.listeners.test_cases import buttons
from tests.listeners.test_cases import ref_of
from tests.listeners.test_surge import ACCOUNT
from tests.listeners.test_surge import OTHER
from tests.listeners.test_surge import SCALE
from tests.listeners.test_surge import search_many

SEARCH = {fields.SEARCH_STATUS_BLOCK: ("option", "open"), fields.SEARCH_LANGUAGE_BLOCK: ("option", "en")}
IN_LINE = re.compile(r"is (\d+)(?:st|nd|rd|th) in line")


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi() as fake:
        yield fake


@pytest.fixture(autouse=True)
def frequent_notices(monkeypatch: pytest.MonkeyPatch) -> None:
    """A place in line is told again every 0.3 s instead of every 5 s: a few seconds' line shows it moving."""
    monkeypatch.setattr(budget_module, "NOTICE_EVERY_SECONDS", 0.3)


async def until(condition: Callable[[], Any], what: str, within: float = 20.0) -> Any:
    deadline = time.monotonic() + within
    while not (found := condition()):
        assert time.monotonic() < deadline, f"{what} not seen within {within}s"
        await asyncio.sleep(0.01)
    return found


async def saturated(h: AppHarness, aws: AwsDouble, searches: int = 30) -> asyncio.Task[list[str]]:
    """Other users' searches of ACCOUNT (for case IDs it does not have, each its own DescribeCases) fill its line
    at AWS's rate (5 a second) for several seconds."""
    aws.realistic(SCALE)
    others = asyncio.create_task(search_many(h, [str(99_990_000 + n) for n in range(searches)]))
    budget = h.services.role_sessions.budget
    await until(lambda: budget.place_in_line(ACCOUNT) > searches // 2, "the account's line")
    return others


def places(calls: list[Call]) -> list[int]:
    return [int(m.group(1)) for c in calls if (m := IN_LINE.search(text_of(c)))]


def shown_in(view: dict[str, Any]) -> str:
    return " ".join(str(b.get("text", {}).get("text", "")) for b in view.get("blocks", []))


def updates_of(h: AppHarness, view_id: str) -> list[Call]:
    return [c for c in h.slack.calls("views.update") if c.params.get("view_id") == view_id]


async def test_a_waiting_search_keeps_its_modal_open_saying_its_place_until_the_results_are_posted(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    view = await open_modal(harness, "search-case")
    aws.support.put_case(ACCOUNT, subject="The one I look for")
    others = await saturated(harness, aws)

    response = await submit(harness, view, SEARCH)
    assert response.status == 200
    ack = response.json()
    assert ack["response_action"] == "update"  # the modal stays open, and says so at once
    assert IN_LINE.search(shown_in(ack["view"])) and "AWS is busy: your search is" in shown_in(ack["view"])

    def answered() -> list[Call]:
        return [c for c in updates_of(harness, view["id"]) if "results are in the channel" in text_of(c)]

    await until(answered, "the modal's last word", within=30)
    updates = updates_of(harness, view["id"])
    told = places(updates[:-1])
    assert told and told == sorted(told, reverse=True) and len(updates) >= 2  # its place, moving up, in place
    assert all(IN_LINE.search(text_of(c)) for c in updates[:-1]) and not IN_LINE.search(text_of(updates[-1]))
    [results] = [c for c in harness.slack.calls("chat.postEphemeral") if "The one I look for" in text_of(c)]
    assert results.params["user"] == "U0001" and results.at <= updates[-1].at
    await others


async def test_a_search_that_does_not_wait_closes_its_modal_and_shows_nothing_extra(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    aws.support.put_case(ACCOUNT, subject="The one I look for")
    aws.realistic(SCALE)
    view = await open_modal(harness, "search-case")
    response = await submit(harness, view, SEARCH)
    assert response.status == 200 and response.text == ""  # closed
    [results] = await harness.slack.wait_for("chat.postEphemeral")
    assert "The one I look for" in text_of(results)
    assert harness.slack.calls("views.update") == []
    assert not any("in line" in text_of(c) for c in harness.slack.calls("chat.postEphemeral"))


async def test_see_details_while_the_account_is_busy_opens_a_modal_with_its_place_then_the_details_below(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    case = aws.support.put_case(ACCOUNT, subject="Details I asked for")
    others = await saturated(harness, aws)

    await click_message(
        harness, parts.SEE_DETAILS_ACTION, ref_of(case)
    )  # on the case's message in the channel
    [opened] = await harness.slack.wait_for("views.open")
    assert "AWS is busy: your request for the case's details is" in text_of(opened) and places([opened])
    view_id = None

    def answered() -> list[Call]:
        nonlocal view_id
        view_id = view_id or next((c.params["view_id"] for c in harness.slack.calls("views.update")), None)
        return [c for c in harness.slack.calls("views.update") if "details are below" in text_of(c)]

    await until(answered, "the modal's last word", within=30)
    assert view_id is not None
    updates = updates_of(harness, view_id)
    assert all(IN_LINE.search(text_of(c)) for c in updates[:-1])
    posts = [c for c in harness.slack.calls("response_url") if "Details I asked for" in text_of(c)]
    assert len(posts) == 1 and posts[0].params["replace_original"] is False  # everyone's message stays
    assert posts[0].at <= updates[-1].at
    own = [c for c in harness.slack.calls("response_url") if c.params["_path"] == posts[0].params["_path"]]
    assert own == posts  # nothing else through the click's response_url: the channel's message is untouched
    await others


async def test_see_details_without_a_wait_opens_no_modal(harness: AppHarness, aws: AwsDouble) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    case = aws.support.put_case(ACCOUNT, subject="Details I asked for")
    aws.realistic(SCALE)
    await click_message(harness, parts.SEE_DETAILS_ACTION, ref_of(case))
    details = (await until(lambda: harness.slack.calls("response_url"), "the details"))[0]
    assert "Details I asked for" in text_of(details)
    assert harness.slack.calls("views.open") == [] and harness.slack.calls("views.update") == []


async def test_the_next_page_of_results_says_its_place_in_place_of_the_page_then_replaces_it(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    cases_a_second_apart(aws, ACCOUNT, "Mine", 7)
    view = await open_modal(harness, "search-case")
    await submit(harness, view, SEARCH)
    [first] = await harness.slack.wait_for("chat.postEphemeral")
    others = await saturated(harness, aws)

    await click_message(
        harness, parts.NEXT_RESULTS_ACTION, buttons(first)["Next 5 results"]["value"], ephemeral=True
    )
    mine = await until(
        lambda: [c for c in harness.slack.calls("response_url") if "Mine 0" in text_of(c)],
        "the next page",
        30,
    )
    posts = [c for c in harness.slack.calls("response_url") if c.at <= mine[0].at]
    own = [c for c in posts if c.params["_path"] == mine[0].params["_path"]]
    assert places(own[:-1]), "the wait was not told"
    assert all(c.params["replace_original"] is True for c in own)  # the page clicked, then the next page
    assert "6–7 of 7" in text_of(own[-1])
    await others


# ---- the process's limit on AWS-bound work ----------------------------------------------------------------------


async def test_beyond_the_work_limit_a_flooding_account_waits_its_turn_told_so_and_another_account_is_served(
    sqlite_url: str, slack: FakeSlackApi, aws: AwsDouble
) -> None:
    """A limit of 2 (one per account at most): the busy account's first search is held at AWS; its other
    searches wait for a place, told their place in line, while the calm account's search is answered."""
    async with running_app(app_settings(sqlite_url, slack, aws_work_limit=2), slack) as h:
        await h.install()
        await configured_channel(h, aws, {ACCOUNT: "full"}, channel_id="C0001")
        await configured_channel(h, aws, {OTHER: "full"}, channel_id="C0002")
        busy = [aws.support.put_case(ACCOUNT, subject=f"Busy {n}") for n in range(4)]
        calm = aws.support.put_case(OTHER, subject="Calm account's case")
        held = aws.gate("support", "DescribeCases")
        first = asyncio.create_task(search_many(h, [busy[0].display_id], "C0001"))
        assert await asyncio.to_thread(held.wait_reached)
        rest = asyncio.create_task(search_many(h, [c.display_id for c in busy[1:]], "C0001"))
        admission = h.services.role_sessions.budget.admission
        await until(lambda: admission.waiting == 3, "the busy account's line")

        [calm_path] = await search_many(h, [calm.display_id], "C0002")
        answer = await until(
            lambda: [c for c in h.slack.calls("response_url") if c.params["_path"] == calm_path],
            "the calm answer",
        )
        assert "Calm account's case" in text_of(answer[-1]) and admission.waiting == 3
        told = [c for c in h.slack.calls("response_url") if "in line" in text_of(c)]
        assert sorted(places(told)) == [1, 2, 3]  # the three that wait for a place, each told its own

        held.release()
        paths = [*await first, *await rest]
        for path, case in zip(paths, busy, strict=True):
            mine = await until(
                lambda p=path, s=case.subject: [
                    c for c in h.slack.calls("response_url") if c.params["_path"] == p and s in text_of(c)
                ],
                "a busy search's answer",
            )
            assert mine
        # each run gives its place back as it returns, just after its answer was posted
        await until(lambda: (admission.admitted, admission.waiting) == (0, 0), "every place given back")


async def test_show_full_message_while_the_account_is_busy_says_its_place_in_the_modal_that_then_shows_it(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    case = aws.support.put_case(ACCOUNT, subject="Long answers")
    aws.advance_time(1)
    aws.add_aws_reply(case.case_id, "The whole answer, at last")
    others = await saturated(harness, aws)

    await click_message(harness, parts.SHOW_FULL_MESSAGE_ACTION, ref_of(case))
    [opened] = await harness.slack.wait_for("views.open")
    assert "AWS is busy: your request for the message is" in text_of(opened) and places([opened])

    def shown() -> list[Call]:
        return [c for c in harness.slack.calls("views.update") if "The whole answer, at last" in text_of(c)]

    [full] = await until(shown, "the full message", within=30)
    earlier = [
        c for c in harness.slack.calls("views.update") if c.params["view_id"] == full.params["view_id"]
    ]
    assert earlier[-1] is full and all(IN_LINE.search(text_of(c)) for c in earlier[:-1])
    await others
