"""Support cases from Slack: signed requests into the real app, the fake Slack Web API, moto with IAM enforced."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sqlite3
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bolt_app.blocks.cases import parts
from bolt_app.services.cases import fields
from storage.db import sqlite_path
from tests.fakes.aws import AwsDouble
from tests.fakes.moto_support import Case
from tests.fakes.slack_api import FILE_DOWNLOAD
from tests.fakes.slack_api import RESPONSE_URL
from tests.fakes.slack_api import Call
from tests.helpers.app import SIGNING_SECRET
from tests.helpers.app import AppHarness
from tests.helpers.scenario import blocks_of
from tests.helpers.scenario import case_form
from tests.helpers.scenario import cases_a_second_apart
from tests.helpers.scenario import channel_with_case_awaiting_an_answer
from tests.helpers.scenario import channel_with_open_and_resolved_case
from tests.helpers.scenario import choose_in_modal
from tests.helpers.scenario import click_message
from tests.helpers.scenario import configured_channel
from tests.helpers.scenario import open_modal
from tests.helpers.scenario import response_url_posts
from tests.helpers.scenario import slack_file
from tests.helpers.scenario import submit
from tests.helpers.scenario import suggest
from tests.helpers.scenario import text_of
from tests.helpers.scenario import view_of
from tests.helpers.scenario import with_values
from tests.helpers.slack_requests import message_shortcut_body
from tests.helpers.slack_requests import message_shortcut_payload
from tests.helpers.slack_requests import modal_view
from tests.helpers.slack_requests import sign
from tests.helpers.slack_requests import slack_retry
from tests.helpers.slack_requests import slash_command_body
from tests.helpers.slack_requests import view_submission_body
from tests.helpers.slack_requests import view_submission_payload

ACCOUNT = "210987654321"
SECOND = "310987654321"
THIRD = "410987654321"
EC2_LINUX = "amazon-elastic-compute-cloud-linux"
MB = 1024 * 1024
Json = dict[str, Any]


def form_with_files(*files: Json) -> Json:
    """The valid create-case form with `files` (as Slack describes them) in its attachments input."""
    return case_form(**{fields.ATTACHMENTS_BLOCK: ("files", list(files))})


async def create_modal(h: AppHarness, command: str = "create-case") -> Json:
    """Runs the command; returns the modal once the app completed it (severities known), as Slack would submit it."""
    before = len(h.slack.calls("views.update"))
    opened = await open_modal(h, command)
    completed = view_of((await h.slack.wait_for("views.update", count=before + 1))[-1])
    return completed | {"id": opened["id"], "hash": "h", "state": {"values": {}}}


async def case_modal_from_click(h: AppHarness, action_id: str, ref: str, **click: Any) -> Json:
    """Clicks a case button that opens a modal (Reply, Reopen case); returns the modal filled with the case."""
    opened_before = len(h.slack.calls("views.open"))
    updated_before = len(h.slack.calls("views.update"))
    await click_message(h, action_id, ref, **click)
    opened = (await h.slack.wait_for("views.open", count=opened_before + 1))[-1]
    updated = view_of((await h.slack.wait_for("views.update", count=updated_before + 1))[-1])
    assert "Loading the case" in text_of(opened)  # shown before AWS described the case
    return updated | {"id": f"VCLICK{opened_before + 1}", "hash": "h", "state": {"values": {}}}


def buttons(call: Call) -> dict[str, Json]:
    """The buttons of a message (in actions blocks and as section accessories), by their text."""
    found: dict[str, Json] = {}
    for block in blocks_of(call):
        elements = block.get("elements") if block["type"] == "actions" else [block.get("accessory")]
        for element in elements or []:
            if element and element.get("type") == "button":
                found[element["text"]["text"]] = element
    return found


def updates_in(call: Call) -> list[int]:
    return [int(n) for n in re.findall(r"Update (\d+)", text_of(call))]


def ref_of(case: Case) -> str:
    return parts.CaseRef(case.account_id, case.case_id, case.language).encode()


async def said_back(h: AppHarness, count: int = 1) -> list[str]:
    """What the app said through response URLs (ephemeral answers to commands, shortcuts and buttons)."""
    return [text_of(c) for c in await response_url_posts(h, count)]


async def ephemeral_said(h: AppHarness, count: int = 1) -> str:
    return text_of((await h.slack.wait_for("chat.postEphemeral", count=count))[-1])


async def refused_as_duplicates(h: AppHarness, count: int, within: float = 5.0) -> bool:
    """Waits (bounded) until the audit shows `count` create-case submissions refused as repeats. Reads with a
    plain SQLite connection: in WAL mode a reader never holds up the app's writers (the app's engine would take
    the write lock for every transaction, and polling with it could starve them)."""
    path = sqlite_path(h.settings.database_url)
    query = (
        "SELECT count(*) FROM audit_events WHERE action = 'support:CreateCase' AND outcome LIKE '%Duplicate%'"
    )

    def refused() -> int:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            return int(conn.execute(query).fetchone()[0])

    deadline = time.monotonic() + within
    while await asyncio.to_thread(refused) < count:
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


# ---- create ----------------------------------------------------------------------------------------------------


async def test_create_case_opens_the_modal_before_aws_and_posts_the_new_case_in_the_channel(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    aws.reset_records()
    view = await create_modal(harness, "create")  # the alias
    opened_at = harness.slack.calls("views.open")[0].at
    assert aws.calls and all(c.at > opened_at for c in aws.calls)  # no STS or Support call before the modal
    shown = json.dumps(view)
    for label in ("Create a support case", "Subject", "Description", "Issue type", "Service", "Category"):
        assert label in shown
    assert "Production system impaired" in shown  # the account's severity levels, filled in after opening
    assert parts.ViewState.decode(view["private_metadata"]).actor_name == "User U0001"

    services = await suggest(harness, view, parts.SERVICE_ACTION, fields.SERVICE_BLOCK, "ec2")
    assert {"EC2 - Linux", "EC2 - Windows"} <= {o["text"]["text"] for o in services}
    none_yet = await suggest(harness, view, parts.CATEGORY_ACTION, fields.CATEGORY_BLOCK, "")
    assert [o["text"]["text"] for o in none_yet] == ["Choose the service first"]
    categories = await suggest(
        harness,
        view,
        parts.CATEGORY_ACTION,
        fields.CATEGORY_BLOCK,
        "",
        {fields.SERVICE_BLOCK: ("option", EC2_LINUX)},
    )
    assert "Instance Issue" in {o["text"]["text"] for o in categories}

    response = await submit(
        harness, view, case_form(**{fields.CC_BLOCK: "ops@example.com, lead@example.com"})
    )
    assert response.status == 200 and response.text == ""
    posted = (await harness.slack.wait_for("chat.postMessage"))[-1]
    [case] = aws.cases(ACCOUNT)
    message = text_of(posted)
    for words in (
        case.display_id,
        "EC2 instance unreachable",
        "Production system impaired",
        "Opened",
        ACCOUNT,
    ):
        assert words in message
    assert list(buttons(posted)) == ["See details", "Reply", "Resolve case", "View in Support Center"]
    assert (case.subject, case.service_code, case.category_code, case.severity_code) == (
        "EC2 instance unreachable",
        EC2_LINUX,
        "instance-issue",
        "high",
    )
    assert case.cc_email_addresses == ["ops@example.com", "lead@example.com"]
    assert case.communications[0].body.endswith("Submitted from Slack by User U0001 in #aws-support")
    assert "SlackC0001" in case.submitted_by  # opened with the channel's role


async def test_choosing_the_category_offers_the_languages_aws_supports_for_it(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    view = await create_modal(harness)
    values = case_form(**{fields.ISSUE_TYPE_BLOCK: ("option", "customer-service")})
    await choose_in_modal(harness, view, fields.CATEGORY_BLOCK, parts.CATEGORY_ACTION, values)
    updated = view_of((await harness.slack.wait_for("views.update", count=2))[-1])
    [language] = [b for b in updated["blocks"] if b.get("block_id") == fields.LANGUAGE_BLOCK]
    assert [o["text"]["text"] for o in language["element"]["options"]] == ["English", "Japanese"]
    [category] = [b for b in updated["blocks"] if b.get("block_id") == fields.CATEGORY_BLOCK]
    assert category["element"]["initial_option"]["value"] == "instance-issue"  # what was chosen stays

    await choose_in_modal(harness, view, fields.SERVICE_BLOCK, parts.SERVICE_ACTION, values)
    after_service = view_of((await harness.slack.wait_for("views.update", count=3))[-1])
    [category] = [b for b in after_service["blocks"] if b.get("block_id") == fields.CATEGORY_BLOCK]
    assert "initial_option" not in category["element"]  # a new service: choose its category again


async def test_every_field_rule_gives_a_field_error_and_no_aws_or_file_call(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    view = await create_modal(harness)
    aws.reset_records()
    five_files = [slack_file(f"F{i}", f"log{i}.txt", 100) for i in range(4)]
    cases: list[tuple[Json, dict[str, str]]] = [
        (
            {fields.SUBJECT_BLOCK: "", fields.DESCRIPTION_BLOCK: ""},
            {fields.SUBJECT_BLOCK: "required", fields.DESCRIPTION_BLOCK: "required"},
        ),
        ({fields.SUBJECT_BLOCK: "s" * 251}, {fields.SUBJECT_BLOCK: "at most 250"}),
        ({fields.DESCRIPTION_BLOCK: "d" * 8000}, {fields.DESCRIPTION_BLOCK: "too long"}),
        (
            {fields.CC_BLOCK: ", ".join(f"p{i}@example.com" for i in range(11))},
            {fields.CC_BLOCK: "at most 10"},
        ),
        (
            {fields.CC_BLOCK: "ops@example.com, not-an-address"},
            {fields.CC_BLOCK: "not-an-address is not an email"},
        ),
        ({fields.ATTACHMENTS_BLOCK: ("files", five_files)}, {fields.ATTACHMENTS_BLOCK: "at most 3 files"}),
        (
            {fields.ATTACHMENTS_BLOCK: ("files", [slack_file("FBIG", "dump.bin", 6 * MB)])},
            {fields.ATTACHMENTS_BLOCK: "5 MB"},
        ),
    ]
    for changes, expected in cases:
        response = await submit(harness, view, case_form(**changes))
        answer = response.json()
        assert answer["response_action"] == "errors", changes
        assert set(answer["errors"]) == set(expected), answer
        for block_id, words in expected.items():
            assert words in answer["errors"][block_id]
    assert aws.calls == [] and aws.cases(ACCOUNT) == []
    assert harness.slack.calls("files.info") == [] and harness.slack.calls(FILE_DOWNLOAD) == []


async def test_attachments_are_downloaded_with_the_bot_token_and_attached_to_the_case(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    harness.slack.add_file("F1", "console.log", b"boot failed\n" * 100, "text/plain")
    harness.slack.add_file("F2", "screen.png", b"\x89PNG" + b"\0" * 2048, "image/png")
    view = await create_modal(harness)
    files = [slack_file("F1", "console.log", 1200), slack_file("F2", "screen.png", 2052)]
    await submit(harness, view, form_with_files(*files))
    await harness.slack.wait_for("chat.postMessage")
    [case] = aws.cases(ACCOUNT)
    attached = {a.file_name: a.data for a in case.communications[0].attachments}
    assert attached == {"console.log": b"boot failed\n" * 100, "screen.png": b"\x89PNG" + b"\0" * 2048}
    downloads = harness.slack.calls(FILE_DOWNLOAD)
    assert len(downloads) == 2 and all(
        d.token and d.token.startswith("xoxb-") and not d.failed for d in downloads
    )
    assert len(harness.slack.calls("files.info")) == 2


@contextlib.asynccontextmanager
async def file_host_elsewhere() -> AsyncIterator[tuple[str, list[dict[str, str]]]]:
    """A web server on another host than Slack's, recording what each request carried."""
    seen: list[dict[str, str]] = []

    async def record(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        return web.Response(body=b"not from slack")

    app = web.Application()
    app.router.add_get("/{tail:.*}", record)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield f"http://localhost:{server.port}", seen
    finally:
        await server.close()


@pytest.mark.parametrize("where", ["another host", "is_external"])
async def test_the_bot_token_goes_only_to_slack_and_a_remote_file_is_refused(
    harness: AppHarness, aws: AwsDouble, where: str
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    async with file_host_elsewhere() as (origin, seen):
        info = (
            {"url_private": f"{origin}/f/notes.txt", "url_private_download": f"{origin}/f/download/notes.txt"}
            if where == "another host"
            else {"is_external": True, "url_private_download": f"{origin}/gdrive/notes.txt"}
        )
        harness.slack.add_file("F1", "notes.txt", b"notes", "text/plain", **info)
        view = await create_modal(harness)
        await submit(harness, view, form_with_files(slack_file("F1", "notes.txt", 5)))
        said = await ephemeral_said(harness)
        assert "Upload the file itself to Slack" in said and "notes.txt" in said
        assert seen == [] and harness.slack.calls(FILE_DOWNLOAD) == []
    assert aws.cases(ACCOUNT) == []


async def test_a_remote_file_in_the_form_is_a_field_error_on_attachments(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    view = await create_modal(harness)
    remote = slack_file("F1", "design.gdoc", 10) | {"is_external": True}
    response = await submit(harness, view, form_with_files(remote))
    body = response.json()
    assert body["response_action"] == "errors"
    assert "Upload the file itself to Slack" in body["errors"][fields.ATTACHMENTS_BLOCK]
    assert harness.slack.calls("files.info") == [] and aws.cases(ACCOUNT) == []


async def test_a_file_larger_in_slack_than_the_form_said_is_refused_before_download(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    harness.slack.add_file("F1", "core.dump", b"x" * (6 * MB))
    view = await create_modal(harness)
    await submit(harness, view, form_with_files(slack_file("F1", "core.dump", 10)))
    said = await ephemeral_said(harness)
    assert "core.dump is 6.0 MB" in said and "5 MB" in said
    assert harness.slack.calls(FILE_DOWNLOAD) == [] and aws.cases(ACCOUNT) == []


async def test_a_repeated_submission_of_the_same_modal_creates_one_case(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    view = await create_modal(harness)
    first, second = await asyncio.gather(
        submit(harness, view, case_form()), submit(harness, view, case_form())
    )  # a double click
    assert first.status == second.status == 200
    await harness.slack.wait_for("chat.postMessage")
    await submit(harness, view, case_form())  # Slack retrying later
    assert await refused_as_duplicates(harness, 2)
    assert len(aws.cases(ACCOUNT)) == 1
    assert len(aws.calls_to("support", "CreateCase")) == 1
    assert (
        len(harness.slack.calls("chat.postMessage")) == 1 and harness.slack.calls("chat.postEphemeral") == []
    )


async def test_slacks_retries_after_a_timeout_open_one_case_and_answer_a_command_once(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    view = await create_modal(harness)
    submission = view_submission_body(view_submission_payload(with_values(view, case_form())))
    signed = sign(SIGNING_SECRET, submission)
    assert (await harness.post_with(submission, signed)).status == 200
    assert (await harness.post_with(submission, slack_retry(signed))).status == 200
    await harness.settled()
    assert len(aws.cases(ACCOUNT)) == 1 and len(aws.calls_to("support", "CreateCase")) == 1
    assert (
        len(harness.slack.calls("chat.postMessage")) == 1 and harness.slack.calls("chat.postEphemeral") == []
    )

    [case] = aws.cases(ACCOUNT)
    command = slash_command_body(text=f"search-case {case.display_id}")
    signed = sign(SIGNING_SECRET, command)
    assert (await harness.post_with(command, signed)).status == 200
    assert (await harness.post_with(command, slack_retry(signed))).status == 200
    await harness.settled()
    [answer] = await said_back(harness)
    assert case.subject in answer and len(harness.slack.calls(RESPONSE_URL)) == 1

    # a resend because the first delivery never arrived is the only one the app gets: it is answered
    lost = slash_command_body(text=f"search-case {case.display_id}")
    await harness.post_with(lost, slack_retry(sign(SIGNING_SECRET, lost), reason="connection_failed"))
    assert case.subject in (await said_back(harness, 2))[-1]


async def test_slack_rate_limiting_the_case_message_is_retried_after_retry_after(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    view = await create_modal(harness)
    harness.slack.fail("chat.postMessage", status=429, retry_after=1)
    await submit(harness, view, case_form())
    first, second = await harness.slack.wait_for("chat.postMessage", count=2, timeout=10)
    # the client's rate-limit handler waited for Retry-After, then posted again
    assert first.status == 429 and not second.failed
    assert len(harness.slack.calls("chat.postMessage")) == 2
    assert len(aws.cases(ACCOUNT)) == 1 and harness.slack.calls("chat.postEphemeral") == []


async def test_the_message_shortcut_prefills_the_case_from_the_message_and_links_back_to_it(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    aws.reset_records()
    text = "Lambda timeouts since 09:00\nEvery invocation of fn-orders times out after 3 s."
    payload = message_shortcut_payload(
        "create_case_from_message", message_text=text, message_ts="1700000000.000200"
    )
    response = await harness.post(message_shortcut_body(payload))
    assert response.status == 200
    opened = (await harness.slack.wait_for("views.open"))[-1]
    initial = {
        b["block_id"]: b["element"].get("initial_value") for b in view_of(opened)["blocks"] if "element" in b
    }
    assert initial[fields.SUBJECT_BLOCK] == "Lambda timeouts since 09:00"
    assert initial[fields.DESCRIPTION_BLOCK] == text
    [permalink] = await harness.slack.wait_for("chat.getPermalink")
    assert permalink.at > opened.at and permalink.params["message_ts"] == "1700000000.000200"
    assert all(c.at > opened.at for c in aws.calls)
    completed = view_of((await harness.slack.wait_for("views.update"))[-1])
    description = next(b for b in completed["blocks"] if b.get("block_id") == fields.DESCRIPTION_BLOCK)
    assert description["element"]["initial_value"] == (
        f"{text}\n\nFrom Slack: https://test-team.slack.com/archives/C0001/p1700000000000200"
    )
    assert parts.ViewState.decode(completed["private_metadata"]).message_ts == "1700000000.000200"


# ---- search ----------------------------------------------------------------------------------------------------


async def test_search_case_with_an_id_shows_the_case_without_a_modal(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    wanted = aws.support.put_case(ACCOUNT, subject="Disk full on db-1", status="resolved")
    aws.support.put_case(ACCOUNT, subject="Another case")
    await harness.command(f"search {wanted.display_id}")
    [said] = await said_back(harness)
    assert wanted.display_id in said and "Disk full on db-1" in said and "Another case" not in said
    assert "See details" in said and "Share to channel" in said and ACCOUNT in said
    assert harness.slack.calls("views.open") == []

    await harness.command("search-case not-a-number")
    said = (await said_back(harness, 2))[-1]
    assert "A case ID is a number" in said


async def test_search_modal_pages_five_results_at_a_time_in_place(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    cases_a_second_apart(aws, ACCOUNT, "Open case", 7)
    aws.support.put_case(ACCOUNT, subject="Closed long ago", status="resolved")
    view = await open_modal(harness, "search-case")
    assert view["callback_id"] == parts.SEARCH_CASES_VIEW and "Case status" in json.dumps(view)
    values = {fields.SEARCH_STATUS_BLOCK: ("option", "open"), fields.SEARCH_LANGUAGE_BLOCK: ("option", "en")}
    response = await submit(harness, view, values)
    assert response.status == 200 and response.text == ""
    first = (await harness.slack.wait_for("chat.postEphemeral"))[-1]
    page = text_of(first)
    assert first.params["user"] == "U0001"
    assert [f"Open case {i}" in page for i in range(7)] == [False, False, True, True, True, True, True]
    assert "Closed long ago" not in page and "1–5 of 7" in page
    assert set(buttons(first)) >= {"See details", "Share to channel", "Next 5 results"}
    assert "Previous 5 results" not in buttons(first)

    await click_message(
        harness, parts.NEXT_RESULTS_ACTION, buttons(first)["Next 5 results"]["value"], ephemeral=True
    )
    [second] = await response_url_posts(harness)
    assert second.params["replace_original"] in (True, "true")
    assert (
        "Open case 1" in text_of(second)
        and "Open case 0" in text_of(second)
        and "6–7 of 7" in text_of(second)
    )
    back = buttons(second)["Previous 5 results"]["value"]
    await click_message(harness, parts.PREVIOUS_RESULTS_ACTION, back, ephemeral=True)
    again = (await response_url_posts(harness, 2))[-1]
    assert "1–5 of 7" in text_of(again)


# ---- a case: details, correspondence, reply, resolve, reopen, share -------------------------------------------


async def test_see_details_shows_the_case_with_its_correspondence_full_and_paged(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    case = aws.support.put_case(
        ACCOUNT, subject="Throttled API", service_code=EC2_LINUX, category_code="performance"
    )
    long_body = "Please send the request IDs. " * 120  # 3480 characters: longer than a message shows
    aws.advance_time(1)
    aws.add_aws_reply(case.case_id, long_body)
    for i in range(11):
        aws.advance_time(1)
        aws.add_aws_reply(case.case_id, f"Update {i}")

    await click_message(harness, parts.SEE_DETAILS_ACTION, ref_of(case))
    [details] = await response_url_posts(harness)
    shown = text_of(details)
    assert details.params["response_type"] == "ephemeral"
    for words in ("Throttled API", "EC2 - Linux", "Performance", "Update 10", "Amazon Web Services", ACCOUNT):
        assert words in shown
    assert list(buttons(details)) == [
        "Reply",
        "Resolve case",
        "Previous correspondence",
        "Share to channel",
        "View in Support Center",
    ]

    await click_message(harness, parts.PREVIOUS_CORRESPONDENCE_ACTION, ref_of(case), ephemeral=True)
    first_page = (await response_url_posts(harness, 2))[-1]
    assert updates_in(first_page) == list(range(10, 0, -1))  # newest first, 10 a page
    assert "Please send the request IDs" not in text_of(first_page)
    older = buttons(first_page)["Previous correspondence"]["value"]
    await click_message(harness, parts.PREVIOUS_CORRESPONDENCE_ACTION, older, ephemeral=True)
    second_page = (await response_url_posts(harness, 3))[-1]
    assert second_page.params["replace_original"] in (True, "true")
    assert updates_in(second_page) == [0] and "Seeded case body" in text_of(second_page)

    # "Show full message" on an older correspondence opens a modal at once and shows that message whole
    await click_message(
        harness, parts.SHOW_FULL_MESSAGE_ACTION, buttons(second_page)["Show full message"]["value"]
    )
    loading = (await harness.slack.wait_for("views.open"))[-1]
    assert "Loading the message" in text_of(loading)
    full = view_of((await harness.slack.wait_for("views.update"))[-1])
    assert "".join(b["text"]["text"] for b in full["blocks"][1:]) == long_body.replace("&", "&amp;")


async def test_reply_sends_the_message_with_contacts_and_files_signed_by_the_user(
    harness: AppHarness, aws: AwsDouble
) -> None:
    case = await channel_with_case_awaiting_an_answer(harness, aws, ACCOUNT)
    harness.slack.add_file("F1", "iostat.txt", b"sda 99%")
    view = await case_modal_from_click(
        harness, parts.REPLY_ACTION, ref_of(case), message_ts="1700000000.000300"
    )
    assert "Reply to case" in json.dumps(view) and case.display_id in json.dumps(view)

    empty = await submit(harness, view, {fields.MESSAGE_BLOCK: " "})
    assert fields.MESSAGE_BLOCK in empty.json()["errors"]
    await submit(
        harness,
        view,
        {
            fields.MESSAGE_BLOCK: "vol-0abc, since Monday.",
            fields.CC_BLOCK: "storage@example.com",
            fields.ATTACHMENTS_BLOCK: ("files", [slack_file("F1", "iostat.txt", 7)]),
        },
    )
    said = await ephemeral_said(harness)
    assert "Your reply was sent to AWS Support" in said and case.display_id in said
    latest = aws.case(case.case_id).newest_first()[0]
    assert latest.body == "vol-0abc, since Monday.\n\nSubmitted from Slack by User U0001 in #aws-support"
    assert latest.cc_email_addresses == ["storage@example.com"]
    assert [(a.file_name, a.data) for a in latest.attachments] == [("iostat.txt", b"sda 99%")]
    assert aws.case(case.case_id).status == "customer-action-completed"
    [updated] = await harness.slack.wait_for("chat.update")  # the case message shows the new status
    assert updated.params["ts"] == "1700000000.000300" and "Customer action completed" in text_of(updated)


async def test_resolve_asks_for_confirmation_then_reopen_takes_a_message(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    case = aws.support.put_case(ACCOUNT, subject="Billing question")
    await click_message(harness, parts.SEE_DETAILS_ACTION, ref_of(case))
    [details] = await response_url_posts(harness)
    confirm = buttons(details)["Resolve case"]["confirm"]
    assert confirm["title"]["text"] == "Resolve case" and confirm["confirm"]["text"] == "Resolve case"

    await click_message(harness, parts.RESOLVE_ACTION, ref_of(case), message_ts="1700000000.000400")
    [resolved] = await harness.slack.wait_for("chat.update")
    assert aws.case(case.case_id).status == "resolved"
    assert resolved.params["ts"] == "1700000000.000400" and "Resolved" in text_of(resolved)
    assert "Reopen case" in buttons(resolved) and "Resolve case" not in buttons(resolved)

    await click_message(
        harness, parts.RESOLVE_ACTION, ref_of(case), ephemeral=True
    )  # from the (older) details
    again = (await response_url_posts(harness, 3))[1:]
    assert any("already resolved" in text_of(c) for c in again)

    view = await case_modal_from_click(
        harness, parts.REOPEN_ACTION, ref_of(case), message_ts="1700000000.000400"
    )
    assert "Reopen case" in json.dumps(view)
    assert fields.MESSAGE_BLOCK in (await submit(harness, view, {fields.MESSAGE_BLOCK: ""})).json()["errors"]
    await submit(harness, view, {fields.MESSAGE_BLOCK: "The invoice is still wrong."})
    assert "The case is reopened" in await ephemeral_said(harness)
    assert aws.case(case.case_id).status == "reopened"
    reopened = (await harness.slack.wait_for("chat.update", count=2))[-1]
    assert "Reopened" in text_of(reopened) and "Resolve case" in buttons(reopened)


async def test_share_to_channel_posts_the_case_for_everyone(harness: AppHarness, aws: AwsDouble) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    case = aws.support.put_case(ACCOUNT, subject="Quota for GPUs", severity_code="urgent")
    await click_message(harness, parts.SHARE_ACTION, ref_of(case), ephemeral=True)
    [shared] = await harness.slack.wait_for("chat.postMessage")
    assert shared.params["channel"] == "C0001"
    for words in (case.display_id, "Quota for GPUs", "Production system down", "Shared by <@U0001>"):
        assert words in text_of(shared)
    assert list(buttons(shared)) == ["See details", "Reply", "Resolve case", "View in Support Center"]


# ---- permissions follow the channel's role ---------------------------------------------------------------------


async def test_a_read_only_role_can_search_and_read_but_every_write_names_the_refused_action(
    harness: AppHarness, aws: AwsDouble
) -> None:
    case, closed = await channel_with_open_and_resolved_case(harness, aws, ACCOUNT, "readonly", "Read me")

    await harness.command(f"search-case {case.display_id}")
    assert "Read me" in (await said_back(harness))[-1]
    await click_message(harness, parts.SEE_DETAILS_ACTION, ref_of(case))
    assert "Seeded case body" in (await said_back(harness, 2))[-1]

    view = await create_modal(harness)
    await submit(harness, view, case_form())
    assert "support:CreateCase" in await ephemeral_said(harness, 1)

    reply = await case_modal_from_click(harness, parts.REPLY_ACTION, ref_of(case))
    await submit(harness, reply, {fields.MESSAGE_BLOCK: "More detail"})
    assert "support:AddCommunicationToCase" in await ephemeral_said(harness, 2)

    await click_message(harness, parts.RESOLVE_ACTION, ref_of(case), message_ts="1700000000.000500")
    said = (await said_back(harness, 3))[-1]
    assert "support:ResolveCase" in said and "SlackC0001" in said

    reopen = await case_modal_from_click(harness, parts.REOPEN_ACTION, ref_of(closed))
    await submit(harness, reopen, {fields.MESSAGE_BLOCK: "Not done"})
    assert "support:AddCommunicationToCase" in await ephemeral_said(harness, 3)

    assert [c.case_id for c in aws.cases(ACCOUNT)] == [case.case_id, closed.case_id]
    assert (aws.case(case.case_id).status, aws.case(closed.case_id).status) == ("opened", "resolved")
    assert [len(c.communications) for c in aws.cases(ACCOUNT)] == [1, 1]
    assert harness.slack.calls("chat.update") == []


async def case_created_where_the_channel_role_differs_from_the_authorized_one(
    h: AppHarness, aws: AwsDouble, authorized_policy: str, channel_policy: str
) -> tuple[str, str]:
    """Authorizes the account with one role, attaches another role of it to the channel (both verified with the
    workspace's External ID), then submits the create form in the channel; returns (authorized role, channel
    role), with AWS's records holding only what the submission did."""
    from bolt_app.services.channels import ConfigureRequest
    from bolt_app.services.context import Actor
    from storage.channels import Notifications
    from storage.workspaces import WorkspaceKey

    key = WorkspaceKey("", "T0001")
    external_id = (await h.services.accounts.role_setup(key)).external_id
    authorized = aws.create_role(
        ACCOUNT, "AuthorizingRole", external_id=external_id, policy=authorized_policy
    )
    channel = aws.create_role(ACCOUNT, "ChannelRole", external_id=external_id, policy=channel_policy)
    await h.services.accounts.authorize(Actor.member(key, "U0001", slack_admin=True), authorized, "Prod")
    request = ConfigureRequest("C0001", "aws-support", ACCOUNT, channel, Notifications())
    await h.services.channels.configure(Actor.member(key, "U0001", slack_admin=True), request)
    aws.reset_records()
    await submit(h, await create_modal(h), case_form())
    return authorized, channel


async def test_the_channels_role_creates_the_case_not_the_role_that_authorized_the_account(
    harness: AppHarness, aws: AwsDouble
) -> None:
    authorized, channel = await case_created_where_the_channel_role_differs_from_the_authorized_one(
        harness, aws, "readonly", "full"
    )
    posted = (await harness.slack.wait_for("chat.postMessage"))[-1]
    [created] = aws.cases(ACCOUNT)
    assert created.subject in text_of(posted)
    assert created.submitted_by == "ChannelRole (Role) <T0001.U0001>"
    assert {c.role_arn for c in aws.assume_role_calls} == {channel}
    assert harness.slack.calls("chat.postEphemeral") == []


async def test_a_read_only_channel_role_is_refused_though_the_authorizing_role_may_create(
    harness: AppHarness, aws: AwsDouble
) -> None:
    authorized, channel = await case_created_where_the_channel_role_differs_from_the_authorized_one(
        harness, aws, "full", "readonly"
    )
    said = await ephemeral_said(harness)
    assert f"The IAM role {channel} of account" in said and "support:CreateCase" in said
    assert authorized not in said
    assert aws.cases(ACCOUNT) == [] and harness.slack.calls("chat.postMessage") == []
    assert {c.role_arn for c in aws.assume_role_calls} == {channel}


async def test_a_channel_with_several_accounts_uses_each_accounts_own_role(
    harness: AppHarness, aws: AwsDouble
) -> None:
    roles = await configured_channel(harness, aws, {ACCOUNT: "full", SECOND: "full", THIRD: "none"})
    aws.support.put_case(ACCOUNT, subject="Case of the first account")
    aws.reset_records()

    view = await create_modal(harness)
    assert "AWS account" in json.dumps(view)
    await submit(harness, view, case_form(**{fields.CASE_ACCOUNT_BLOCK: ("option", SECOND)}))
    await harness.slack.wait_for("chat.postMessage")
    [created] = aws.cases(SECOND)
    assert created.subject == "EC2 instance unreachable" and len(aws.cases(ACCOUNT)) == 1
    assert {c.role_arn for c in aws.assume_role_calls} == {roles[ACCOUNT], roles[SECOND]}  # severities, case

    aws.reset_records()
    view = await open_modal(harness, "search")
    await submit(
        harness,
        view,
        {fields.SEARCH_STATUS_BLOCK: ("option", "all"), fields.SEARCH_LANGUAGE_BLOCK: ("option", "en")},
    )
    results = text_of((await harness.slack.wait_for("chat.postEphemeral"))[-1])
    assert "Case of the first account" in results and "EC2 instance unreachable" in results
    assert f"Acct4321 ({ACCOUNT})" in results and f"Acct4321 ({SECOND})" in results
    assert "could not be searched" in results and THIRD in results and "support:DescribeCases" in results
    searched = aws.calls_to(
        "support", "DescribeCases"
    )  # each with its own role's credentials, in its account
    assert sorted(c.account for c in searched) == [ACCOUNT, SECOND, THIRD]
    assert [c.role_arn for c in aws.assume_role_calls] == [roles[THIRD]]  # the other two sessions were cached


async def test_an_unconfigured_channel_is_told_how_to_configure_it(harness: AppHarness) -> None:
    for command in ("create-case", "search-case", "search-case 1700000001"):
        await harness.command(command)
    await harness.post(message_shortcut_body(message_shortcut_payload("create_case_from_message")))
    said = await said_back(harness, 4)
    assert all("configure-channel" in s and "workspace admin" in s for s in said)
    assert harness.slack.calls("views.open") == []


# ---- timing and load -------------------------------------------------------------------------------------------


async def test_no_slack_or_aws_call_is_awaited_before_the_ack(harness: AppHarness, aws: AwsDouble) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    case = aws.support.put_case(ACCOUNT, subject="Timing")

    # AWS: the first AWS call of a search is held; the command is answered all the same
    gate = aws.gate("sts", "AssumeRole")
    answered = await asyncio.wait_for(harness.command(f"search-case {case.display_id}"), timeout=3)
    assert answered.status == 200
    assert await asyncio.to_thread(gate.wait_reached) and aws.calls_to("support") == []
    gate.release()
    assert case.display_id in (await said_back(harness))[-1]

    # Slack: every Web API call now takes longer than Slack waits for an answer; every request is answered within
    # it, so none of them waited for the Web API before acknowledging.
    harness.slack.latency = 3.5
    state = parts.ViewState("C0001", channel_name="aws-support").encode()
    submission = modal_view(parts.CREATE_CASE_VIEW, private_metadata=state)
    requests = [
        harness.command("create-case"),
        harness.command("search-case"),
        harness.post(message_shortcut_body(message_shortcut_payload("create_case_from_message"))),
        click_message(harness, parts.SEE_DETAILS_ACTION, ref_of(case)),
        click_message(harness, parts.REPLY_ACTION, ref_of(case)),
        click_message(harness, parts.RESOLVE_ACTION, ref_of(case)),
        submit(harness, submission, case_form()),
    ]

    async def timed(request: Any) -> tuple[int, float]:
        started = time.monotonic()
        response = await request
        return response.status, time.monotonic() - started

    for status, elapsed in await asyncio.gather(*(timed(r) for r in requests)):
        assert status == 200 and elapsed < 3.0  # Slack's 3-second bound


async def test_fifty_concurrent_commands_of_one_user_assume_the_role_once(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    case = aws.support.put_case(ACCOUNT, subject="Popular case")
    aws.reset_records()
    responses = await asyncio.gather(*(harness.command(f"search-case {case.display_id}") for _ in range(50)))
    assert all(r.status == 200 for r in responses)
    said = await said_back(harness, 50)
    assert all("Popular case" in s for s in said)
    assert aws.assume_role_count == 1
    # identical searches in flight at the same moment share one DescribeCases (tests/listeners/test_surge.py)
    assert len(aws.calls_to("support", "DescribeCases")) < 50
