"""What a user sees when a listener fails, through a real Bolt app: their error as it is, or an apology."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest

from bolt_app.errors import UserFacingError
from listeners.errors import TO_CLICKER
from listeners.errors import Show
from listeners.errors import Where
from listeners.errors import in_modal
from listeners.errors import shows_errors
from tests.helpers.slack_requests import slash_command_body


async def _authorize(enterprise_id: str | None, team_id: str | None, user_id: str | None) -> AuthorizeResult:
    return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token="xoxb-test", bot_id="B1")


async def _run(failure: Exception | None) -> tuple[int, list[str], dict[str, Any]]:
    """Dispatches a slash command to a decorated listener that asks for `ack`, `command` and a context value;
    returns Bolt's status, what was shown, and the arguments the listener got."""
    shown: list[str] = []
    got: dict[str, Any] = {}

    def show_for(kwargs: Mapping[str, Any]) -> Show:
        async def show(text: str) -> None:
            assert kwargs["command"]["command"] == "/aws-support"  # made from the listener's own arguments
            shown.append(text)

        return show

    @shows_errors(Where(("command",), show_for))
    async def listener(ack, command, accounts):  # type: ignore[no-untyped-def]
        await ack()
        got.update(command=command, accounts=accounts)
        if failure:
            raise failure

    async def put(context, next):  # type: ignore[no-untyped-def]
        context["accounts"] = "the account service"
        await next()

    app = AsyncApp(signing_secret="s", authorize=_authorize, request_verification_enabled=False)
    app.use(put)
    app.command("/aws-support")(listener)
    response = await app.async_dispatch(
        AsyncBoltRequest(
            body=slash_command_body(text="accounts"),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    )
    return response.status, shown, got


async def test_a_decorated_listener_gets_the_arguments_it_names_and_shows_nothing_when_it_succeeds() -> None:
    status, shown, got = await _run(None)
    assert status == 200 and shown == []
    assert got["accounts"] == "the account service" and got["command"]["text"] == "accounts"


async def test_a_user_facing_error_is_shown_as_it_is() -> None:
    status, shown, _ = await _run(UserFacingError("AWS account 123 is not authorized for this workspace."))
    assert status == 200
    assert shown == [":warning: AWS account 123 is not authorized for this workspace."]


async def test_anything_else_is_an_apology_whose_reference_is_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="listeners.errors"):
        status, shown, _ = await _run(KeyError("trigger_id"))
    assert status == 200 and len(shown) == 1
    match = re.fullmatch(r"Sorry, something went wrong on our side \(reference (\w{8})\)\. .*", shown[0])
    assert match, shown
    assert "trigger_id" not in shown[0]  # the details stay in the log
    logged = [r for r in caplog.records if match.group(1) in r.getMessage()]
    assert logged and logged[0].exc_info and logged[0].exc_info[0] is KeyError


@pytest.mark.parametrize(
    ("where", "missing"), [(TO_CLICKER, "context, respond"), (in_modal("Title"), "view")]
)
def test_a_listener_that_does_not_ask_for_what_its_errors_need_is_refused_when_defined(
    where: Where, missing: str
) -> None:
    async def listener(ack, body, client):  # type: ignore[no-untyped-def]
        await ack()

    with pytest.raises(TypeError, match=f"must ask for {missing} to show errors"):
        shows_errors(where)(listener)
