"""AWS Support "Support Case Update" events, as an EventBridge envelope brings them (API destination or SQS)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any

from bolt_app.identifiers import is_account_id
from bolt_app.identifiers import is_case_id

SUPPORT_SOURCE = "aws.support"
DETAIL_TYPE = "Support Case Update"
CREATE, ADD_COMMUNICATION, RESOLVE, REOPEN = (
    "CreateCase",
    "AddCommunicationToCase",
    "ResolveCase",
    "ReopenCase",
)
EVENT_NAMES = (CREATE, ADD_COMMUNICATION, RESOLVE, REOPEN)
RECONCILE = "Reconcile"  # the event reconciliation stores for a case it found changed


class InvalidEvent(ValueError):
    """A body that is not an AWS Support "Support Case Update" event."""


@dataclass(frozen=True)
class SupportCaseEvent:
    event_id: str
    account_id: str
    case_id: str
    event_name: str
    time: datetime
    display_id: str | None = None
    communication_id: str | None = None
    origin: str | None = None  # AWS | CUSTOMER, on AddCommunicationToCase only

    def idempotency_keys(self) -> list[str]:
        """The event's own ID, and what it is about: AWS sometimes sends the same change again with a new ID.
        Resolve and reopen can happen more than once per case, so without a correspondence ID their content
        key includes the time; the thread state catches the remaining repeats."""
        if self.communication_id:
            about = f"{self.case_id}:{self.event_name}:{self.communication_id}"
        elif self.event_name == CREATE:
            about = f"{self.case_id}:{CREATE}"
        else:
            about = f"{self.case_id}:{self.event_name}:{self.time.isoformat()}"
        return [f"aws-event:{self.event_id}", f"aws-case-event:{about}"]


def _parse_time(value: object) -> datetime:
    if not isinstance(value, str) or not value:
        raise InvalidEvent("the event has no time")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidEvent(f"the event time {value!r} is not ISO 8601") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _text(detail: dict[str, Any], name: str, limit: int = 255) -> str | None:
    value = detail.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidEvent(f"detail.{name} must be a string of at most {limit} characters")
    return value


def parse_event(body: object) -> SupportCaseEvent:
    """The Support Case Update event in an EventBridge envelope (as an API destination or SQS receives it)."""
    if not isinstance(body, dict):
        raise InvalidEvent("the body is not a JSON object")
    if body.get("source") != SUPPORT_SOURCE or body.get("detail-type") != DETAIL_TYPE:
        raise InvalidEvent(
            f'only events with source "{SUPPORT_SOURCE}" and detail-type "{DETAIL_TYPE}" are accepted'
        )
    event_id, account_id, detail = body.get("id"), body.get("account"), body.get("detail")
    if not isinstance(event_id, str) or not event_id or len(event_id) > 128:
        raise InvalidEvent("the event has no id")
    if not is_account_id(account_id):
        raise InvalidEvent("the event's account is not a 12-digit AWS account ID")
    if not isinstance(detail, dict):
        raise InvalidEvent("the event has no detail")
    case_id = _text(detail, "case-id", 64)
    name = detail.get("event-name")
    if case_id is None:
        raise InvalidEvent("detail.case-id is missing")
    if not is_case_id(case_id):
        raise InvalidEvent("detail.case-id is not an AWS Support case ID")
    if name not in EVENT_NAMES:
        raise InvalidEvent(f"detail.event-name must be one of {', '.join(EVENT_NAMES)}")
    origin = _text(detail, "origin", 16)
    return SupportCaseEvent(
        event_id=event_id,
        account_id=account_id,
        case_id=case_id,
        event_name=str(name),
        time=_parse_time(body.get("time")),
        display_id=_text(detail, "display-id", 32),
        communication_id=_text(detail, "communication-id"),
        origin=origin.upper() if origin else None,
    )
