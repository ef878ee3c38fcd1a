"""Reading the case modals back: what a submitted modal's `view.state` says, as raw values for the rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from typing import cast

from bolt_app.blocks.cases.parts import ALL_ACCOUNTS
from bolt_app.blocks.cases.parts import SEARCH_STATUSES
from bolt_app.blocks.common import NOT_A_CHOICE
from bolt_app.file_hosts import SLACK_FILE_HOST
from bolt_app.file_hosts import is_slack_file_url
from bolt_app.services.cases import fields
from bolt_app.services.cases.models import CaseDraft
from bolt_app.services.cases.models import CaseStatusFilter
from bolt_app.services.cases.models import MessageDraft
from bolt_app.services.cases.models import SearchFilter

SLACK_FILE_URL = f"https://{SLACK_FILE_HOST}/"  # what a file without a URL in the form is taken to be


@dataclass(frozen=True)
class SlackFile:
    """A file chosen in a file_input; its size is known before downloading (check `attachment_problem`)."""

    id: str
    name: str
    size: int
    url: str
    remote: bool = False  # a link to a file stored outside Slack (`is_external`, or not on Slack's file host)


@dataclass(frozen=True)
class CaseForm(CaseDraft):
    """The create-case modal's raw values: the draft `validate_new_case` checks, the account and the files."""

    account_id: str | None = None
    files: tuple[SlackFile, ...] = ()


@dataclass(frozen=True)
class MessageForm(MessageDraft):
    """The reply or reopen modal's raw values: the draft `validate_reply` checks, and the files."""

    files: tuple[SlackFile, ...] = ()


def _element(state: Mapping[str, Any], block_id: str) -> dict[str, Any]:
    block = state.get("values", {}).get(block_id) or {}
    return next(iter(block.values()), {}) if block else {}


def _read(state: Mapping[str, Any], block_id: str) -> str | None:
    element = _element(state, block_id)
    if "selected_option" in element:
        selected = element["selected_option"]
        return str(selected["value"]) if selected and selected["value"] != NOT_A_CHOICE else None
    if "selected_date" in element:
        return element["selected_date"]
    return element.get("value")


def _files(state: Mapping[str, Any]) -> tuple[SlackFile, ...]:
    return tuple(
        SlackFile(
            str(f.get("id", "")),
            str(f.get("name") or f.get("title") or "file"),
            int(f.get("size") or 0),
            str(f.get("url_private_download") or f.get("url_private") or ""),
            bool(f.get("is_external"))
            or not is_slack_file_url(
                str(f.get("url_private_download") or f.get("url_private") or SLACK_FILE_URL)
            ),
        )
        for f in _element(state, fields.ATTACHMENTS_BLOCK).get("files") or []
    )


def read_case_form(state: Mapping[str, Any]) -> CaseForm:
    return CaseForm(
        account_id=_read(state, fields.CASE_ACCOUNT_BLOCK),
        subject=_read(state, fields.SUBJECT_BLOCK),
        description=_read(state, fields.DESCRIPTION_BLOCK),
        issue_type=_read(state, fields.ISSUE_TYPE_BLOCK),
        service_code=_read(state, fields.SERVICE_BLOCK),
        category_code=_read(state, fields.CATEGORY_BLOCK),
        severity_code=_read(state, fields.SEVERITY_BLOCK),
        language=_read(state, fields.LANGUAGE_BLOCK),
        cc_emails=_read(state, fields.CC_BLOCK),
        files=_files(state),
    )


def read_message_form(state: Mapping[str, Any]) -> MessageForm:
    return MessageForm(_read(state, fields.MESSAGE_BLOCK), _read(state, fields.CC_BLOCK), files=_files(state))


def read_search_form(state: Mapping[str, Any]) -> SearchFilter:
    """The search modal as a filter (check it with `validate_search`)."""
    after, before = _read(state, fields.SEARCH_AFTER_BLOCK), _read(state, fields.SEARCH_BEFORE_BLOCK)
    account = _read(state, fields.SEARCH_ACCOUNT_BLOCK)
    status = _read(state, fields.SEARCH_STATUS_BLOCK)
    return SearchFilter(
        after=date.fromisoformat(after) if after else None,
        before=date.fromisoformat(before) if before else None,
        status=cast(CaseStatusFilter, status if status in SEARCH_STATUSES else "open"),
        language=_read(state, fields.SEARCH_LANGUAGE_BLOCK),
        display_id=(_read(state, fields.SEARCH_CASE_ID_BLOCK) or "").strip() or None,
        account_id=None if account in (None, ALL_ACCOUNTS) else account,
    )
