"""What the case blocks share: view and action ids, Slack's size limits, the references buttons and modals carry,
and the small text pieces (escaping, dates, names of severities and statuses)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from dataclasses import dataclass
from datetime import datetime

from bolt_app.blocks.common import Block
from bolt_app.blocks.common import escape
from bolt_app.identifiers import is_account_id
from bolt_app.identifiers import is_case_id
from bolt_app.services.cases.models import CaseSummary

CREATE_CASE_VIEW = "create_case_view"
SEARCH_CASES_VIEW = "search_cases_view"
REPLY_CASE_VIEW = "reply_case_view"
REOPEN_CASE_VIEW = "reopen_case_view"
FULL_MESSAGE_VIEW = "case_full_message_view"

SERVICE_ACTION = "case_service"
CATEGORY_ACTION = "case_category"
SEVERITY_ACTION = "case_severity"
SEE_DETAILS_ACTION = "case_see_details"
REPLY_ACTION = "case_reply"
RESOLVE_ACTION = "case_resolve"
REOPEN_ACTION = "case_reopen"
SHARE_ACTION = "case_share"
SUPPORT_CENTER_ACTION = "case_support_center"  # a link button: its click is only acknowledged
SHOW_FULL_MESSAGE_ACTION = "case_show_full_message"
PREVIOUS_CORRESPONDENCE_ACTION = "case_previous_correspondence"
NEXT_RESULTS_ACTION = "search_next_results"
PREVIOUS_RESULTS_ACTION = "search_previous_results"
EDIT_SEARCH_ACTION = "search_edit"

ALL_ACCOUNTS = "all"  # the search modal's "All accounts" option value

SECTION_CHARS = 3000
FIELD_CHARS = 2000
MESSAGE_PREVIEW_CHARS = 2500  # room for the heading of the correspondence in one 3000-char section
MAX_MESSAGE_BLOCKS = 50
BUTTON_VALUE_CHARS = 2000
PRIVATE_METADATA_CHARS = 3000
TEXT_INPUT_CHARS = 3000

SEVERITY_NAMES = {
    "low": "General guidance",
    "normal": "System impaired",
    "high": "Production system impaired",
    "urgent": "Production system down",
    "critical": "Business-critical system down",
}
SEVERITY_ORDER = {code: i for i, code in enumerate(SEVERITY_NAMES)}
# What each level is for, after AWS's own descriptions (Support Center's "Choosing a severity"), cut to
# Slack's 75 characters of an option's description.
SEVERITY_MEANINGS = {
    "low": "A general development question, or a feature request",
    "normal": "Non-critical functions behave abnormally, or a time-sensitive question",
    "high": "Important functions of your application are impaired or degraded",
    "urgent": "Business significantly impacted; important functions unavailable",
    "critical": "Business at risk; critical functions of your application unavailable",
}
STATUS_NAMES = {
    "opened": "Opened",
    "unassigned": "Unassigned",
    "work-in-progress": "Work in progress",
    "pending-customer-action": "Pending customer action",
    "customer-action-completed": "Customer action completed",
    "reopened": "Reopened",
    "resolved": "Resolved",
}
SEARCH_STATUSES = {"open": "All open cases", "resolved": "Resolved", "all": "All cases"}


@dataclass(frozen=True)
class CaseRef:
    """Which case a button is about: the account says which channel role to use, the language how to find it."""

    account_id: str
    case_id: str
    language: str | None = None

    def encode(self) -> str:
        return f"{self.account_id}:{self.case_id}:{self.language or ''}"

    @classmethod
    def of(cls, case: CaseSummary) -> CaseRef:
        return cls(case.account_id, case.case_id, case.language or None)

    @classmethod
    def decode(cls, value: str) -> CaseRef:
        account_id, case_id, language = (value.split(":") + ["", ""])[:3]
        if not is_account_id(account_id) or not is_case_id(case_id):
            raise ValueError(f"not a case reference: {value!r}")
        return cls(account_id, case_id, language or None)


@dataclass(frozen=True)
class ViewState:
    """What a modal must remember between opening and submission (its `private_metadata`)."""

    channel_id: str
    account_id: str | None = None
    case_id: str | None = None
    language: str | None = None
    message_ts: str | None = None  # the message a shortcut prefilled from, or the message to update
    thread_ts: str | None = None
    channel_name: str | None = None  # as configured: the "in #channel" of the signature line AWS receives
    actor_name: str | None = None  # the "by <name>" of that line, once Slack said who the user is
    severities: list[str] | None = (
        None  # the severities offered, when the channel's member policy narrows them
    )

    def encode(self) -> str:
        text = json.dumps({k: v for k, v in asdict(self).items() if v is not None}, separators=(",", ":"))
        if len(text) > PRIVATE_METADATA_CHARS:
            raise ValueError(f"private_metadata would be {len(text)} characters; Slack keeps 3000")
        return text

    @classmethod
    def decode(cls, text: str) -> ViewState:
        doc = json.loads(text or "{}")
        return cls(**{k: doc.get(k) for k in cls.__dataclass_fields__ if k in doc})


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def when(moment: datetime | None, unknown: str = "unknown") -> str:
    """A Slack date token: every reader sees it in their own time zone."""
    if moment is None:
        return unknown
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def display_id(case: CaseSummary) -> str:
    return case.display_id or case.case_id


SUPPORT_CENTER_CASE_URL = "https://support.console.aws.amazon.com/support/home#/case/?displayId={}"


def support_center_url(case: CaseSummary) -> str | None:
    """The case in the AWS Support Center console (once AWS gave it a display ID)."""
    return SUPPORT_CENTER_CASE_URL.format(case.display_id) if case.display_id else None


def opened_by(case: CaseSummary) -> str:
    """The Slack person who opened the case through the app, else whom AWS names (the console, the API)."""
    if case.opened_by:
        return f"<@{case.opened_by}>"
    return escape(case.submitted_by) if case.submitted_by else "unknown"


def service_shown(case: CaseSummary, names: Mapping[str, str] | None = None) -> str:
    return escape((names or {}).get(case.service_code) or case.service_name or case.service_code or "—")


def severity_name(code: str, names: Mapping[str, str] | None = None) -> str:
    return (names or {}).get(code) or SEVERITY_NAMES.get(code) or code or "unknown"


def status_name(status: str) -> str:
    return STATUS_NAMES.get(status, status.replace("-", " ").capitalize() or "unknown")


def message_blocks(blocks: list[Block]) -> list[Block]:
    return blocks[:MAX_MESSAGE_BLOCKS]


def button_value(text: str) -> str:
    if len(text) > BUTTON_VALUE_CHARS:
        raise ValueError(f"button value of {len(text)} characters; Slack keeps {BUTTON_VALUE_CHARS}")
    return text
