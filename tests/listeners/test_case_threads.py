"""Case messages as the channel meets them, through signed requests into the real app: who opened a case, the
Support Center link, and answering AWS from a notification's thread reply."""

from __future__ import annotations

import json

from bolt_app.blocks.cases.parts import REPLY_ACTION
from bolt_app.blocks.cases.parts import SUPPORT_CENTER_ACTION
from bolt_app.blocks.notifications import correspondence_message
from bolt_app.services.cases.fields import MESSAGE_BLOCK
from bolt_app.services.cases.models import Communication
from tests.blocks.cases.kit import a_case
from tests.fakes.aws import AwsDouble
from tests.helpers.app import AppHarness
from tests.helpers.scenario import case_form
from tests.helpers.scenario import channel_with_case_awaiting_an_answer
from tests.helpers.scenario import click_message
from tests.helpers.scenario import configured_channel
from tests.helpers.scenario import submit
from tests.helpers.scenario import text_of
from tests.helpers.scenario import view_of
from tests.helpers.slack_requests import block_actions_body
from tests.helpers.slack_requests import block_actions_payload
from tests.listeners.test_cases import ACCOUNT
from tests.listeners.test_cases import create_modal
from tests.listeners.test_cases import ref_of

ROOT_TS, REPLY_TS = "1700000000.000100", "1700000000.000200"


async def test_a_case_opened_here_says_who_opened_it_and_links_to_support_center(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    await submit(harness, await create_modal(harness), case_form())
    posted = (await harness.slack.wait_for("chat.postMessage"))[-1]
    [case] = aws.cases(ACCOUNT)
    assert "Opened by <@U0001>" in text_of(posted)
    assert "AWSSupportSlackRole" not in text_of(posted)  # not the role session AWS names
    assert f"?displayId={case.display_id}" in str(posted.params["blocks"])
    # Slack reports a link button's click too: acknowledged, nothing else happens.
    clicked = await click_message(harness, SUPPORT_CENTER_ACTION, "")
    assert clicked.status == 200


async def test_reply_from_an_aws_answer_in_a_case_thread_reaches_aws_and_leaves_that_answer_as_it_was(
    harness: AppHarness, aws: AwsDouble
) -> None:
    case = await channel_with_case_awaiting_an_answer(harness, aws, ACCOUNT)
    answer = correspondence_message(
        a_case(case_id=case.case_id, account_id=ACCOUNT, display_id=case.display_id),
        Communication("Which volume?", "Amazon Web Services", None),
    )
    [reply_button] = [
        e
        for b in answer.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["text"]["text"] == "Reply"
    ]
    assert reply_button["action_id"] == REPLY_ACTION and reply_button["value"] == ref_of(case)

    # The click, as Slack sends it for a message in a thread: the message's own ts and its thread's root.
    action = {"action_id": REPLY_ACTION, "block_id": "b", "value": reply_button["value"], "type": "button"}
    payload = block_actions_payload(action | {"action_ts": "1.1"}, message_ts=REPLY_TS)
    payload["message"]["thread_ts"] = payload["container"]["thread_ts"] = ROOT_TS
    await harness.post(block_actions_body(payload))
    await harness.slack.wait_for("views.open")
    filled = view_of((await harness.slack.wait_for("views.update"))[-1])
    assert "Reply to case" in text_of_view(filled) and case.display_id in text_of_view(filled)
    view = filled | {"id": "VTHREAD", "hash": "h", "state": {"values": {}}}
    response = await submit(harness, view, {MESSAGE_BLOCK: "vol-0abc, since Monday."})
    assert response.status == 200
    said = text_of((await harness.slack.wait_for("chat.postEphemeral"))[-1])
    assert "Your reply was sent to AWS Support" in said
    assert aws.case(case.case_id).newest_first()[0].body.startswith("vol-0abc, since Monday.")
    # The answer in the thread is AWS's words: it is not replaced by a case summary.
    assert all(c.params.get("ts") != REPLY_TS for c in harness.slack.calls("chat.update"))


def text_of_view(view: dict[str, object]) -> str:
    return json.dumps(view)
