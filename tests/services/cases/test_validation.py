"""The case form rules (pure): every wrong field at once, in words that name it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bolt_app.services.cases.fields import CC_BLOCK
from bolt_app.services.cases.fields import DESCRIPTION_BLOCK
from bolt_app.services.cases.fields import MESSAGE_BLOCK
from bolt_app.services.cases.fields import SEARCH_BEFORE_BLOCK
from bolt_app.services.cases.fields import SEARCH_CASE_ID_BLOCK
from bolt_app.services.cases.fields import SUBJECT_BLOCK
from bolt_app.services.cases.models import CaseDraft
from bolt_app.services.cases.models import InvalidInput
from bolt_app.services.cases.models import MessageDraft
from bolt_app.services.cases.models import NewCase
from bolt_app.services.cases.models import SearchFilter
from bolt_app.services.cases.validation import signature_line
from bolt_app.services.cases.validation import split_emails
from bolt_app.services.cases.validation import validate_new_case
from bolt_app.services.cases.validation import validate_reply
from bolt_app.services.cases.validation import validate_search


def test_search_filter_validation_names_the_field() -> None:
    with pytest.raises(InvalidInput) as reversed_dates:
        validate_search(SearchFilter(after=date(2024, 2, 2), before=date(2024, 2, 1)))
    assert SEARCH_BEFORE_BLOCK in reversed_dates.value.errors
    with pytest.raises(InvalidInput) as bad_id:
        validate_search(SearchFilter(display_id="case-123"))
    assert bad_id.value.field == SEARCH_CASE_ID_BLOCK


def validate_form(values: dict[str, Any]) -> NewCase:
    """`validate_new_case` of a form given as one dict, the signature line's names included."""
    names = {"actor_name", "channel_name", "attachments"}
    draft = CaseDraft(**{k: v for k, v in values.items() if k not in names})
    return validate_new_case(
        draft,
        attachments=values.get("attachments", ()),
        actor_name=values["actor_name"],
        channel_name=values["channel_name"],
    )


FORM: dict[str, Any] = {
    "subject": "Subject",
    "description": "Description",
    "issue_type": "technical",
    "service_code": "aws-lambda",
    "category_code": "performance",
    "severity_code": "low",
    "language": "en",
    "actor_name": "Jane Doe",
    "channel_name": "support",
}


def test_the_description_limit_counts_the_signature_line() -> None:
    signature = len("\n\n" + signature_line("Jane Doe", "support"))
    ok = validate_form(FORM | {"description": "d" * (8000 - signature)})
    assert len(ok.description) == 8000 - signature
    with pytest.raises(InvalidInput) as too_long:
        validate_form(FORM | {"description": "d" * (8001 - signature)})
    message = too_long.value.errors[DESCRIPTION_BLOCK]
    assert (
        "Submitted from Slack by Jane Doe in #support" in message and "Shorten it by 1 characters" in message
    )


def test_every_wrong_field_is_reported_at_once() -> None:
    with pytest.raises(InvalidInput) as invalid:
        validate_form(FORM | {"subject": "", "description": "", "cc_emails": "x", "severity_code": None})
    assert list(invalid.value.errors) == [SUBJECT_BLOCK, DESCRIPTION_BLOCK, "severity", CC_BLOCK]
    assert invalid.value.field == SUBJECT_BLOCK


def test_a_reply_needs_a_message_and_keeps_the_same_limits() -> None:
    with pytest.raises(InvalidInput) as invalid:
        validate_reply(MessageDraft(" ", "a@b"), actor_name="Jane", channel_name="support")
    assert set(invalid.value.errors) == {MESSAGE_BLOCK, CC_BLOCK}
    reply = validate_reply(
        MessageDraft(" Thanks ", "a@example.com\nb@example.org;A@example.com"),
        actor_name="J",
        channel_name="c",
    )
    assert reply.message == "Thanks" and reply.cc_emails == ("a@example.com", "b@example.org")


def test_cc_addresses_split_on_commas_whitespace_and_new_lines() -> None:
    assert split_emails("a@x.io,b@x.io  c@x.io\nd@x.io;") == ("a@x.io", "b@x.io", "c@x.io", "d@x.io")
    assert split_emails(["a@x.io", "a@x.io"]) == ("a@x.io",)
    assert split_emails(None) == ()
