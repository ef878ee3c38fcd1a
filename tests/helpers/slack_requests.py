"""Requests exactly as Slack sends them to the app: signed slash commands, interactivity, events.

Bodies are strings (form-encoded for commands and interactivity, JSON for events) so the signature is
computed over the very bytes that are sent. Dispatch them in-process with
``await app.async_dispatch(to_bolt_request(body, sign(secret, body)))`` or over HTTP with ``post_signed``.
Defaults (team, app, bot user) match ``tests.fakes.slack_api``.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from typing import TypedDict
from typing import Unpack
from urllib.parse import urlencode

import aiohttp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from tests.fakes.slack_api import APP_ID
from tests.fakes.slack_api import BOT_ID
from tests.fakes.slack_api import BOT_USER_ID
from tests.fakes.slack_api import ENTERPRISE_NAME
from tests.fakes.slack_api import TEAM_DOMAIN
from tests.fakes.slack_api import TEAM_ID
from tests.fakes.slack_api import USER_ID

Json = dict[str, Any]

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
CHANNEL_ID = "C0001"
CHANNEL_NAME = "aws-support"
USER_NAME = "alice"
VERIFICATION_TOKEN = "legacy-verification-token"  # deprecated field Slack still sends

_seq = itertools.count(1)


class Who(TypedDict, total=False):
    """Who acts in an interactivity payload (keyword arguments of ``envelope``)."""

    team_id: str
    user_id: str
    enterprise_id: str | None
    is_enterprise_install: bool
    user_team_id: str  # the user's own workspace when it is not ``team_id`` (Slack Connect)
    is_ext_shared_channel: bool


# ---- signing / dispatch ---------------------------------------------------------------------------


def sign(
    secret: str, body: str, timestamp: int | None = None, content_type: str | None = None
) -> dict[str, str]:
    """Headers Slack sends: timestamp, v0 signature, and the content type (guessed from the body)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None
    return {
        "Content-Type": content_type or (JSON if body.lstrip().startswith("{") else FORM),
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
    }


def to_bolt_request(body: str, headers: Mapping[str, str], query: str | None = None) -> AsyncBoltRequest:
    """An ``AsyncBoltRequest`` for ``await app.async_dispatch(req)`` (lower-case keys, list values)."""
    return AsyncBoltRequest(body=body, query=query, headers={k.lower(): [v] for k, v in headers.items()})


@dataclass(frozen=True)
class SignedResponse:
    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


async def post_signed(
    session: aiohttp.ClientSession,
    url: str,
    body: str,
    secret: str,
    content_type: str | None = None,
    timestamp: int | None = None,
) -> SignedResponse:
    """POST ``body`` signed with ``secret``; the response is read fully and released."""
    return await post_with_headers(session, url, body, sign(secret, body, timestamp, content_type))


async def post_with_headers(
    session: aiohttp.ClientSession, url: str, body: str, headers: Mapping[str, str]
) -> SignedResponse:
    """POST ``body`` with these headers as they are (e.g. a signature made earlier, for a retry)."""
    async with session.post(url, data=body.encode(), headers=dict(headers)) as response:
        return SignedResponse(response.status, dict(response.headers), await response.text())


def slack_retry(headers: Mapping[str, str], num: int = 1, reason: str = "http_timeout") -> dict[str, str]:
    """The headers of Slack's retry of a request first sent with ``headers``: the same timestamp and signature
    (Slack resends the same body), plus the retry's number and reason."""
    return dict(headers) | {"X-Slack-Retry-Num": str(num), "X-Slack-Retry-Reason": reason}


# ---- slash commands and events --------------------------------------------------------------------


def slash_command_body(
    command: str = "/aws-support",
    text: str = "help",
    *,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    user_id: str = USER_ID,
    user_name: str = USER_NAME,
    channel_id: str = CHANNEL_ID,
    channel_name: str = CHANNEL_NAME,
    trigger_id: str | None = None,
    response_url: str | None = None,
    api_app_id: str = APP_ID,
    enterprise_id: str | None = None,
    is_enterprise_install: bool = False,
) -> str:
    """Form body of a slash command, fields in the order Slack sends them."""
    fields: dict[str, str] = {"token": VERIFICATION_TOKEN, "team_id": team_id, "team_domain": team_domain}
    if enterprise_id:
        fields |= {"enterprise_id": enterprise_id, "enterprise_name": ENTERPRISE_NAME}
    fields |= {
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "true" if is_enterprise_install else "false",
        "response_url": response_url or new_response_url(team_id),
        "trigger_id": trigger_id or new_trigger_id(),
    }
    return urlencode(fields)


def event_body(
    event: Json,
    *,
    team_id: str = TEAM_ID,
    api_app_id: str = APP_ID,
    authorizations: list[Json] | None = None,
    event_id: str | None = None,
    enterprise_id: str | None = None,
    is_enterprise_install: bool = False,
) -> str:
    """JSON body of an Events API ``event_callback``."""
    default_authorization = {
        "enterprise_id": enterprise_id,
        "team_id": team_id,
        "user_id": BOT_USER_ID,
        "is_bot": True,
        "is_enterprise_install": is_enterprise_install,
    }
    body: Json = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_seq):08d}",
        "event_time": int(time.time()),
        "authorizations": authorizations if authorizations is not None else [default_authorization],
        "is_ext_shared_channel": False,
        "event_context": f"4-{secrets.token_hex(16)}",
    }
    if enterprise_id:
        body["enterprise_id"] = enterprise_id
    return json.dumps(body)


# ---- interactivity bodies (form field "payload" holding JSON) --------------------------------------


def interactive_body(payload: Json) -> str:
    return urlencode({"payload": json.dumps(payload)})


def block_actions_body(payload: Json) -> str:
    return interactive_body(payload)


def view_submission_body(payload: Json) -> str:
    return interactive_body(payload)


def block_suggestion_body(payload: Json) -> str:
    return interactive_body(payload)


def message_shortcut_body(payload: Json) -> str:
    return interactive_body(payload)


# ---- interactivity payloads -----------------------------------------------------------------------


def new_trigger_id() -> str:
    return f"{next(_seq)}.{int(time.time())}.{secrets.token_hex(16)}"


# Where response URLs point; tests running the fake Slack set it to the fake's origin (see tests/helpers/app.py).
RESPONSE_URL_ORIGIN = {"origin": "https://hooks.slack.com"}


def new_response_url(team_id: str = TEAM_ID) -> str:
    return f"{RESPONSE_URL_ORIGIN['origin']}/actions/{team_id}/{next(_seq)}/{secrets.token_hex(12)}"


def new_ts() -> str:
    return f"{int(time.time())}.{next(_seq):06d}"


def text_input(value: str | None) -> Json:
    """A ``state.values`` entry of a plain_text_input."""
    return {"type": "plain_text_input", "value": value}


def selected_option(value: str, text: str | None = None) -> Json:
    """A ``state.values`` entry of a static_select."""
    option = {"text": {"type": "plain_text", "text": text or value, "emoji": True}, "value": value}
    return {"type": "static_select", "selected_option": option}


def action(action_id: str, value: str | None = None, *, block_id: str = "actions", **fields: Any) -> Json:
    """One element of a block_actions ``actions`` list; a button unless ``type=`` says otherwise."""
    element: Json = {"action_id": action_id, "block_id": block_id, "type": "button", "action_ts": new_ts()}
    if value is not None:
        element["value"] = value
    return element | fields


def modal_view(
    callback_id: str = "",
    values: Mapping[str, Mapping[str, Json]] | None = None,
    private_metadata: str = "",
    *,
    view_id: str | None = None,
    team_id: str = TEAM_ID,
    view_type: str = "modal",
) -> Json:
    """A view as Slack echoes it in payloads; ``values`` is ``{block_id: {action_id: entry}}``."""
    view_id = view_id or f"V{next(_seq):010d}"
    return {
        "id": view_id,
        "team_id": team_id,
        "type": view_type,
        "blocks": [],
        "private_metadata": private_metadata,
        "callback_id": callback_id,
        "state": {"values": {block: dict(entries) for block, entries in (values or {}).items()}},
        "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
        "title": {"type": "plain_text", "text": "AWS Support", "emoji": True},
        "clear_on_close": False,
        "notify_on_close": False,
        "close": None,
        "submit": {"type": "plain_text", "text": "Submit", "emoji": True},
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": APP_ID,
        "external_id": "",
        "app_installed_team_id": team_id,
        "bot_id": BOT_ID,
    }


def envelope(
    payload_type: str,
    *,
    team_id: str = TEAM_ID,
    user_id: str = USER_ID,
    enterprise_id: str | None = None,
    is_enterprise_install: bool = False,
    user_team_id: str | None = None,
    is_ext_shared_channel: bool | None = None,
) -> Json:
    """Fields every interactivity payload carries: type, team, user, app, enterprise. A member of another
    organization in a Slack Connect channel has ``user_team_id`` (``user.team_id``) other than ``team_id``."""
    payload = {
        "type": payload_type,
        "token": VERIFICATION_TOKEN,
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": {"id": user_id, "username": USER_NAME, "name": USER_NAME, "team_id": user_team_id or team_id},
        "api_app_id": APP_ID,
        "enterprise": {"id": enterprise_id, "name": ENTERPRISE_NAME} if enterprise_id else None,
        "is_enterprise_install": is_enterprise_install,
    }
    if is_ext_shared_channel is not None:
        payload["is_ext_shared_channel"] = is_ext_shared_channel
    return payload


def block_actions_payload(
    *actions: Json,
    view: Json | None = None,
    channel_id: str = CHANNEL_ID,
    message_ts: str | None = None,
    **who: Unpack[Who],
) -> Json:
    """Button clicks etc. in a message (default) or, with ``view``, in a modal / App Home.

    ``who`` is passed to ``envelope`` (team_id, user_id, enterprise_id, is_enterprise_install).
    """
    payload = envelope("block_actions", **who) | {
        "trigger_id": new_trigger_id(),
        "actions": list(actions),
        "state": {"values": {}},
    }
    if view is not None:
        return payload | {"container": {"type": "view", "view_id": view["id"]}, "view": view}
    ts = message_ts or new_ts()
    message = {"type": "message", "user": BOT_USER_ID, "ts": ts, "text": "", "blocks": []}
    return payload | {
        "container": {"type": "message", "message_ts": ts, "channel_id": channel_id, "is_ephemeral": False},
        "channel": {"id": channel_id, "name": CHANNEL_NAME},
        "message": message,
        "response_url": new_response_url(payload["team"]["id"]),
    }


def view_submission_payload(
    view: Json, *, response_urls: list[Json] | None = None, **who: Unpack[Who]
) -> Json:
    """A modal submission; build ``view`` with ``modal_view(callback_id, values, private_metadata)``."""
    return envelope("view_submission", **who) | {
        "trigger_id": new_trigger_id(),
        "view": view,
        "response_urls": response_urls or [],
    }


def block_suggestion_payload(
    action_id: str, value: str, *, block_id: str = "block", view: Json | None = None, **who: Unpack[Who]
) -> Json:
    """An external_select asking for options while the user types ``value``."""
    view = view or modal_view()
    return envelope("block_suggestion", **who) | {
        "container": {"type": "view", "view_id": view["id"]},
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
        "view": view,
    }


def message_shortcut_payload(
    callback_id: str,
    *,
    message_text: str = "hello",
    message_user: str = USER_ID,
    message_ts: str | None = None,
    channel_id: str = CHANNEL_ID,
    **who: Unpack[Who],
) -> Json:
    """A message shortcut (``type: message_action``) on a message in ``channel_id``."""
    ts = message_ts or new_ts()
    payload = envelope("message_action", **who)
    return payload | {
        "callback_id": callback_id,
        "trigger_id": new_trigger_id(),
        "action_ts": new_ts(),
        "message_ts": ts,
        "channel": {"id": channel_id, "name": CHANNEL_NAME},
        "message": {"type": "message", "user": message_user, "ts": ts, "text": message_text},
        "response_url": new_response_url(payload["team"]["id"]),
    }
