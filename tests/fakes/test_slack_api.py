"""The fake Slack Web API, driven by the real slack-sdk clients."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import aiohttp
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_api import FILE_DOWNLOAD
from tests.fakes.slack_api import FakeSlackApi

TOKEN = "xoxb-test-token"


@pytest.fixture
def threaded_slack() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as fake:
        yield fake


def client_for(slack: FakeSlackApi, token: str | None = TOKEN) -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=slack.base_url)


async def test_post_message_is_recorded_with_increasing_ts(slack: FakeSlackApi) -> None:
    client = client_for(slack)
    first = await client.chat_postMessage(channel="C1", text="one")
    second = await client.chat_postMessage(channel="C1", text="two", thread_ts=first["ts"])

    assert first["ts"] == "1700000000.000100"
    assert float(second["ts"]) > float(first["ts"])
    assert second["message"]["thread_ts"] == first["ts"]
    calls = slack.calls("chat.postMessage")
    assert [(c.params["text"], c.token, c.failed) for c in calls] == [
        ("one", TOKEN, False),
        ("two", TOKEN, False),
    ]


async def test_rate_limit_retry_handler_waits_for_retry_after(slack: FakeSlackApi) -> None:
    slack.fail("chat.postMessage", retry_after=1)
    client = client_for(slack)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))

    response = await client.chat_postMessage(channel="C1", text="hi")

    assert response["ok"]
    limited, retried = slack.calls("chat.postMessage")
    assert (limited.status, limited.error, retried.failed) == (429, "ratelimited", False)
    assert retried.at - limited.at >= 1.0


async def test_unknown_and_revoked_tokens_answer_invalid_auth(slack: FakeSlackApi) -> None:
    slack.accept_any_token = False
    slack.add_token(TOKEN, team_id="T9")
    assert (await client_for(slack).auth_test())["team_id"] == "T9"

    with pytest.raises(SlackApiError) as unknown:
        await client_for(slack, "xoxb-unknown").auth_test()
    slack.revoke_token(TOKEN)
    with pytest.raises(SlackApiError) as revoked:
        await client_for(slack).auth_test()

    assert unknown.value.response["error"] == revoked.value.response["error"] == "invalid_auth"
    assert slack.calls("auth.test")[-1].error == "invalid_auth"


async def test_injected_errors_and_server_errors(slack: FakeSlackApi) -> None:
    slack.fail("chat.update", error="is_archived")
    slack.fail("conversations.info", status=503, times=None)
    client = client_for(slack)

    with pytest.raises(SlackApiError) as archived:
        await client.chat_update(channel="C1", ts="1.2", text="x")
    assert archived.value.response["error"] == "is_archived"
    assert (await client.chat_update(channel="C1", ts="1.2", text="x"))["ok"]
    for _ in range(2):
        with pytest.raises(SlackApiError) as unavailable:
            await client.conversations_info(channel="C1")
        assert unavailable.value.response.status_code == 503


async def test_oauth_code_exchange_and_refresh_token_rotation(slack: FakeSlackApi) -> None:
    slack.oauth.token_rotation = True
    client = client_for(slack, token=None)
    creds = {"client_id": "111.222", "client_secret": "shh"}

    with pytest.raises(SlackApiError) as bad_code:
        await client.oauth_v2_access(code="wrong", **creds)
    installed = await client.oauth_v2_access(code=slack.oauth.code, **creds)
    refreshed = await client.oauth_v2_access(
        grant_type="refresh_token", refresh_token=installed["refresh_token"], **creds
    )
    with pytest.raises(SlackApiError) as reused:
        await client.oauth_v2_access(
            grant_type="refresh_token", refresh_token=installed["refresh_token"], **creds
        )

    assert bad_code.value.response["error"] == "invalid_code"
    assert installed["access_token"].startswith("xoxb-")
    assert installed["refresh_token"].startswith("xoxe-1-")
    assert (installed["expires_in"], installed["team"]["id"], installed["authed_user"]) == (
        43200,
        "T0001",
        {"id": "U0001"},
    )
    assert refreshed["access_token"] != installed["access_token"]
    assert refreshed["refresh_token"] != installed["refresh_token"]
    assert reused.value.response["error"] == "invalid_refresh_token"
    assert slack.calls("oauth.v2.access")[1].params["client_id"] == "111.222"  # sent as basic auth
    slack.accept_any_token = False
    assert (await client_for(slack, refreshed["access_token"]).auth_test())["user_id"] == "UBOT0001"


async def test_enterprise_install(slack: FakeSlackApi) -> None:
    slack.oauth.enterprise_id = "E1"
    slack.oauth.is_enterprise_install = True
    installed = await client_for(slack, None).oauth_v2_access(
        client_id="a", client_secret="b", code="valid-code"
    )

    auth = await client_for(slack, installed["access_token"]).auth_test()

    assert installed["team"] is None
    assert installed["enterprise"] == {"id": "E1", "name": "Test Enterprise"}
    assert (auth["enterprise_id"], auth["is_enterprise_install"]) == ("E1", True)


async def test_views_users_and_channels(slack: FakeSlackApi) -> None:
    slack.set_user("U2", is_admin=True, real_name="Ada", email="ada@example.com")
    slack.set_channel("C2", is_private=False, is_member=False)
    client = client_for(slack)

    opened = await client.views_open(trigger_id="1.2.3", view={"type": "modal", "callback_id": "new_case"})
    updated = await client.views_update(
        view_id=opened["view"]["id"], view={"type": "modal", "callback_id": "x"}
    )
    with pytest.raises(SlackApiError) as stale:
        await client.views_update(
            view_id=opened["view"]["id"], hash=opened["view"]["hash"], view={"type": "modal"}
        )
    user = (await client.users_info(user="U2"))["user"]
    default_channel = (await client.conversations_info(channel="C1"))["channel"]
    with pytest.raises(SlackApiError) as not_in_channel:
        await client.chat_postMessage(channel="C2", text="hi")

    assert opened["view"]["id"].startswith("V")
    assert opened["view"]["callback_id"] == "new_case"
    assert updated["view"]["id"] == opened["view"]["id"]
    assert updated["view"]["hash"] != opened["view"]["hash"]
    assert stale.value.response["error"] == "hash_conflict"
    assert (user["is_admin"], user["real_name"], user["profile"]["email"]) == (True, "Ada", "ada@example.com")
    assert (default_channel["is_private"], default_channel["is_member"]) == (True, True)
    assert not_in_channel.value.response["error"] == "not_in_channel"


async def test_files_info_and_download_needs_token(slack: FakeSlackApi) -> None:
    slack.add_file("F1", "logs.txt", b"line 1\n", "text/plain")
    info = (await client_for(slack).files_info(file="F1"))["file"]

    async with aiohttp.ClientSession() as session:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        async with session.get(info["url_private_download"], headers=auth) as response:
            content = await response.read()
        async with session.get(info["url_private_download"]) as anonymous:
            anonymous_type = anonymous.content_type

    assert (info["size"], info["mimetype"], info["name"]) == (7, "text/plain", "logs.txt")
    assert content == b"line 1\n"
    assert anonymous_type == "text/html"  # Slack's sign-in page, not the file
    assert [c.error for c in slack.calls(FILE_DOWNLOAD)] == [None, "not_authed"]


async def test_rate_limit_per_channel(slack: FakeSlackApi) -> None:
    slack.rate_limit_per_channel(per_second=0.001, retry_after=7)
    client = client_for(slack)
    await client.chat_postMessage(channel="C1", text="1")
    await client.chat_postMessage(channel="C2", text="1")

    with pytest.raises(SlackApiError) as limited:
        await client.chat_postMessage(channel="C1", text="2")

    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "7"


def test_wait_for_blocking_sees_calls_made_in_another_thread(threaded_slack: FakeSlackApi) -> None:
    def post() -> None:
        client = WebClient(token=TOKEN, base_url=threaded_slack.base_url)
        for n in range(3):
            client.chat_postMessage(channel="C1", text=str(n))

    sender = threading.Thread(target=post)
    sender.start()
    calls = threaded_slack.wait_for_blocking("chat.postMessage", count=3)
    sender.join()

    assert [c.params["text"] for c in calls] == ["0", "1", "2"]


async def test_async_wait_for_on_threaded_fake(threaded_slack: FakeSlackApi) -> None:
    sender = threading.Thread(
        target=WebClient(token=TOKEN, base_url=threaded_slack.base_url).chat_postMessage,
        kwargs={"channel": "C9", "text": "from a thread"},
    )
    sender.start()

    calls = await threaded_slack.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == "C9")
    sender.join()

    assert calls[0].params["text"] == "from a thread"


async def test_wait_for_times_out_with_what_was_received(slack: FakeSlackApi) -> None:
    await client_for(slack).auth_test()

    with pytest.raises(AssertionError, match=r"expected 1 chat.postMessage.*received: auth.test"):
        await slack.wait_for("chat.postMessage", timeout=0.2)
