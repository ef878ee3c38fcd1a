"""Case modals and messages, built from values without a server: labels, buttons and Slack's limits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bolt_app.blocks.cases import (
    ALL_ACCOUNTS,
    CATEGORY_ACTION,
    CREATE_CASE_VIEW,
    EDIT_SEARCH_ACTION,
    NEXT_RESULTS_ACTION,
    PREVIOUS_CORRESPONDENCE_ACTION,
    PREVIOUS_RESULTS_ACTION,
    REOPEN_ACTION,
    REOPEN_CASE_VIEW,
    REPLY_ACTION,
    REPLY_CASE_VIEW,
    RESOLVE_ACTION,
    SEARCH_CASES_VIEW,
    SEE_DETAILS_ACTION,
    SERVICE_ACTION,
    SEVERITY_ACTION,
    SHARE_ACTION,
    SHOW_FULL_MESSAGE_ACTION,
    CaseFormPrefill,
    CaseRef,
    ViewState,
    case_details_blocks,
    case_summary_blocks,
    category_options,
    create_case_modal,
    full_message_modal,
    previous_correspondence_blocks,
    read_case_form,
    read_message_form,
    read_search_form,
    reopen_modal,
    reply_modal,
    resolve_confirm,
    search_modal,
    search_results_blocks,
    service_options,
)
from bolt_app.services.cases import (
    ATTACHMENTS_BLOCK,
    CASE_ACCOUNT_BLOCK,
    CATEGORY_BLOCK,
    CC_BLOCK,
    DESCRIPTION_BLOCK,
    ISSUE_TYPE_BLOCK,
    LANGUAGE_BLOCK,
    MESSAGE_BLOCK,
    SEARCH_ACCOUNT_BLOCK,
    SEARCH_AFTER_BLOCK,
    SEARCH_CASE_ID_BLOCK,
    SEARCH_STATUS_BLOCK,
    SERVICE_BLOCK,
    SEVERITY_BLOCK,
    SUBJECT_BLOCK,
    CaseSummary,
    Choice,
    Communication,
    SearchFilter,
    SearchPage,
    SupportService,
)
from bolt_app.services.context import ChannelAccount
from storage.workspaces import WorkspaceKey

WORKSPACE = WorkspaceKey("", "T0001")
PROD = ChannelAccount(
    WORKSPACE, "C1", "ops", "210987654321", "Prod (210987654321)", "arn:aws:iam::210987654321:role/R", "x"
)
DEV = ChannelAccount(
    WORKSPACE, "C1", "ops", "310987654321", "310987654321", "arn:aws:iam::310987654321:role/R", "x"
)
CREATED = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def a_case(**changes: Any) -> CaseSummary:
    values: dict[str, Any] = {
        "case_id": "case-210987654321-2026-0123456789abcdef",
        "display_id": "1700000001",
        "subject": "EC2 instance unreachable",
        "status": "opened",
        "severity_code": "high",
        "service_code": "amazon-elastic-compute-cloud-linux",
        "category_code": "instance-issue",
        "submitted_by": "AWSSupportSlackRole (Role) <T0001.U42>",
        "time_created": CREATED,
        "language": "en",
        "cc_emails": ("ops@example.com",),
        "account_id": "210987654321",
        "account_shown": "Prod (210987654321)",
        "recent": (Communication("Please send logs.", "Amazon Web Services", CREATED, ("howto.pdf",)),),
    }
    return CaseSummary(**(values | changes))


# ---- walking Block Kit ----------------------------------------------------------------------------------------


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def buttons(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {n["text"]["text"]: n for n in walk(blocks) if n.get("type") == "button"}


def inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


def text_of(blocks: list[dict[str, Any]]) -> str:
    return "\n".join(n["text"] for n in walk(blocks) if n.get("type") in ("mrkdwn", "plain_text"))


def assert_within_slack_limits(blocks: list[dict[str, Any]], max_blocks: int) -> None:
    assert len(blocks) <= max_blocks
    for node in walk(blocks):
        if node.get("type") == "section" and "text" in node:
            assert len(node["text"]["text"]) <= 3000
        if node.get("type") == "button":
            assert len(node["text"]["text"]) <= 75 and len(node.get("value", "")) <= 2000
        if "options" in node:
            assert len(node["options"]) <= 100
            for o in node["options"]:
                assert len(o["text"]["text"]) <= 75 and len(o["value"]) <= 150
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))


def assert_view_within_limits(view: dict[str, Any]) -> None:
    for key in ("title", "submit", "close"):
        if key in view:
            assert len(view[key]["text"]) <= 24
    assert len(view["private_metadata"]) <= 3000
    assert_within_slack_limits(view["blocks"], 100)


# ---- create case ----------------------------------------------------------------------------------------------


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
    fields = inputs(view)
    assert [o["text"]["text"] for o in fields[ISSUE_TYPE_BLOCK]["element"]["options"]] == [
        "Technical",
        "Account and billing",
    ]
    assert fields[SERVICE_BLOCK]["element"]["type"] == "external_select"
    assert fields[SERVICE_BLOCK]["element"]["action_id"] == SERVICE_ACTION
    assert fields[CATEGORY_BLOCK]["element"]["action_id"] == CATEGORY_ACTION
    assert fields[CATEGORY_BLOCK]["element"]["min_query_length"] == 0
    assert fields[SEVERITY_BLOCK]["element"]["action_id"] == SEVERITY_ACTION  # until AWS data is there
    assert fields[ATTACHMENTS_BLOCK]["element"] == {
        "type": "file_input",
        "action_id": "value",
        "max_files": 3,
    }
    assert fields[ATTACHMENTS_BLOCK]["optional"] and fields[CC_BLOCK]["optional"]
    assert "optional" not in fields[SUBJECT_BLOCK] and "optional" not in fields[DESCRIPTION_BLOCK]
    assert_view_within_limits(view)


def test_the_account_field_appears_only_with_several_accounts() -> None:
    assert CASE_ACCOUNT_BLOCK not in inputs(create_case_modal([PROD]))
    account = inputs(create_case_modal([PROD, DEV]))[CASE_ACCOUNT_BLOCK]
    assert account["label"]["text"] == "AWS account"
    assert [(o["text"]["text"], o["value"]) for o in account["element"]["options"]] == [
        ("Prod (210987654321)", "210987654321"),
        ("310987654321", "310987654321"),
    ]


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
    fields = inputs(view)
    assert fields[SUBJECT_BLOCK]["element"]["initial_value"] == "From a message"
    assert len(fields[DESCRIPTION_BLOCK]["element"]["initial_value"]) == 3000  # Slack's input limit
    assert fields[CASE_ACCOUNT_BLOCK]["element"]["initial_option"]["value"] == DEV.account_id
    assert fields[ISSUE_TYPE_BLOCK]["element"]["initial_option"]["value"] == "customer-service"
    assert fields[SERVICE_BLOCK]["element"]["initial_option"] == {
        "text": {"type": "plain_text", "text": "Lambda", "emoji": True},
        "value": "aws-lambda",
    }
    assert fields[SEVERITY_BLOCK]["element"]["type"] == "static_select"
    assert fields[SEVERITY_BLOCK]["element"]["initial_option"]["text"]["text"] == "Production system down"
    assert fields[LANGUAGE_BLOCK]["element"]["initial_option"]["value"] == "ja"
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


def test_the_create_case_form_reads_back_every_field() -> None:
    def select(value: str) -> dict[str, Any]:
        return {"type": "static_select", "selected_option": {"value": value}}

    state = {
        "values": {
            CASE_ACCOUNT_BLOCK: {"value": select("310987654321")},
            SUBJECT_BLOCK: {"value": {"type": "plain_text_input", "value": "S"}},
            DESCRIPTION_BLOCK: {"value": {"type": "plain_text_input", "value": "D"}},
            ISSUE_TYPE_BLOCK: {"value": select("technical")},
            SERVICE_BLOCK: {
                SERVICE_ACTION: {"type": "external_select", "selected_option": {"value": "aws-lambda"}}
            },
            CATEGORY_BLOCK: {CATEGORY_ACTION: {"type": "external_select", "selected_option": None}},
            SEVERITY_BLOCK: {"value": select("low")},
            LANGUAGE_BLOCK: {"value": select("en")},
            CC_BLOCK: {"value": {"type": "plain_text_input", "value": None}},
            ATTACHMENTS_BLOCK: {
                "value": {
                    "type": "file_input",
                    "files": [
                        {"id": "F1", "name": "a.log", "size": 12, "url_private_download": "https://f/a"}
                    ],
                }
            },
        }
    }
    form = read_case_form(state)
    assert (form.account_id, form.subject, form.service_code, form.category_code) == (
        "310987654321",
        "S",
        "aws-lambda",
        None,
    )
    assert [(f.id, f.name, f.size) for f in form.files] == [("F1", "a.log", 12)]
    message = read_message_form({"values": {MESSAGE_BLOCK: {"value": {"value": "Hi"}}}})
    assert (message.message, message.cc_emails, message.files) == ("Hi", None, ())


# ---- a case ---------------------------------------------------------------------------------------------------


def test_case_summary_shows_the_case_and_its_buttons() -> None:
    blocks = case_summary_blocks(a_case())
    text = text_of(blocks)
    for words in ("1700000001", "EC2 instance unreachable", "Production system impaired", "Opened"):
        assert words in text
    assert "Prod (210987654321)" in text
    found = buttons(blocks)
    assert list(found) == ["See details", "Reply", "Resolve case"]
    assert {b["action_id"] for b in found.values()} == {SEE_DETAILS_ACTION, REPLY_ACTION, RESOLVE_ACTION}
    assert CaseRef.decode(found["Reply"]["value"]) == CaseRef("210987654321", a_case().case_id, "en")
    assert found["Resolve case"]["confirm"] == resolve_confirm(a_case())
    assert resolve_confirm(a_case())["title"]["text"] == "Resolve case"
    assert resolve_confirm(a_case())["confirm"]["text"] == "Resolve case"
    assert_within_slack_limits(blocks, 50)


def test_a_resolved_case_offers_reopen_instead_of_resolve() -> None:
    found = buttons(case_summary_blocks(a_case(status="resolved")))
    assert "Resolve case" not in found and found["Reopen case"]["action_id"] == REOPEN_ACTION


def test_text_from_users_and_aws_cannot_mention_or_link() -> None:
    blocks = case_details_blocks(
        a_case(subject="<!channel> & <https://evil|click>", recent=(Communication("<@U1>", "x", None),))
    )
    text = text_of(blocks)
    assert "<!channel>" not in text and "&lt;!channel&gt; &amp;" in text and "&lt;@U1&gt;" in text


def test_case_details_show_fields_latest_correspondence_and_actions() -> None:
    created, answered, asked = (datetime(2026, 11, d, 9, 30, tzinfo=UTC) for d in (2, 4, 3))
    case = a_case(
        time_created=created,
        submitted_by="DevOpsRole (Role) <T0009.U77>",
        cc_emails=("a@example.com", "b@example.com"),
        account_shown="Staging (310987654321)",
        recent=(
            Communication("Please send logs.", "Amazon Web Services", answered, ("howto.pdf",)),
            Communication("Original", "me", asked),
        ),
    )
    blocks = case_details_blocks(
        case,
        service_names={case.service_code: "EC2 - Linux"},
        category_names={case.category_code: "Instance Issue"},
    )
    text = text_of(blocks)
    for words in (
        "*Status*\nOpened",
        "*Severity*\nProduction system impaired",
        "*Service*\nEC2 - Linux",
        "*Category*\nInstance Issue",
        f"*Created*\n<!date^{int(created.timestamp())}^",
        "*Submitted by*\nDevOpsRole (Role) &lt;T0009.U77&gt;",
        "*Additional contacts*\na@example.com, b@example.com",
        "*AWS account*\nStaging (310987654321)",
        f"*Latest correspondence* from Amazon Web Services, <!date^{int(answered.timestamp())}^",
        "Please send logs.",
        "Attachments: howto.pdf",
    ):
        assert words in text
    assert "Original" not in text and str(int(asked.timestamp())) not in text
    assert list(buttons(blocks)) == ["Reply", "Resolve case", "Previous correspondence", "Share to channel"]
    assert buttons(blocks)["Share to channel"]["action_id"] == SHARE_ACTION
    assert_within_slack_limits(blocks, 50)


def test_a_long_correspondence_is_cut_with_show_full_message() -> None:
    body = "word " * 1600  # 8000 characters, AWS's maximum
    case = a_case(recent=(Communication(body, "Amazon Web Services", CREATED),))
    blocks = case_details_blocks(case)
    assert buttons(blocks)["Show full message"]["action_id"] == SHOW_FULL_MESSAGE_ACTION
    assert_within_slack_limits(blocks, 50)
    full = full_message_modal(case, case.recent[0])
    assert "".join(b["text"]["text"] for b in full["blocks"][1:]) == body
    assert_view_within_limits(full)


def test_resolved_case_details_offer_reopen() -> None:
    found = buttons(case_details_blocks(a_case(status="resolved", recent=())))
    assert list(found) == ["Reply", "Reopen case", "Share to channel"]


def test_previous_correspondence_pages_with_a_button() -> None:
    comms = [Communication(f"message {i}", "Amazon Web Services", CREATED) for i in range(10)]
    blocks = previous_correspondence_blocks(a_case(), comms, "token-2")
    found = buttons(blocks)["Previous correspondence"]
    assert found["action_id"] == PREVIOUS_CORRESPONDENCE_ACTION
    assert json.loads(found["value"])["next"] == "token-2"
    assert_within_slack_limits(blocks, 50)


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
    message = inputs(reopen)[MESSAGE_BLOCK]
    assert "optional" not in message and message["label"]["text"] == "Message"
    assert_view_within_limits(reply)
    assert_view_within_limits(reopen)


# ---- search ---------------------------------------------------------------------------------------------------


def test_search_modal_offers_accounts_dates_status_language_and_case_id() -> None:
    view = search_modal([PROD, DEV], search=SearchFilter(after=date(2026, 1, 1), status="resolved"))
    assert view["callback_id"] == SEARCH_CASES_VIEW
    fields = inputs(view)
    assert [o["text"]["text"] for o in fields[SEARCH_ACCOUNT_BLOCK]["element"]["options"]] == [
        "All accounts",
        "Prod (210987654321)",
        "310987654321",
    ]
    assert fields[SEARCH_AFTER_BLOCK]["element"] == {
        "type": "datepicker",
        "action_id": "value",
        "initial_date": "2026-01-01",
    }
    assert [o["text"]["text"] for o in fields[SEARCH_STATUS_BLOCK]["element"]["options"]] == [
        "All open cases",
        "Resolved",
        "All cases",
    ]
    assert fields[SEARCH_STATUS_BLOCK]["element"]["initial_option"]["value"] == "resolved"
    assert fields[SEARCH_CASE_ID_BLOCK]["label"]["text"] == "Case ID"
    assert SEARCH_ACCOUNT_BLOCK not in inputs(search_modal([PROD]))
    assert_view_within_limits(view)


def test_the_search_form_reads_back_as_a_filter() -> None:
    state = {
        "values": {
            SEARCH_ACCOUNT_BLOCK: {
                "value": {"type": "static_select", "selected_option": {"value": ALL_ACCOUNTS}}
            },
            SEARCH_AFTER_BLOCK: {"value": {"type": "datepicker", "selected_date": "2026-01-01"}},
            SEARCH_STATUS_BLOCK: {"value": {"type": "static_select", "selected_option": {"value": "all"}}},
            SEARCH_CASE_ID_BLOCK: {"value": {"type": "plain_text_input", "value": " "}},
        }
    }
    assert read_search_form(state) == SearchFilter(after=date(2026, 1, 1), status="all")


def test_search_results_page_has_five_cases_paging_and_failed_accounts() -> None:
    cases = tuple(a_case(case_id=f"case-{i}", display_id=str(1700000010 + i)) for i in range(5))
    failed = {
        f"Account {i} ({i:012d})": "The IAM role … is not allowed to perform support:DescribeCases. " * 3
        for i in range(100)
    }
    page = SearchPage(cases, "next-token", failed, previous_token="previous-token", offset=5, total=12)
    blocks = search_results_blocks(page, 2)
    found = buttons(blocks)
    assert (
        found["Next 5 results"]["action_id"] == NEXT_RESULTS_ACTION
        and found["Next 5 results"]["value"] == "next-token"
    )
    assert found["Previous 5 results"]["action_id"] == PREVIOUS_RESULTS_ACTION
    assert found["Edit Search"]["action_id"] == EDIT_SEARCH_ACTION
    see_details = [n for n in walk(blocks) if n.get("action_id") == SEE_DETAILS_ACTION]
    shares = [n for n in walk(blocks) if n.get("action_id") == SHARE_ACTION]
    assert len(see_details) == len(shares) == 5
    text = text_of(blocks)
    assert "6–10 of 12" in text and text.count("AWS account: Prod (210987654321)") == 5
    assert "could not be searched" in text and "Account 0 (000000000000)" in text and "more accounts." in text
    assert_within_slack_limits(blocks, 50)


def test_an_empty_first_page_says_so_without_paging() -> None:
    blocks = search_results_blocks(SearchPage((), None, {}), 1)
    assert "no case matches" in text_of(blocks)
    assert list(buttons(blocks)) == ["Edit Search"]
