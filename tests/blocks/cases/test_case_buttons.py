"""What the case listeners rely on in the case blocks: dispatching choices, the "Show full message" value, the
fallback text of a case message."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from bolt_app.blocks.cases.forms import create_case_modal
from bolt_app.blocks.cases.messages import case_details_blocks
from bolt_app.blocks.cases.messages import case_text
from bolt_app.blocks.cases.messages import full_message_value
from bolt_app.blocks.cases.messages import parse_full_message_value
from bolt_app.blocks.cases.parts import CaseRef
from bolt_app.blocks.cases.parts import ViewState
from bolt_app.services.cases.fields import CASE_ACCOUNT_BLOCK
from bolt_app.services.cases.fields import CATEGORY_BLOCK
from bolt_app.services.cases.fields import ISSUE_TYPE_BLOCK
from bolt_app.services.cases.fields import SERVICE_BLOCK
from bolt_app.services.cases.fields import SUBJECT_BLOCK
from bolt_app.services.cases.models import CaseSummary
from bolt_app.services.cases.models import Communication
from tests.blocks.cases import kit

WRITTEN = datetime(2026, 3, 1, 9, 30, 15, 123000, tzinfo=UTC)


def a_case(**changes: object) -> CaseSummary:
    return kit.a_case(**({"subject": "Disk full", "status": "pending-customer-action"} | changes))


def test_the_choices_that_change_the_modal_dispatch_and_the_others_do_not() -> None:
    view = create_case_modal([kit.PROD, kit.DEV])
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
