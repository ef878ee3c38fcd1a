"""Signed Slack requests whose payload has the wrong shape are answered 400 before Bolt sees them.

Bolt and the listeners read `team.id`, `user.id`, `actions[0].action_id`, `view.state.values[block][action]` and
the like without checking types, so a payload that is `null`, an array, or has a string where an object belongs
would end in an exception (a 500) part-way through, Bolt's own context building included (which runs before
it checks the signature). A malformed signed request gets 400, an unsigned one 401, and a well-formed one goes
on to Bolt.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)

SLACK_EVENTS_PATH = "/slack/events"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_OBJECT, _LIST, _STRING = dict, list, str


def _check(value: Any, kind: type, where: str, *, optional: bool = True) -> str | None:
    if value is None:
        return None if optional else f"{where} is missing"
    return (
        None
        if isinstance(value, kind)
        else f"{where} must be a{'n' if kind is _OBJECT else ''} {_NAMES[kind]}"
    )


_NAMES = {_OBJECT: "object", _LIST: "array", _STRING: "string"}
# What each kind of payload cannot do without (Slack always sends these).
_REQUIRED: dict[str, tuple[str, ...]] = {
    "block_actions": ("user", "actions"),
    "view_submission": ("user", "view"),
    "view_closed": ("user", "view"),
    "block_suggestion": ("user", "action_id"),
    "shortcut": ("user", "callback_id"),
    "message_action": ("user", "callback_id"),
}


def _with_id(value: Any, where: str, *, optional: bool = True) -> str | None:
    """An object with a string `id` (team, user, enterprise, channel), when present."""
    problem = _check(value, _OBJECT, where, optional=optional)
    if problem or value is None:
        return problem
    return _check(value.get("id"), _STRING, f"{where}.id", optional=False)


def _view_problem(view: Any) -> str | None:
    problem = _check(view, _OBJECT, "view")
    if problem or view is None:
        return problem
    for name in ("id", "callback_id", "private_metadata"):
        if problem := _check(view.get(name), _STRING, f"view.{name}"):
            return problem
    state = view.get("state")
    if problem := _check(state, _OBJECT, "view.state"):
        return problem
    values = (state or {}).get("values")
    if problem := _check(values, _OBJECT, "view.state.values"):
        return problem
    for block_id, block in (values or {}).items():
        if not isinstance(block, Mapping) or not all(isinstance(e, Mapping) for e in block.values()):
            return f"view.state.values.{block_id} must be an object of objects"
    return None


def interactive_payload_problem(payload: Any) -> str | None:
    """What is wrong with the shape of an interactivity payload (block_actions, view_submission, ...), if any."""
    if not isinstance(payload, Mapping):
        return "the payload must be a JSON object"
    kind = payload.get("type")
    if problem := _check(kind, _STRING, "type", optional=False):
        return problem
    missing = [name for name in _REQUIRED.get(kind, ()) if payload.get(name) is None]
    if missing:
        return f"a {kind} payload needs {' and '.join(missing)}"
    for name in ("action_id", "callback_id", "trigger_id", "response_url"):
        if problem := _check(payload.get(name), _STRING, name):
            return problem
    for name in ("team", "enterprise", "channel"):
        if problem := _with_id(payload.get(name), name):
            return problem
    if problem := _with_id(payload.get("user"), "user"):
        return problem
    if problem := _check(payload["user"].get("team_id"), _STRING, "user.team_id"):
        return problem
    for name in ("container", "message"):
        if problem := _check(payload.get(name), _OBJECT, name):
            return problem
    actions = payload.get("actions")
    if problem := _check(actions, _LIST, "actions"):
        return problem
    for i, action in enumerate(actions or []):
        if not isinstance(action, Mapping) or not isinstance(action.get("action_id"), str):
            return f"actions[{i}] must be an object with a string action_id"
    return _view_problem(payload.get("view"))


def event_problem(body: Any) -> str | None:
    """What is wrong with the shape of an Events API body, if anything."""
    if not isinstance(body, Mapping):
        return "the body must be a JSON object"
    if problem := _check(body.get("type"), _STRING, "type", optional=False):
        return problem
    for name in ("team_id", "enterprise_id", "api_app_id"):
        if problem := _check(body.get(name), _STRING, name):
            return problem
    event = body.get("event")
    if problem := _check(event, _OBJECT, "event"):
        return problem
    if event is not None and (problem := _check(event.get("type"), _STRING, "event.type", optional=False)):
        return problem
    authorizations = body.get("authorizations")
    if problem := _check(authorizations, _LIST, "authorizations"):
        return problem
    if not all(isinstance(a, Mapping) for a in authorizations or []):
        return "authorizations must be an array of objects"
    return None


def shape_problem(body: str, content_type: str) -> str | None:
    """What is wrong with the shape of a Slack request body, if anything (None: Bolt may take it)."""
    try:
        if content_type == "application/json":
            return event_problem(json.loads(body))
        form = parse_qs(body)
        if "payload" in form:
            return interactive_payload_problem(json.loads(form["payload"][0]))
    except (ValueError, RecursionError):
        return "the payload is not JSON"
    return None  # slash commands: form fields are strings by construction


def reject_malformed_payloads(
    signing_secret: str,
) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    verifier = SignatureVerifier(signing_secret)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method != "POST" or request.path != SLACK_EVENTS_PATH:
            return await handler(request)
        raw = await request.read()  # aiohttp keeps the body: Bolt reads it again
        problem = shape_problem(raw.decode("utf-8", "replace"), request.content_type)
        if problem is None:
            return await handler(request)
        signed = verifier.is_valid(
            raw,
            request.headers.get("X-Slack-Request-Timestamp", ""),
            request.headers.get("X-Slack-Signature", ""),
        )
        if not signed:  # what Bolt answers an unsigned request (it would fail on the shape before checking)
            return web.json_response({"error": "invalid request"}, status=401)
        log.info("malformed Slack payload refused: %s", problem)
        return web.json_response({"error": "malformed request", "detail": problem}, status=400)

    return middleware
