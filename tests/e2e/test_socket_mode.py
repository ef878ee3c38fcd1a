"""The real `aws-support-slack socket` process against a Socket Mode double: slack_sdk's Socket Mode client opens
`apps.connections.open` on the fake Slack and talks over its websocket; the bot token rotates."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import aiohttp
import pytest

from tests.fakes.slack_api import RESPONSE_URL
from tests.fakes.slack_api import SOCKET_ACK
from tests.fakes.slack_api import SOCKET_CONNECTED
from tests.fakes.slack_api import FakeSlackApi
from tests.helpers.process import app_env
from tests.helpers.process import install_over_http
from tests.helpers.process import serve
from tests.helpers.scenario import text_of
from tests.helpers.slack_requests import APP_ID
from tests.helpers.slack_requests import CHANNEL_ID
from tests.helpers.slack_requests import CHANNEL_NAME
from tests.helpers.slack_requests import RESPONSE_URL_ORIGIN
from tests.helpers.slack_requests import TEAM_DOMAIN
from tests.helpers.slack_requests import TEAM_ID
from tests.helpers.slack_requests import USER_ID
from tests.helpers.slack_requests import new_response_url
from tests.helpers.slack_requests import new_trigger_id

APP_TOKEN = "xapp-1-A0001-1-" + "a" * 32


def _command_envelope(text: str, response_url: str) -> dict[str, object]:
    """A slash command as Socket Mode delivers it."""
    payload = {
        "token": "unused-in-socket-mode",
        "team_id": TEAM_ID,
        "team_domain": TEAM_DOMAIN,
        "channel_id": CHANNEL_ID,
        "channel_name": CHANNEL_NAME,
        "user_id": USER_ID,
        "user_name": "user",
        "command": "/aws-support",
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": new_trigger_id(),
    }
    return {
        "envelope_id": str(uuid.uuid4()),
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": payload,
    }


async def _run_command(slack: FakeSlackApi, text: str) -> str:
    """Sends the command over the websocket; returns what the app answered in the channel, once it acked."""
    response_url = new_response_url()
    envelope = _command_envelope(text, response_url)
    await slack.send_envelope(envelope)
    await slack.wait_for(SOCKET_ACK, where=lambda c: c.params.get("envelope_id") == envelope["envelope_id"])
    path = response_url.removeprefix(slack.origin)
    [reply] = await slack.wait_for(RESPONSE_URL, where=lambda c: c.params.get("_path") == path, timeout=10)
    return text_of(reply)


async def test_socket_mode_serves_a_command_with_the_stored_rotating_installation(
    tmp_path: Path, slack: FakeSlackApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(RESPONSE_URL_ORIGIN, "origin", slack.origin)
    slack.accept_any_token = False  # only tokens the fake issued work, and revoked ones do not
    slack.oauth.token_rotation = True
    slack.oauth.expires_in = 3600  # within the 2 h before expiry in which the app rotates
    slack.set_user(USER_ID, is_admin=True)
    env = app_env(f"sqlite+aiosqlite:///{tmp_path}/app.db", slack.base_url)
    env |= {"SLACK_APP_TOKEN": APP_TOKEN, "SLACK_BOT_REFRESH_TOKEN": slack.new_refresh_token()}

    with serve(env, tmp_path, command="socket") as app:
        await slack.wait_for(SOCKET_CONNECTED)
        assert "Socket Mode with the installation made from SLACK_BOT_REFRESH_TOKEN, now stored" in app.log()
        assert "its token rotates" in app.log()
        [first] = slack.issued_tokens()
        slack.revoke_token(first)  # what 12 hours do to a fixed token

        reply = await _run_command(slack, "configure-channel")
        assert "No AWS account has authorized this workspace yet" in reply  # users.info answered: admin
        [asked] = slack.calls("users.info")
        assert asked.token != first and not asked.failed
        assert asked.token == list(slack.issued_tokens())[-1]  # the token it rotated to
    assert "Traceback" not in app.log(), app.log()

    # Started again with the same (now spent) refresh token: what was stored serves, and rotated on.
    with serve(env, tmp_path, command="socket") as again:
        await slack.wait_for(SOCKET_CONNECTED, count=2)
        assert f"Socket Mode with the stored installation of {TEAM_ID}" in again.log()
        assert "No AWS account has authorized" in await _run_command(slack, "configure-channel")
    assert "Traceback" not in again.log(), again.log()


async def test_socket_mode_serves_with_the_installation_made_once_through_serve(
    tmp_path: Path, slack: FakeSlackApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(RESPONSE_URL_ORIGIN, "origin", slack.origin)
    slack.accept_any_token = False
    slack.oauth.token_rotation = True
    slack.set_user(USER_ID, is_admin=True)
    env = app_env(f"sqlite+aiosqlite:///{tmp_path}/app.db", slack.base_url)
    with serve(env, tmp_path) as served:
        async with aiohttp.ClientSession() as http:
            await install_over_http(http, served.base_url)
    [installed] = slack.issued_tokens()

    with serve(env | {"SLACK_APP_TOKEN": APP_TOKEN}, tmp_path, command="socket") as app:
        await slack.wait_for(SOCKET_CONNECTED)
        assert f"Socket Mode with the stored installation of {TEAM_ID} (its token rotates" in app.log()
        assert "No AWS account has authorized" in await _run_command(slack, "configure-channel")
        assert [c.token for c in slack.calls("users.info")] == [installed]
    assert "Traceback" not in app.log(), app.log()


def test_socket_mode_without_any_bot_says_how_to_give_it_one(tmp_path: Path, slack: FakeSlackApi) -> None:
    env = app_env(f"sqlite+aiosqlite:///{tmp_path}/app.db", slack.base_url) | {"SLACK_APP_TOKEN": APP_TOKEN}
    result = subprocess.run(
        [sys.executable, "-m", "bolt_app.cli", "socket"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    [line] = [line for line in result.stderr.splitlines() if line.startswith("aws-support-slack:")]
    assert "aws-support-slack serve" in line and "SLACK_BOT_REFRESH_TOKEN" in line
    assert "Traceback" not in result.stderr, result.stderr
