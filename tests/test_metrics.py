"""The counters behind /metrics that a served request does not reach: AWS calls and throttles (against moto),
and notification deliveries with their lag."""

from __future__ import annotations

import json
import logging
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from bolt_app.aws.sessions import AwsClients
from bolt_app.logging_setup import JsonFormatter
from bolt_app.logging_setup import start_request
from bolt_app.metrics import Metrics
from bolt_app.metrics import request_kind
from bolt_app.services.notifications.events import CREATE
from bolt_app.web import _aws_call_observer
from tests.fakes.aws import AwsDouble
from tests.helpers.notification_world import notification_world


def test_aws_calls_are_counted_by_operation_and_outcome_and_throttles_apart(aws: AwsDouble) -> None:
    metrics = Metrics()
    clients = AwsClients()
    clients.observe_calls(_aws_call_observer(metrics))
    start_request("r-1")
    clients.sts().get_caller_identity()
    aws.fail_next("sts", "GetCallerIdentity", "Throttling", times=None)
    with pytest.raises(ClientError):
        clients.sts().get_caller_identity()
    assert metrics.count("aws_calls", service="sts", operation="GetCallerIdentity", outcome="ok") == 1
    assert metrics.count("aws_calls", service="sts", operation="GetCallerIdentity", outcome="Throttling") == 1
    assert metrics.count("aws_throttles", service="sts", operation="GetCallerIdentity") == 1


def test_a_log_line_after_an_aws_call_names_its_request_id(aws: AwsDouble) -> None:
    clients = AwsClients()
    clients.observe_calls(_aws_call_observer(None))  # metrics off: the log context still gets the ID
    start_request("r-2")
    response = clients.sts().get_caller_identity()
    line = json.loads(JsonFormatter().format(logging.makeLogRecord({"msg": "done", "levelname": "INFO"})))
    assert line["request_id"] == "r-2"
    assert line["aws_request_id"] == response["ResponseMetadata"]["RequestId"]


def test_deliveries_count_by_state_and_observe_their_lag() -> None:
    metrics = Metrics()
    metrics.delivery("posted", 12.0)
    metrics.delivery("skipped", 1.0)
    assert metrics.count("notification_deliveries", state="posted") == 1
    assert (
        metrics.registry.get_sample_value("aws_support_slack_notification_delivery_lag_seconds_sum") == 13.0
    )
    assert (
        metrics.registry.get_sample_value(
            "aws_support_slack_notification_delivery_lag_seconds_bucket", {"le": "10.0"}
        )
        == 1
    )


@pytest.mark.parametrize(
    ("content_type", "body", "kind"),
    [
        ("application/x-www-form-urlencoded", "command=%2Faws-support&text=help", "command"),
        ("application/x-www-form-urlencoded", 'payload={"type":"view_submission"}', "view_submission"),
        ("application/x-www-form-urlencoded", 'payload={"type":"made-up-by-a-sender"}', "other"),
        ("application/x-www-form-urlencoded", "payload=not-json", "other"),
        ("application/json", '{"type":"event_callback"}', "event"),
        ("application/json", "[1]", "other"),
    ],
)
def test_request_kinds_come_from_a_fixed_vocabulary(content_type: str, body: str, kind: str) -> None:
    assert request_kind(content_type, body) == kind


async def test_a_delivery_is_counted_with_its_lag_from_the_event_time_at_aws(
    sqlite_url: str, aws: AwsDouble
) -> None:
    metrics = Metrics()
    async with notification_world(sqlite_url, aws) as world:
        world.notifications.delivery.observe = metrics.delivery
        await world.workspace()
        await world.configure("C0001", role=world.role())
        case_id = world.put_case()
        ten_minutes_ago = datetime.now(UTC) - timedelta(minutes=10)
        await world.send(CREATE, case_id, at=ten_minutes_ago)
        assert await world.deliver() == 1
        assert len(world.posts()) == 1
    assert metrics.count("notification_deliveries", state="posted") == 1
    lag = metrics.registry.get_sample_value("aws_support_slack_notification_delivery_lag_seconds_sum")
    assert lag is not None and 600 <= lag < 660
