"""The quota increase modal and message, built from values without a server."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bolt_app.blocks.quotas import ACCOUNT_BLOCK
from bolt_app.blocks.quotas import CHECK_QUOTA_STATUS_ACTION
from bolt_app.blocks.quotas import DETAILS_BLOCK
from bolt_app.blocks.quotas import QUOTA_ACTION
from bolt_app.blocks.quotas import QUOTA_INCREASE_VIEW
from bolt_app.blocks.quotas import REGION_ACTION
from bolt_app.blocks.quotas import REGION_BLOCK
from bolt_app.blocks.quotas import SERVICE_ACTION
from bolt_app.blocks.quotas import SERVICE_BLOCK
from bolt_app.blocks.quotas import VALUE_BLOCK
from bolt_app.blocks.quotas import StatusRef
from bolt_app.blocks.quotas import field_errors
from bolt_app.blocks.quotas import parse_check_status_value
from bolt_app.blocks.quotas import quota_block_id
from bolt_app.blocks.quotas import quota_modal
from bolt_app.blocks.quotas import quota_options
from bolt_app.blocks.quotas import quota_request_blocks
from bolt_app.blocks.quotas import quota_request_text
from bolt_app.blocks.quotas import read_form
from bolt_app.blocks.quotas import region_options
from bolt_app.blocks.quotas import service_options
from bolt_app.errors import UserFacingError
from bolt_app.services.choice import Choice
from bolt_app.services.quotas.fields import QUOTA_FIELD
from bolt_app.services.quotas.fields import VALUE_FIELD
from bolt_app.services.quotas.models import QuotaDetails
from bolt_app.services.quotas.models import QuotaRequest
from tests.helpers.values import CREATED
from tests.helpers.values import DEV
from tests.helpers.values import PROD
from tests.helpers.values import quota_details
from tests.helpers.values import quota_request

LAMBDA = Choice("lambda", "AWS Lambda")
CONCURRENCY = Choice("L-B99A9384", "Concurrent executions")


def _details(
    applied: float = 1000, default: float = 1000, pending: QuotaRequest | None = None, **changes: Any
) -> QuotaDetails:
    return quota_details(applied_value=applied, default_value=default, pending=pending, **changes)


def _block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def _texts(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


# --- the modal ----------------------------------------------------------------------------------------------


def test_first_view_with_one_account_has_region_service_and_value_only() -> None:
    view = quota_modal([PROD], None, None, None, None)
    assert view["callback_id"] == QUOTA_INCREASE_VIEW and view["title"]["text"] == "Increase service quota"
    assert view["submit"]["text"] == "Submit"
    ids = [b.get("block_id") for b in view["blocks"]]
    assert ACCOUNT_BLOCK not in ids and ids[0] == REGION_BLOCK
    region = _block(view, REGION_BLOCK)
    assert region["label"]["text"] == "AWS Region" and region["dispatch_action"] is True
    assert region["element"]["action_id"] == REGION_ACTION
    assert region["element"]["initial_option"]["value"] == "us-east-1"
    service = _block(view, SERVICE_BLOCK)
    assert service["label"]["text"] == "Service"
    assert (
        service["element"]["type"] == "external_select" and service["element"]["action_id"] == SERVICE_ACTION
    )
    assert "initial_option" not in service["element"]
    assert QUOTA_FIELD not in ids and "Choose a service" in _texts(view["blocks"])
    assert _block(view, VALUE_BLOCK)["label"]["text"] == "Requested value"


def test_several_accounts_get_a_dispatching_account_select() -> None:
    view = quota_modal([PROD, DEV], "eu-west-1", None, None, None, account_id=DEV.account_id)
    account = _block(view, ACCOUNT_BLOCK)
    assert account["label"]["text"] == "AWS account" and account["dispatch_action"] is True
    assert [o["text"]["text"] for o in account["element"]["options"]] == [
        "Prod (210987654321)",
        "310987654321",
    ]
    assert account["element"]["initial_option"]["value"] == DEV.account_id
    assert _block(view, REGION_BLOCK)["element"]["initial_option"]["value"] == "eu-west-1"


def test_chosen_quota_shows_applied_default_unit_and_a_hint_for_the_value() -> None:
    details = _details(applied=1200, default=1000, unit="Gigabytes")
    view = quota_modal([PROD], "us-east-1", LAMBDA, CONCURRENCY, details, requested_value="2000")
    quota = _block(view, quota_block_id("lambda"))
    assert quota["label"]["text"] == "Quota" and quota["element"]["action_id"] == QUOTA_ACTION
    assert quota["element"]["initial_option"] == {
        "text": {"type": "plain_text", "text": "Concurrent executions", "emoji": True},
        "value": "L-B99A9384",
    }
    shown = _block(view, DETAILS_BLOCK)["elements"][0]["text"]
    assert (
        "*Applied value:* 1,200" in shown
        and "*AWS default value:* 1,000" in shown
        and "*Unit:* Gigabytes" in shown
    )
    value = _block(view, VALUE_BLOCK)
    assert value["element"]["initial_value"] == "2000"
    assert "More than 1,200" in value["hint"]["text"] and "10,000,000,000" in value["hint"]["text"]
    assert ":warning:" not in _texts(view["blocks"])


def test_applied_value_below_the_default_is_said_before_submit() -> None:
    view = quota_modal([PROD], "us-east-1", LAMBDA, CONCURRENCY, _details(applied=500, default=1000))
    text = _texts(view["blocks"])
    assert "The applied value (500) is below the AWS default (1,000)" in text
    assert "AWS refuses requests that do not exceed the default" in text
    assert "More than 1,000" in _block(view, VALUE_BLOCK)["hint"]["text"]


def test_an_open_request_is_shown_under_the_quota() -> None:
    pending = quota_request(status="CASE_OPENED", case_id="case-210987654321-2026-abc")
    text = _texts(quota_modal([PROD], "us-east-1", LAMBDA, CONCURRENCY, _details(pending=pending))["blocks"])
    assert "Open request" in text and "1,500 requested on 2026-11-02 09:30 UTC" in text
    assert "status Case opened" in text and "case-210987654321-2026-abc" in text
    assert "one open request per quota" in text


def test_history_that_could_not_be_read_is_said() -> None:
    details = _details(pending_checked=False)
    text = _texts(quota_modal([PROD], "us-east-1", LAMBDA, CONCURRENCY, details)["blocks"])
    assert "Open requests could not be checked" in text


def test_an_error_leads_the_modal() -> None:
    view = quota_modal([PROD], "us-east-1", None, None, None, error="The role may not list services.")
    assert view["blocks"][0]["text"]["text"] == ":warning: The role may not list services."


def test_changing_the_service_changes_the_quota_block_id() -> None:
    assert quota_block_id("lambda") != quota_block_id("ec2")
    assert quota_block_id(None) == QUOTA_FIELD


# --- options ------------------------------------------------------------------------------------------------


def test_region_options_name_the_region_and_fit_slack() -> None:
    options = region_options()
    assert {"type": "plain_text", "text": "US East (N. Virginia) · us-east-1", "emoji": True} in [
        o["text"] for o in options
    ]
    assert len(options) <= 100


def test_long_names_are_shortened_for_the_select() -> None:
    long = Choice("L-" + "A" * 200, "Running On-Demand " + "very " * 30 + "instances")
    (option,) = quota_options([long])
    assert len(option["text"]["text"]) == 75 and option["text"]["text"].endswith("…")
    assert len(option["value"]) == 150
    assert service_options([LAMBDA]) == [
        {"text": {"type": "plain_text", "text": "AWS Lambda", "emoji": True}, "value": "lambda"}
    ]
    many = service_options([Choice(f"s{i}", f"S{i}") for i in range(150)])
    assert len(many) == 100 and many[-1]["text"]["text"] == "… and 51 more: type more of the name or code"


# --- reading the form and showing errors --------------------------------------------------------------------


def test_read_form_takes_the_quota_of_the_chosen_service() -> None:
    state = {
        "values": {
            ACCOUNT_BLOCK: {
                "quota_account": {"type": "static_select", "selected_option": {"value": DEV.account_id}}
            },
            REGION_BLOCK: {
                REGION_ACTION: {"type": "static_select", "selected_option": {"value": "eu-west-1"}}
            },
            SERVICE_BLOCK: {
                SERVICE_ACTION: {"type": "external_select", "selected_option": {"value": "lambda"}}
            },
            quota_block_id("ec2"): {QUOTA_ACTION: {"selected_option": {"value": "L-OLD"}}},
            quota_block_id("lambda"): {QUOTA_ACTION: {"selected_option": {"value": "L-B99A9384"}}},
            VALUE_BLOCK: {"value": {"type": "plain_text_input", "value": "2000"}},
        }
    }
    form = read_form(state)
    assert (form.account_id, form.region, form.service_code, form.quota_code, form.requested_value) == (
        DEV.account_id,
        "eu-west-1",
        "lambda",
        "L-B99A9384",
        "2000",
    )


def test_read_form_of_an_empty_view() -> None:
    form = read_form({"values": {}})
    assert (form.account_id, form.region, form.service_code, form.quota_code) == (
        None,
        "us-east-1",
        None,
        None,
    )


def test_field_errors_point_at_the_block() -> None:
    assert field_errors(UserFacingError("too low", field=VALUE_FIELD), "lambda") == {VALUE_BLOCK: "too low"}
    assert field_errors(UserFacingError("unknown", field=QUOTA_FIELD), "lambda") == {
        "quota_code.lambda": "unknown"
    }
    assert field_errors(UserFacingError("whole modal"), "lambda") is None


# --- the channel message ------------------------------------------------------------------------------------


def test_request_message_names_everything_and_has_check_status() -> None:
    request = quota_request(status="CASE_OPENED", case_id="case-210987654321-2026-abc")
    blocks = quota_request_blocks(request, requested_by="U42")
    fields = [f["text"] for f in blocks[0]["fields"]]
    assert fields == [
        "*AWS account*\nProd (210987654321)",
        "*AWS Region*\nEurope (Ireland) (eu-west-1)",
        "*Service*\nAWS Lambda",
        "*Quota*\nConcurrent executions (`L-B99A9384`)",
        "*Requested value*\n1,500",
        "*Status*\n:envelope_with_arrow: Case opened",
        "*Request ID*\n`a1b2c3d4e5f60718293a4b5c6d7e8f90`",
        "*Support case ID*\n`case-210987654321-2026-abc`",
    ]
    note = blocks[1]["elements"][0]["text"]
    assert note.startswith("Requested by <@U42> on <!date^") and "|2026-11-02 09:30 UTC>" in note
    button = blocks[-1]["elements"][0]
    assert button["text"]["text"] == "Check status" and button["action_id"] == CHECK_QUOTA_STATUS_ACTION
    assert parse_check_status_value(button["value"]) == StatusRef(
        "210987654321", "eu-west-1", "a1b2c3d4e5f60718293a4b5c6d7e8f90"
    )


def test_request_without_case_has_no_case_field_and_shows_the_unit() -> None:
    blocks = quota_request_blocks(quota_request(unit="Gigabytes", created=None), checked_at=CREATED)
    text = _texts(blocks)
    assert "Support case ID" not in text and "1,500 Gigabytes" in text
    assert "status checked <!date^" in text and "Requested" not in blocks[1]["elements"][0]["text"]


@pytest.mark.parametrize(
    ("status", "label"),
    [
        ("APPROVED", "Approved"),
        ("DENIED", "Denied"),
        ("NOT_APPROVED", "Not approved"),
        ("CASE_CLOSED", "Case closed"),
    ],
)
def test_status_labels(status: str, label: str) -> None:
    assert label in quota_request_text(quota_request(status=status))


def test_a_garbled_check_status_value_is_refused_in_words() -> None:
    with pytest.raises(UserFacingError):
        parse_check_status_value("not json")
