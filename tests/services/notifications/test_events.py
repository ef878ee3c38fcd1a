"""Support Case Update events parsed from their EventBridge envelope."""

from __future__ import annotations

from typing import Any

import pytest

from bolt_app.services.notifications.events import ADD_COMMUNICATION
from bolt_app.services.notifications.events import CREATE
from bolt_app.services.notifications.events import InvalidEvent
from bolt_app.services.notifications.events import parse_event
from tests.helpers.identifiers import UNICODE_DIGITS
from tests.helpers.notification_world import ACCOUNT
from tests.helpers.notification_world import event_body

# ---------------------------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------------------------


def test_a_support_case_update_is_parsed_from_its_eventbridge_envelope() -> None:
    body = event_body(ADD_COMMUNICATION, "case-1", communication_id="ekko:us-east-1:abc", origin="aws")
    event = parse_event(body)
    assert (event.account_id, event.case_id, event.event_name, event.origin) == (
        ACCOUNT,
        "case-1",
        ADD_COMMUNICATION,
        "AWS",
    )
    assert event.idempotency_keys() == [
        f"aws-event:{body['id']}",
        f"aws-case-event:case-1:{ADD_COMMUNICATION}:ekko:us-east-1:abc",
    ]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"source": "aws.ec2"}, "only events with source"),
        ({"detail-type": "EC2 Instance State-change Notification"}, "only events with source"),
        ({"account": "12345"}, "12-digit"),
        ({"account": UNICODE_DIGITS}, "12-digit"),
        ({"account": "123456789012\n"}, "12-digit"),
        ({"detail": {"case-id": "case-1\n", "event-name": CREATE}}, "case ID"),
        ({"detail": {"case-id": f"case-{UNICODE_DIGITS}-2024-ab", "event-name": CREATE}}, "case ID"),
        ({"id": None}, "no id"),
        ({"detail": {"event-name": CREATE}}, "case-id"),
        ({"detail": {"case-id": "case-1", "event-name": "DeleteCase"}}, "event-name"),
        ({"time": "yesterday"}, "ISO 8601"),
    ],
)
def test_anything_but_a_support_case_update_is_refused(change: dict[str, Any], words: str) -> None:
    with pytest.raises(InvalidEvent, match=words):
        parse_event(event_body(CREATE, "case-1") | change)
    with pytest.raises(InvalidEvent):
        parse_event(["not", "an", "object"])
