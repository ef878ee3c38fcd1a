"""The shapes of Slack payloads: what a signed request must look like before Bolt may take it.

Bolt and the listeners read `team.id`, `user.id`, `actions[0].action_id`, `view.state.values[block][action]` and
the like without checking types, so a payload that is `null`, an array, or has a string where an object belongs
would end in an exception (a 500) part-way through, Bolt's own context building included (which runs before
it checks the signature). `bolt_app.slack.http_endpoint` answers a malformed signed request 400, an unsigned one
401, and hands a well-formed one to Bolt.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

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


@dataclass(frozen=True)
class ParsedBody:
    """A Slack request body, parsed once: what Bolt is handed, and whether its shape is wrong."""

    body: Any
    problem: str | None


def parse_slack_body(raw: str, content_type: str | None) -> ParsedBody:
    """Parses the body as Bolt's `parse_body` does (a JSON body; a form whose `payload` field is JSON; a form
    of strings, which has no shape to get wrong), except that a form whose text merely holds the word "payload"
    (`/aws-support payload`) stays the form Bolt would have dropped."""
    try:
        return _parse(raw, content_type)
    except (ValueError, RecursionError):
        return ParsedBody(None, "the payload is not JSON")


def _parse(raw: str, content_type: str | None) -> ParsedBody:
    if not raw:
        return ParsedBody({}, None)
    if content_type == "application/json" or raw.startswith("{"):
        body = json.loads(raw)
        kind = body.get("type") if isinstance(body, Mapping) else None
        return ParsedBody(
            body, interactive_payload_problem(body) if kind in _REQUIRED else event_problem(body)
        )
    form = dict(parse_qsl(raw, keep_blank_values=True))
    if "payload" not in form:
        return ParsedBody(form, None)
    payload = json.loads(form["payload"])
    return ParsedBody(payload, interactive_payload_problem(payload))
