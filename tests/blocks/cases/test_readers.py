"""What the case modals' readers make of a submission's `view.state`."""

from __future__ import annotations

from datetime import date
from typing import Any

from bolt_app.blocks.cases.parts import ALL_ACCOUNTS
from bolt_app.blocks.cases.parts import CATEGORY_ACTION
from bolt_app.blocks.cases.parts import SERVICE_ACTION
from bolt_app.blocks.cases.readers import read_case_form
from bolt_app.blocks.cases.readers import read_message_form
from bolt_app.blocks.cases.readers import read_search_form
from bolt_app.services.cases import fields
from bolt_app.services.cases.models import SearchFilter


def test_the_create_case_form_reads_back_every_field() -> None:
    def select(value: str) -> dict[str, Any]:
        return {"type": "static_select", "selected_option": {"value": value}}

    state = {
        "values": {
            fields.CASE_ACCOUNT_BLOCK: {"value": select("310987654321")},
            fields.SUBJECT_BLOCK: {"value": {"type": "plain_text_input", "value": "S"}},
            fields.DESCRIPTION_BLOCK: {"value": {"type": "plain_text_input", "value": "D"}},
            fields.ISSUE_TYPE_BLOCK: {"value": select("technical")},
            fields.SERVICE_BLOCK: {
                SERVICE_ACTION: {"type": "external_select", "selected_option": {"value": "aws-lambda"}}
            },
            fields.CATEGORY_BLOCK: {CATEGORY_ACTION: {"type": "external_select", "selected_option": None}},
            fields.SEVERITY_BLOCK: {"value": select("low")},
            fields.LANGUAGE_BLOCK: {"value": select("en")},
            fields.CC_BLOCK: {"value": {"type": "plain_text_input", "value": None}},
            fields.ATTACHMENTS_BLOCK: {
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
    message = read_message_form({"values": {fields.MESSAGE_BLOCK: {"value": {"value": "Hi"}}}})
    assert (message.message, message.cc_emails, message.files) == ("Hi", None, ())


def test_the_search_form_reads_back_as_a_filter() -> None:
    state = {
        "values": {
            fields.SEARCH_ACCOUNT_BLOCK: {
                "value": {"type": "static_select", "selected_option": {"value": ALL_ACCOUNTS}}
            },
            fields.SEARCH_AFTER_BLOCK: {"value": {"type": "datepicker", "selected_date": "2026-01-01"}},
            fields.SEARCH_STATUS_BLOCK: {
                "value": {"type": "static_select", "selected_option": {"value": "all"}}
            },
            fields.SEARCH_CASE_ID_BLOCK: {"value": {"type": "plain_text_input", "value": " "}},
        }
    }
    assert read_search_form(state) == SearchFilter(after=date(2026, 1, 1), status="all")
