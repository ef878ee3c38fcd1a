"""The case modals (create, reply, reopen, search): labels, fields in order, prefills, Slack's limits."""

from __future__ import annotations

from datetime import date

import pytest

from bolt_app.blocks.cases.forms import CaseFormPrefill
from bolt_app.blocks.cases.forms import category_options
from bolt_app.blocks.cases.forms import create_case_modal
from bolt_app.blocks.cases.forms import reopen_modal
from bolt_app.blocks.cases.forms import reply_modal
from bolt_app.blocks.cases.forms import search_modal
from bolt_app.blocks.cases.forms import service_options
from bolt_app.blocks.cases.parts import CATEGORY_ACTION
from bolt_app.blocks.cases.parts import CREATE_CASE_VIEW
from bolt_app.blocks.cases.parts import REOPEN_CASE_VIEW
from bolt_app.blocks.cases.parts import REPLY_CASE_VIEW
from bolt_app.blocks.cases.parts import SEARCH_CASES_VIEW
from bolt_app.blocks.cases.parts import SERVICE_ACTION
from bolt_app.blocks.cases.parts import SEVERITY_ACTION
from bolt_app.blocks.cases.parts import ViewState
from bolt_app.services.cases import fields
from bolt_app.services.cases.models import SearchFilter
from bolt_app.services.cases.models import SupportService
from bolt_app.services.choice import Choice
from tests.blocks.cases.kit import DEV
from tests.blocks.cases.kit import PROD
from tests.blocks.cases.kit import a_case
from tests.blocks.cases.kit import assert_view_within_limits
from tests.blocks.cases.kit import inputs


def test_create_case_modal_has_the_original_fields_in_order() -> None:
    view = create_case_modal([PROD])
    assert view["callback_id"] == CREATE_CASE_VIEW and view["title"]["text"] == "Create a support case"
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert labels == [
        "Subject",
        "Description",
        "Issue type",
        "Service",
        "Category",
        "Severity",
        "Contact language",
        "Additional contacts to notify",
        "Attachments",
    ]
    shown = inputs(view)
    assert [o["text"]["text"] for o in shown[fields.ISSUE_TYPE_BLOCK]["element"]["options"]] == [
        "Technical",
        "Account and billing",
    ]
    assert shown[fields.SERVICE_BLOCK]["element"]["type"] == "external_select"
    assert shown[fields.SERVICE_BLOCK]["element"]["action_id"] == SERVICE_ACTION
    assert shown[fields.CATEGORY_BLOCK]["element"]["action_id"] == CATEGORY_ACTION
    assert shown[fields.CATEGORY_BLOCK]["element"]["min_query_length"] == 0
    assert shown[fields.SEVERITY_BLOCK]["element"]["action_id"] == SEVERITY_ACTION  # until AWS data is there
    assert shown[fields.ATTACHMENTS_BLOCK]["element"] == {
        "type": "file_input",
        "action_id": "value",
        "max_files": 3,
    }
    assert shown[fields.ATTACHMENTS_BLOCK]["optional"] and shown[fields.CC_BLOCK]["optional"]
    assert "optional" not in shown[fields.SUBJECT_BLOCK] and "optional" not in shown[fields.DESCRIPTION_BLOCK]
    assert_view_within_limits(view)


def test_the_account_field_appears_only_with_several_accounts() -> None:
    assert fields.CASE_ACCOUNT_BLOCK not in inputs(create_case_modal([PROD]))
    account = inputs(create_case_modal([PROD, DEV]))[fields.CASE_ACCOUNT_BLOCK]
    assert account["label"]["text"] == "AWS account"
    assert [(o["text"]["text"], o["value"]) for o in account["element"]["options"]] == [
        ("Prod (210987654321)", "210987654321"),
        ("310987654321", "310987654321"),
    ]


def test_the_channels_only_account_is_named_at_the_top_and_nothing_asks_for_it() -> None:
    view = create_case_modal([PROD])
    assert view["blocks"][0]["type"] == "context"
    assert view["blocks"][0]["elements"][0]["text"] == "AWS account: *Prod (210987654321)*"
    assert fields.CASE_ACCOUNT_BLOCK not in inputs(view)


def test_severities_say_what_each_is_for_mildest_first() -> None:
    levels = [Choice("urgent", "Production system down"), Choice("low", "General guidance"),
              Choice("high", "Production system impaired"), Choice("normal", "System impaired")]  # fmt: skip
    view = create_case_modal([PROD], severity_levels=levels)
    options = inputs(view)[fields.SEVERITY_BLOCK]["element"]["options"]
    assert [o["text"]["text"] for o in options] == [
        "General guidance",
        "System impaired",
        "Production system impaired",
        "Production system down",
    ]
    described = {o["text"]["text"]: o["description"]["text"] for o in options}
    assert (
        described["Production system down"]
        == "Business significantly impacted; important functions unavailable"
    )
    assert all(len(d) <= 75 for d in described.values())
    assert "each choice says what it is for" in inputs(view)[fields.SEVERITY_BLOCK]["hint"]["text"]


def test_chat_and_phone_are_pointed_to_the_console_and_optional_fields_come_last() -> None:
    view = create_case_modal([PROD, DEV])
    kinds = [(b["type"], b.get("block_id")) for b in view["blocks"]]
    severity, divider = kinds.index(("input", fields.SEVERITY_BLOCK)), kinds.index(("divider", None))
    note = view["blocks"][severity + 1]["elements"][0]["text"]
    assert "Chat and phone" in note and "support.console.aws.amazon.com" in note
    assert severity < divider
    after = [b for _, b in kinds[divider:] if b]
    assert after == [fields.LANGUAGE_BLOCK, fields.CC_BLOCK, fields.ATTACHMENTS_BLOCK]
    assert inputs(view)[fields.DESCRIPTION_BLOCK]["hint"]["text"].startswith("How you use the service")


def test_a_prefilled_create_case_modal_keeps_the_values_and_its_state() -> None:
    state = ViewState(channel_id="C1", message_ts="1700000000.000100")
    view = create_case_modal(
        [PROD, DEV],
        prefill=CaseFormPrefill(
            subject="From a message",
            description="x" * 5000,
            account_id=DEV.account_id,
            issue_type="customer-service",
            service=Choice("aws-lambda", "Lambda"),
            category=Choice("performance", "Performance"),
            severity_code="urgent",
            language="ja",
            cc_emails="a@example.com",
        ),
        severity_levels=[Choice("low", "General guidance"), Choice("urgent", "Production system down")],
        private_metadata=state.encode(),
    )
    shown = inputs(view)
    assert shown[fields.SUBJECT_BLOCK]["element"]["initial_value"] == "From a message"
    assert len(shown[fields.DESCRIPTION_BLOCK]["element"]["initial_value"]) == 3000  # Slack's input limit
    assert shown[fields.CASE_ACCOUNT_BLOCK]["element"]["initial_option"]["value"] == DEV.account_id
    assert shown[fields.ISSUE_TYPE_BLOCK]["element"]["initial_option"]["value"] == "customer-service"
    assert shown[fields.SERVICE_BLOCK]["element"]["initial_option"] == {
        "text": {"type": "plain_text", "text": "Lambda", "emoji": True},
        "value": "aws-lambda",
    }
    assert shown[fields.SEVERITY_BLOCK]["element"]["type"] == "static_select"
    assert (
        shown[fields.SEVERITY_BLOCK]["element"]["initial_option"]["text"]["text"] == "Production system down"
    )
    assert shown[fields.LANGUAGE_BLOCK]["element"]["initial_option"]["value"] == "ja"
    assert ViewState.decode(view["private_metadata"]) == state
    assert_view_within_limits(view)


def test_view_state_refuses_what_slack_would_cut() -> None:
    with pytest.raises(ValueError, match="3000"):
        ViewState(channel_id="C" * 3000).encode()


def test_service_and_category_options_follow_the_query_and_slack_limits() -> None:
    services = [
        SupportService(
            "aws-lambda", "Lambda", (Choice("performance", "Performance"), Choice("other", "Other"))
        ),
        SupportService("amazon-s3", "Simple Storage Service (S3)", ()),
        *(SupportService(f"svc-{i}", "A very long service name " * 5 + str(i), ()) for i in range(120)),
    ]
    assert [o["value"] for o in service_options(services, "lamb")] == ["aws-lambda"]
    everything = service_options(services)
    assert len(everything) == 100 and all(len(o["text"]["text"]) <= 75 for o in everything)
    assert [o["value"] for o in category_options(services, "aws-lambda", "")] == ["performance", "other"]
    assert [o["value"] for o in category_options(services, "aws-lambda", "perf")] == ["performance"]
    assert category_options(services, None) == []


def test_reply_and_reopen_modals() -> None:
    reply = reply_modal(a_case(), private_metadata=ViewState("C1", case_id="c").encode())
    assert (reply["callback_id"], reply["title"]["text"], reply["submit"]["text"]) == (
        REPLY_CASE_VIEW,
        "Reply to case",
        "Send message",
    )
    assert [b["label"]["text"] for b in reply["blocks"] if b["type"] == "input"] == [
        "Message",
        "Additional contacts to notify",
        "Attachments",
    ]
    reopen = reopen_modal(a_case(status="resolved"))
    assert (reopen["callback_id"], reopen["title"]["text"]) == (REOPEN_CASE_VIEW, "Reopen case")
    message = inputs(reopen)[fields.MESSAGE_BLOCK]
    assert "optional" not in message and message["label"]["text"] == "Message"
    assert_view_within_limits(reply)
    assert_view_within_limits(reopen)


def test_search_modal_offers_accounts_dates_status_language_and_case_id() -> None:
    view = search_modal([PROD, DEV], search=SearchFilter(after=date(2026, 1, 1), status="resolved"))
    assert view["callback_id"] == SEARCH_CASES_VIEW
    shown = inputs(view)
    assert [o["text"]["text"] for o in shown[fields.SEARCH_ACCOUNT_BLOCK]["element"]["options"]] == [
        "All accounts",
        "Prod (210987654321)",
        "310987654321",
    ]
    assert shown[fields.SEARCH_AFTER_BLOCK]["element"] == {
        "type": "datepicker",
        "action_id": "value",
        "initial_date": "2026-01-01",
    }
    assert [o["text"]["text"] for o in shown[fields.SEARCH_STATUS_BLOCK]["element"]["options"]] == [
        "All open cases",
        "Resolved",
        "All cases",
    ]
    assert shown[fields.SEARCH_STATUS_BLOCK]["element"]["initial_option"]["value"] == "resolved"
    assert shown[fields.SEARCH_CASE_ID_BLOCK]["label"]["text"] == "Case ID"
    assert fields.SEARCH_ACCOUNT_BLOCK not in inputs(search_modal([PROD]))
    assert_view_within_limits(view)
