"""The planner, without AWS or Slack."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

from bolt_app.services.cases import CaseSummary
from bolt_app.services.notifications.events import RESOLVE
from bolt_app.services.notifications.options import NotificationOptions
from bolt_app.services.notifications.planner import plan_delivery
from storage.channels import Notifications
from storage.notifications.thread_state import ThreadKey
from storage.notifications.thread_state import ThreadState
from storage.notifications.values import StoredEvent
from tests.helpers.notification_world import ACCOUNT
from tests.helpers.notification_world import ALL
from tests.helpers.notification_world import channel_key
from tests.helpers.values import a_case

# Planning, without AWS or Slack
# ---------------------------------------------------------------------------------------------------------------


def _summary(status: str, severity: str = "high") -> CaseSummary:
    return a_case(
        case_id="case-1",
        status=status,
        severity_code=severity,
        account_id=ACCOUNT,
        account_shown=ACCOUNT,
        time_created=datetime(2026, 1, 1, tzinfo=UTC),
        recent=(),
    )


def _stored(name: str, at: datetime) -> StoredEvent:
    return StoredEvent(
        account_id=ACCOUNT, case_id="case-1", event_name=name, event_time=at, source="sqs", id=1
    )


def test_a_late_event_older_than_what_the_channel_was_told_changes_nothing() -> None:
    t1, t2 = datetime(2026, 1, 2, tzinfo=UTC), datetime(2026, 1, 3, tzinfo=UTC)
    reopened = ThreadState(
        ThreadKey(channel_key("C0001"), ACCOUNT, "case-1"),
        root_ts="1.1",
        root_status="reopened",
        lifecycle="open",
        lifecycle_at=t2,
    )
    options = NotificationOptions()
    late_resolve = plan_delivery(_stored(RESOLVE, t1), _summary("reopened"), (), reopened, ALL, options)
    assert late_resolve.steps == () and late_resolve.reason == "nothing new"
    newer_resolve = plan_delivery(
        _stored(RESOLVE, t2 + timedelta(hours=1)), _summary("resolved"), (), reopened, ALL, options
    )
    assert [s.kind for s in newer_resolve.steps] == ["resolved", "update_root"]
    quiet = Notifications("all", True, True, False)  # resolved cases not wanted: passed over, still recorded
    passed_over = plan_delivery(
        _stored(RESOLVE, t2 + timedelta(hours=1)), _summary("resolved"), (), reopened, quiet, options
    )
    assert [s.kind for s in passed_over.steps] == [
        "update_root"
    ] and passed_over.final.lifecycle == "resolved"
