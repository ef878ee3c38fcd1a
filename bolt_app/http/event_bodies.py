"""Turning the bytes of an EventBridge delivery (an SQS message body, or the body of `POST /aws/events`) into a
`SupportCaseEvent`, and checking that the event is of the account that sent it.

Every way a body can be wrong ends as `InvalidEvent`, so neither path ever fails on one: the HTTP route answers
400, the queue consumer leaves the message to the queue's redrive policy.
"""

from __future__ import annotations

import json
import re

from bolt_app.services.notifications.events import InvalidEvent
from bolt_app.services.notifications.events import SupportCaseEvent
from bolt_app.services.notifications.events import parse_event

MAX_BODY_BYTES = 256 * 1024  # EventBridge's largest event
# AWS case IDs embed the ID of the account that owns the case: case-123456789012-muen-2024-1d2e3f4a5b6c7d8e.
_CASE_ACCOUNT = re.compile(r"case-([0-9]{12})-[a-z0-9-]+", re.ASCII)


def decode_event(body: bytes | str) -> SupportCaseEvent:
    """The event in `body`; InvalidEvent (a ValueError) for anything else, whatever the body holds."""
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidEvent("the body is larger than an EventBridge event can be")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidEvent("the body is not UTF-8") from e
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as e:  # RecursionError: JSON nested deeper than the parser goes
        raise InvalidEvent("the body is not JSON") from e
    return parse_event(document)


def case_account(case_id: str) -> str | None:
    """The account ID a case ID embeds, or None for a case ID not in AWS's form."""
    m = _CASE_ACCOUNT.fullmatch(case_id)
    return m.group(1) if m else None


def sender_problem(event: SupportCaseEvent, sender_account: str | None) -> str | None:
    """Why the event cannot be of its sender's account, or None when it can.

    `sender_account` is what identifies the sender: the events token's account over HTTP; on the queue, which
    only the app's own EventBridge rule may send to, the account the case ID embeds (None when it embeds none)."""
    if sender_account is None:
        return "the event's case ID does not name the account that owns the case"
    if event.account_id != sender_account:
        return "this sender cannot send events of that account"
    embedded = case_account(event.case_id)
    if embedded is not None and embedded != event.account_id:
        return "the event's case belongs to another account than the event's"
    return None
