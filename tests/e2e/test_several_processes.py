"""Two real `aws-support-slack serve` processes on one PostgreSQL database: what one changes, the other knows
within a second, although each keeps installations (30 s) and channel accounts (10 s) in memory."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from storage.crypto import generate_key
from tests.conftest import _truncate_all
from tests.fakes.aws import AwsDouble
from tests.fakes.slack_api import RESPONSE_URL
from tests.fakes.slack_api import FakeSlackApi
from tests.helpers.app import SIGNING_SECRET
from tests.helpers.process import ServedApp
from tests.helpers.process import app_env
from tests.helpers.process import install_over_http
from tests.helpers.process import serve
from tests.helpers.scenario import configured_channel_of
from tests.helpers.scenario import text_of
from tests.helpers.slack_requests import RESPONSE_URL_ORIGIN
from tests.helpers.slack_requests import block_actions_body
from tests.helpers.slack_requests import block_actions_payload
from tests.helpers.slack_requests import event_body
from tests.helpers.slack_requests import new_response_url
from tests.helpers.slack_requests import new_trigger_id
from tests.helpers.slack_requests import post_signed
from tests.helpers.slack_requests import slash_command_body

ACCOUNT = "210987654321"
CHANNEL = "C0001"
ADMIN = "U0001"
REVOCATION_DELAY = 1.0  # what issue 15 allows between a change in one process and the other acting on it


@pytest.fixture
def two_apps(
    tmp_path: Path,
    slack: FakeSlackApi,
    aws: AwsDouble,
    _postgres_database: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[ServedApp, ServedApp]]:
    import asyncio

    asyncio.run(_truncate_all(_postgres_database))
    monkeypatch.setitem(
        RESPONSE_URL_ORIGIN, "origin", slack.origin
    )  # both answer response URLs into the fake
    slack.set_user(ADMIN, is_admin=True)
    env = app_env(_postgres_database, slack.base_url, aws.env | {"TOKEN_ENCRYPTION_KEY": generate_key()})
    with serve(env, tmp_path) as one, serve(env, tmp_path) as other:
        yield one, other
    for app in (one, other):
        assert "Traceback" not in app.log(), app.log()


async def _create_case(http: aiohttp.ClientSession, app: ServedApp, slack: FakeSlackApi) -> str:
    """`/aws-support create-case` in the channel: "modal" when the form opened, else what the app said."""
    trigger_id, response_url = new_trigger_id(), new_response_url()
    body = slash_command_body(text="create-case", trigger_id=trigger_id, response_url=response_url)
    response = await post_signed(http, app.base_url + "/slack/events", body, SIGNING_SECRET)
    assert response.status == 200, response.text
    path = response_url.removeprefix(slack.origin)
    [outcome] = await slack.wait_until(
        lambda c: (
            (c.method == "views.open" and c.params.get("trigger_id") == trigger_id)
            or (c.method == RESPONSE_URL and c.params.get("_path") == path)
        ),
        timeout=10,
    )
    return "modal" if outcome.method == "views.open" else text_of(outcome)


async def _refused_after(
    http: aiohttp.ClientSession, app: ServedApp, slack: FakeSlackApi, since: float
) -> tuple[float, str]:
    """Runs create-case again and again (each waits for its own answer) until it is refused; bounded."""
    while True:
        outcome = await _create_case(http, app, slack)
        elapsed = time.monotonic() - since
        if outcome != "modal":
            return elapsed, outcome
        assert elapsed < REVOCATION_DELAY, f"the other process still opened the form {elapsed:.2f} s later"


@pytest.fixture
async def served(
    two_apps: tuple[ServedApp, ServedApp], slack: FakeSlackApi, aws: AwsDouble, _postgres_database: str
) -> AsyncIterator[tuple[ServedApp, ServedApp, aiohttp.ClientSession]]:
    """Installed through the first process with the channel configured; the second then serves it (and caches
    what it read). Yields both and a session to talk to them."""
    one, other = two_apps
    async with aiohttp.ClientSession() as http:
        await install_over_http(http, one.base_url)
        await configured_channel_of(_postgres_database, slack, aws, {ACCOUNT: "full"})
        assert await _create_case(http, other, slack) == "modal"
        yield one, other, http


async def test_a_channel_configuration_removed_through_one_process_is_refused_by_the_other_within_a_second(
    served: tuple[ServedApp, ServedApp, aiohttp.ClientSession], slack: FakeSlackApi
) -> None:
    one, other, http = served

    removed_at = time.monotonic()
    click = {
        "action_id": "remove_channel_configuration",
        "block_id": "b",
        "value": f"{CHANNEL}|{ACCOUNT}",
        "type": "button",
        "action_ts": "1.1",
    }
    response = await post_signed(
        http,
        one.base_url + "/slack/events",
        block_actions_body(block_actions_payload(click)),
        SIGNING_SECRET,
    )
    assert response.status == 200
    elapsed, refusal = await _refused_after(http, other, slack, removed_at)

    detached = await slack.wait_for(RESPONSE_URL, where=lambda c: "was detached" in text_of(c))
    assert detached
    assert "not set up for AWS Support" in refusal
    assert elapsed < REVOCATION_DELAY


async def test_a_workspace_uninstalled_through_one_process_is_not_served_by_the_other_within_a_second(
    served: tuple[ServedApp, ServedApp, aiohttp.ClientSession], slack: FakeSlackApi
) -> None:
    one, other, http = served

    uninstalled_at = time.monotonic()
    uninstall = await post_signed(
        http, one.base_url + "/slack/events", event_body({"type": "app_uninstalled"}), SIGNING_SECRET
    )
    assert uninstall.status == 200
    while True:
        answer = await post_signed(
            http, other.base_url + "/slack/events", slash_command_body(text="help"), SIGNING_SECRET
        )
        elapsed = time.monotonic() - uninstalled_at
        if "not installed in this workspace" in answer.text:
            break
        assert elapsed < REVOCATION_DELAY, f"the other process still served {elapsed:.2f} s later"
