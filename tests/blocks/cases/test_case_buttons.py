"""What the case listeners rely on in the case blocks: dispatching choices, the "Show full message" value, the
fallback text of a case message."""

from __future__ import annotations

from datetime import UTC, datetime

from bolt_app.blocks.cases.forms import create_case_modal
from bolt_app.blocks.cases.messages import (
    case_details_blocks,
    case_text,
    full_message_value,
    parse_full_message_value,
)
from bolt_app.blocks.cases.parts import CaseRef, ViewState
from bolt_app.services.cases.fields import (
    CASE_ACCOUNT_BLOCK,
    CATEGORY_BLOCK,
    ISSUE_TYPE_BLOCK,
    SERVICE_BLOCK,
    SUBJECT_BLOCK,
)
from bolt_app.services.cases.models import CaseSummary, Communication
from bolt_app.services.context import ChannelAccount
from storage.workspaces import WorkspaceKey

WRITTEN = datetime(2026, 3, 1, 9, 30, 15, 123000, tzinfo=UTC)


def account(account_id: str) -> ChannelAccount:
    return ChannelAccount(WorkspaceKey("", "T1"), "C1", "ops", account_id, account_id, "arn", "ext")


def a_case(**changes: object) -> CaseSummary:
    values: dict[str, object] = {
        "case_id": "case-210987654321-2026-abc",
        "display_id": "1700000001",
        "subject": "Disk full",
        "status": "pending-customer-action",
        "severity_code": "high",
        "service_code": "s",
        "category_code": "c",
        "submitted_by": "x",
        "time_created": WRITTEN,
        "language": "en",
        "cc_emails": (),
        "account_id": "210987654321",
        "account_shown": "Prod (210987654321)",
    }
    return CaseSummary(**(values | changes))  # type: ignore[arg-type]


def test_the_choices_that_change_the_modal_dispatch_and_the_others_do_not() -> None:
    view = create_case_modal([account("210987654321"), account("310987654321")])
    dispatching = {b["block_id"] for b in view["blocks"] if b.get("dispatch_action")}
    assert dispatching == {CASE_ACCOUNT_BLOCK, ISSUE_TYPE_BLOCK, SERVICE_BLOCK, CATEGORY_BLOCK}
    assert SUBJECT_BLOCK not in dispatching


def test_show_full_message_names_the_correspondence_it_expands() -> None:
    long = Communication("word " * 1000, "Amazon Web Services", WRITTEN)
    case = a_case(recent=(long,))
    [button] = [
        b["accessory"] for b in case_details_blocks(case) if b.get("accessory", {}).get("type") == "button"
    ]
    assert button["value"] == full_message_value(case, long)
    assert parse_full_message_value(button["value"]) == (CaseRef.of(case), WRITTEN)
    undated = Communication("x", "y", None)
    assert parse_full_message_value(full_message_value(case, undated)) == (CaseRef.of(case), None)


def test_a_case_message_has_plain_text_with_what_matters() -> None:
    assert case_text(a_case()) == (
        "Case 1700000001: Disk full (Production system impaired, Pending customer action) in AWS account "
        "Prod (210987654321)"
    )


def test_view_state_carries_who_signs_and_from_which_channel() -> None:
    state = ViewState("C1", case_id="case-1", channel_name="ops", actor_name="Jane Doe")
    assert ViewState.decode(state.encode()) == state
