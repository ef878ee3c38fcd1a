"""A support case opened through the real `aws-support-slack serve` process: HTTP in, the fake Slack Web API in
its own thread, the AWS double (moto, IAM enforced) over HTTP."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from tests.fakes.aws import AwsDouble
from tests.fakes.slack_api import FakeSlackApi
from tests.helpers.app import SIGNING_SECRET
from tests.helpers.process import app_env
from tests.helpers.process import install_over_http
from tests.helpers.process import serve
from tests.helpers.scenario import case_form
from tests.helpers.scenario import configured_channel_of
from tests.helpers.scenario import text_of
from tests.helpers.scenario import view_of
from tests.helpers.scenario import with_values
from tests.helpers.slack_requests import post_signed
from tests.helpers.slack_requests import slash_command_body
from tests.helpers.slack_requests import view_submission_body
from tests.helpers.slack_requests import view_submission_payload

ACCOUNT = "210987654321"


async def test_a_case_created_through_the_served_app_is_posted_in_the_channel(
    tmp_path: Path, slack: FakeSlackApi, aws: AwsDouble
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path}/app.db"
    with serve(app_env(database_url, slack.base_url, aws.env), tmp_path) as app:
        async with aiohttp.ClientSession() as http:
            await install_over_http(http, app.base_url)
            await configured_channel_of(database_url, slack, aws, {ACCOUNT: "full"})
            events = app.base_url + "/slack/events"

            command = await post_signed(http, events, slash_command_body(text="create-case"), SIGNING_SECRET)
            assert command.status == 200
            opened = view_of((await slack.wait_for("views.open", timeout=10))[-1])
            completion = (await slack.wait_for("views.update", timeout=10))[-1]
            assert "Production system impaired" in text_of(completion)  # the account's severities, from AWS
            completed = view_of(completion)

            values = case_form(
                subject="Served end to end",
                description="Opened through the real server process.",
                severity=("option", "normal"),
            )
            view = with_values(completed | {"id": "VE2E0001", "hash": "h"}, values)
            assert view["private_metadata"] and opened["callback_id"] == view["callback_id"]
            submitted = await post_signed(
                http, events, view_submission_body(view_submission_payload(view)), SIGNING_SECRET
            )
            assert submitted.status == 200 and submitted.text == ""

            posted = (await slack.wait_for("chat.postMessage", timeout=10))[-1]
            [case] = aws.cases(ACCOUNT)
            message = text_of(posted)
            assert (
                case.display_id in message and "Served end to end" in message and "System impaired" in message
            )
            assert case.communications[0].body.endswith("Submitted from Slack by User U0001 in #aws-support")
    assert "Traceback" not in app.log(), app.log()
