"""Service quota increases from Slack: signed requests into the real app, the fake Slack, moto with IAM on."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fakes.aws import AwsDouble
from tests.fakes.moto_quotas import SERVICE_NAMES
from tests.helpers.app import AppHarness
from tests.helpers.scenario import blocks_of
from tests.helpers.scenario import configured_channel
from tests.helpers.scenario import open_modal
from tests.helpers.scenario import text_of
from tests.helpers.slack_requests import block_actions_body
from tests.helpers.slack_requests import block_actions_payload
from tests.helpers.slack_requests import block_suggestion_body
from tests.helpers.slack_requests import block_suggestion_payload
from tests.helpers.slack_requests import view_submission_body
from tests.helpers.slack_requests import view_submission_payload

ACCOUNT = "210987654321"
SECOND = "310987654321"
EC2, VCPU_QUOTA = "ec2", "L-1216C47A"


def without_hash(view: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in view.items() if k != "hash"}


def select(option_value: str, text: str = "") -> dict[str, Any]:
    return {
        "type": "external_select",
        "selected_option": {
            "value": option_value,
            "text": {"type": "plain_text", "text": text or option_value},
        },
    }


def state(
    service: str | None = None, quota: str | None = None, value: str | None = None, region: str = "us-east-1"
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "quota_region": {"quota_region": {"type": "static_select", "selected_option": {"value": region}}}
    }
    if service:
        values["quota_service"] = {"quota_service": select(service, service.upper())}
    if service and quota:
        values[f"quota_code.{service}"] = {
            "quota_code": select(quota, "Running On-Demand Standard instances")
        }
    if value is not None:
        values["quota_value"] = {"value": {"type": "plain_text_input", "value": value}}
    return {"values": values}


async def choose(h: AppHarness, view: dict[str, Any], action_id: str, st: dict[str, Any]) -> dict[str, Any]:
    """A select changed in the modal; returns the view the app updated it to."""
    before = len(h.slack.calls("views.update"))
    current = view | {"state": st}
    action = {"action_id": action_id, "block_id": action_id, "type": "external_select", "action_ts": "1.2"}
    await h.post(block_actions_body(block_actions_payload(action, view=current)))
    call = (await h.slack.wait_for("views.update", count=before + 1))[-1]
    updated = call.params["view"]
    updated = json.loads(updated) if isinstance(updated, str) else updated
    return {k: v for k, v in updated.items() if k != "hash"} | {"id": view["id"]}


async def test_request_a_quota_increase_end_to_end(harness: AppHarness, aws: AwsDouble) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    aws.set_applied_quota(ACCOUNT, EC2, VCPU_QUOTA, 32.0)
    aws.reset_records()
    view = without_hash(await open_modal(harness, "quota"))
    opened_at = harness.slack.calls("views.open")[-1].at
    assert all(c.at > opened_at for c in aws.calls)  # nothing from AWS before the ack and the modal
    assert "Increase service quota" in json.dumps(view)

    suggestion = block_suggestion_payload(
        "quota_service", "compute", block_id="quota_service", view=view | {"state": state()}
    )
    options = (await harness.post(block_suggestion_body(suggestion))).json()["options"]
    assert any(o["value"] == EC2 for o in options)

    view = await choose(harness, view, "quota_service", state(EC2))
    suggestion = block_suggestion_payload(
        "quota_code", "on-demand", block_id=f"quota_code.{EC2}", view=view | {"state": state(EC2)}
    )
    quotas = (await harness.post(block_suggestion_body(suggestion))).json()["options"]
    assert any(o["value"] == VCPU_QUOTA for o in quotas)

    view = await choose(harness, view, "quota_code", state(EC2, VCPU_QUOTA))
    shown = json.dumps(view)
    assert "32" in shown and "Requested value" in shown  # applied value shown before submit

    low = await harness.post(
        view_submission_body(view_submission_payload(view | {"state": state(EC2, VCPU_QUOTA, "16")}))
    )
    errors = low.json()
    assert errors["response_action"] == "errors" and "quota_value" in errors["errors"]

    ok = await harness.post(
        view_submission_body(view_submission_payload(view | {"state": state(EC2, VCPU_QUOTA, "64")}))
    )
    assert ok.status == 200 and ok.text == ""
    posted = (await harness.slack.wait_for("chat.postMessage"))[-1]
    message = text_of(posted)
    assert "Service quota increase request" in message and "64" in message and "Check status" in message
    [request] = aws.quota_requests(ACCOUNT)
    assert request.desired_value == 64.0

    # a retried submission of the same view requests nothing more
    await harness.post(
        view_submission_body(view_submission_payload(view | {"state": state(EC2, VCPU_QUOTA, "64")}))
    )
    assert len(aws.quota_requests(ACCOUNT)) == 1

    aws.set_quota_request_status(ACCOUNT, request.request_id, "APPROVED")
    button = next(e for b in blocks_of(posted) if b["type"] == "actions" for e in b["elements"])
    payload = block_actions_payload(button | {"action_ts": "1.3"}, message_ts=posted.params.get("ts", "1.1"))
    payload["message"]["ts"] = "1700000000.000100"
    await harness.post(block_actions_body(payload))
    updated = (await harness.slack.wait_for("chat.update"))[-1]
    assert "Approved" in text_of(updated)


async def test_a_read_only_role_is_refused_with_the_action_named(harness: AppHarness, aws: AwsDouble) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "readonly"})
    view = without_hash(await open_modal(harness, "quota"))
    view = await choose(harness, view, "quota_code", state(EC2, VCPU_QUOTA))
    await harness.post(
        view_submission_body(view_submission_payload(view | {"state": state(EC2, VCPU_QUOTA, "64")}))
    )
    said = text_of((await harness.slack.wait_for("chat.postEphemeral"))[-1])
    assert "servicequotas:RequestServiceQuotaIncrease" in said and "SlackC0001" in said
    assert aws.quota_requests(ACCOUNT) == []


async def test_a_channel_with_two_accounts_asks_which_and_uses_its_role(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full", SECOND: "full"})
    view = without_hash(await open_modal(harness, "quota"))
    assert "AWS account" in json.dumps(view)
    st = state(EC2, VCPU_QUOTA)
    st["values"]["quota_account"] = {
        "quota_account": {"type": "static_select", "selected_option": {"value": SECOND}}
    }
    view = await choose(harness, view, "quota_code", st)
    st = state(EC2, VCPU_QUOTA, "64")
    st["values"]["quota_account"] = {
        "quota_account": {"type": "static_select", "selected_option": {"value": SECOND}}
    }
    await harness.post(view_submission_body(view_submission_payload(view | {"state": st})))
    await harness.slack.wait_for("chat.postMessage")
    assert len(aws.quota_requests(SECOND)) == 1 and aws.quota_requests(ACCOUNT) == []


async def test_an_unconfigured_channel_is_told_how_to_configure_it(harness: AppHarness) -> None:
    await harness.command("quota")
    said = text_of((await harness.slack.wait_for("response_url"))[-1])
    assert "configure-channel" in said and harness.slack.calls("views.open") == []


async def test_the_service_type_ahead_filters_and_says_how_many_more(
    harness: AppHarness, aws: AwsDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(150):
        monkeypatch.setitem(SERVICE_NAMES, f"example{i:03d}", f"Example service {i:03d}")
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    view = without_hash(await open_modal(harness, "quota"))

    async def typed(value: str) -> list[dict[str, Any]]:
        suggestion = block_suggestion_payload(
            "quota_service", value, block_id="quota_service", view=view | {"state": state()}
        )
        response = await harness.post(block_suggestion_body(suggestion))
        assert response.status == 200
        return response.json()["options"]

    everything = await typed("")
    hidden = len(SERVICE_NAMES) - 99
    assert len(everything) == 100
    assert everything[-1]["text"]["text"] == f"… and {hidden} more: type more of the name or code"
    some = await typed("example service 14")  # every word, anywhere; names that start so come first
    assert [o["value"] for o in some] == [*(f"example14{d}" for d in range(10)), "example014", "example114"]
    assert [o["value"] for o in await typed("EC2")][0] == EC2  # the typed code first

    # the note is not a service: choosing it asks for a service, and nothing reaches AWS for it
    aws.reset_records()
    st = state()
    st["values"]["quota_service"] = {"quota_service": select(everything[-1]["value"], "… and more")}
    updated = await choose(harness, view, "quota_service", st)
    assert "Choose a service to see its adjustable quotas." in json.dumps(updated)
