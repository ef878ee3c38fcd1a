"""Signed requests built by the helpers are accepted and routed by a real AsyncApp."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.async_app import AsyncAck
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_api import FakeSlackApi
from tests.helpers.slack_requests import action
from tests.helpers.slack_requests import block_actions_body
from tests.helpers.slack_requests import block_actions_payload
from tests.helpers.slack_requests import block_suggestion_body
from tests.helpers.slack_requests import block_suggestion_payload
from tests.helpers.slack_requests import event_body
from tests.helpers.slack_requests import message_shortcut_body
from tests.helpers.slack_requests import message_shortcut_payload
from tests.helpers.slack_requests import modal_view
from tests.helpers.slack_requests import post_signed
from tests.helpers.slack_requests import selected_option
from tests.helpers.slack_requests import sign
from tests.helpers.slack_requests import slash_command_body
from tests.helpers.slack_requests import text_input
from tests.helpers.slack_requests import to_bolt_request
from tests.helpers.slack_requests import view_submission_body
from tests.helpers.slack_requests import view_submission_payload

SECRET = "test-signing-secret"


@pytest.fixture
def app(slack: FakeSlackApi) -> AsyncApp:
    """A Bolt app whose listeners echo what they received, talking to the fake Web API."""
    bolt = AsyncApp(client=AsyncWebClient(token="xoxb-test", base_url=slack.base_url), signing_secret=SECRET)

    @bolt.command("/aws-support")
    async def command(ack: AsyncAck, command: dict, client: AsyncWebClient) -> None:
        await ack(f"you said {command['text']}")
        await client.chat_postMessage(channel=command["channel_id"], text="working on it")

    @bolt.action("open_case")
    async def button(ack: AsyncAck, body: dict) -> None:
        await ack()

    @bolt.view("new_case")
    async def submission(ack: AsyncAck, view: dict) -> None:
        subject = view["state"]["values"]["subject"]["input"]["value"]
        await ack(response_action="errors", errors={"subject": f"got {subject}"})

    @bolt.options("service")
    async def options(ack: AsyncAck, payload: dict) -> None:
        await ack(options=[{"text": {"type": "plain_text", "text": payload["value"]}, "value": "ec2"}])

    @bolt.shortcut("ask_aws")
    async def shortcut(ack: AsyncAck) -> None:
        await ack()

    @bolt.event("app_mention")
    async def mention(event: dict) -> None:
        pass

    return bolt


def test_signature_validates_with_slack_sdk() -> None:
    body = slash_command_body(text="open case")
    headers = sign(SECRET, body)
    verifier = SignatureVerifier(SECRET)

    assert verifier.is_valid_request(body, headers)
    assert not verifier.is_valid_request(body + "&x=1", headers)
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert sign(SECRET, event_body({"type": "app_mention"}))["Content-Type"] == "application/json"


def test_slash_command_body_is_form_encoded_like_slack() -> None:
    fields = parse_qs(slash_command_body(text="case 123", enterprise_id="E1", is_enterprise_install=True))

    assert fields["command"] == ["/aws-support"]
    assert fields["text"] == ["case 123"]
    assert (fields["enterprise_id"], fields["is_enterprise_install"]) == (["E1"], ["true"])
    assert fields["trigger_id"][0] and fields["response_url"][0].startswith("https://hooks.slack.com/")


async def test_slash_command_dispatch_acks_and_calls_web_api(app: AsyncApp, slack: FakeSlackApi) -> None:
    body = slash_command_body(text="hello")

    response = await app.async_dispatch(to_bolt_request(body, sign(SECRET, body)))

    assert (response.status, response.body) == (200, "you said hello")
    [post] = await slack.wait_for("chat.postMessage")
    assert (post.params["channel"], post.params["text"], post.token) == (
        "C0001",
        "working on it",
        "xoxb-test",
    )


async def test_bad_or_stale_signature_is_rejected(app: AsyncApp) -> None:
    body = slash_command_body()
    forged = await app.async_dispatch(to_bolt_request(body, sign("other-secret", body)))
    stale = await app.async_dispatch(
        to_bolt_request(body, sign(SECRET, body, timestamp=int(time.time()) - 600))
    )

    assert (forged.status, stale.status) == (401, 401)


async def test_interactivity_and_event_payloads_are_routed(app: AsyncApp) -> None:
    values = {"subject": {"input": text_input("EC2 down")}, "severity": {"pick": selected_option("high")}}
    bodies = {
        "block_actions": block_actions_body(block_actions_payload(action("open_case", "C1"))),
        "view_submission": view_submission_body(view_submission_payload(modal_view("new_case", values))),
        "block_suggestion": block_suggestion_body(block_suggestion_payload("service", "ec")),
        "message_shortcut": message_shortcut_body(message_shortcut_payload("ask_aws")),
        "event": event_body({"type": "app_mention", "user": "U0001", "text": "hi", "channel": "C0001"}),
    }

    responses = {
        kind: await app.async_dispatch(to_bolt_request(b, sign(SECRET, b))) for kind, b in bodies.items()
    }

    assert {kind: r.status for kind, r in responses.items()} == dict.fromkeys(bodies, 200)
    assert json.loads(responses["view_submission"].body)["errors"] == {"subject": "got EC2 down"}
    assert json.loads(responses["block_suggestion"].body)["options"][0]["value"] == "ec2"


async def test_block_actions_in_a_modal_carry_the_view() -> None:
    view = modal_view("new_case", private_metadata='{"channel": "C1"}')
    payload = block_actions_payload(action("refresh"), view=view, user_id="U7", enterprise_id="E1")

    assert payload["container"] == {"type": "view", "view_id": view["id"]}
    assert payload["view"]["private_metadata"] == '{"channel": "C1"}'
    assert payload["user"]["id"] == "U7"
    assert payload["enterprise"] == {"id": "E1", "name": "Test Enterprise"}


async def test_post_signed_over_http(app: AsyncApp) -> None:
    runner = web.AppRunner(app.web_app(path="/slack/events"))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    try:
        async with aiohttp.ClientSession() as session:
            url = f"http://{host}:{port}/slack/events"
            ok = await post_signed(session, url, slash_command_body(text="over http"), SECRET)
            forged = await post_signed(session, url, slash_command_body(), "wrong-secret")
    finally:
        await runner.cleanup()

    assert (ok.status, ok.text) == (200, "you said over http")
    assert forged.status == 401
