"""Case messages: a case's summary and details, its correspondence, and search results (with their buttons)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bolt_app.blocks.cases.parts import BUTTON_VALUE_CHARS
from bolt_app.blocks.cases.parts import EDIT_SEARCH_ACTION
from bolt_app.blocks.cases.parts import FIELD_CHARS
from bolt_app.blocks.cases.parts import FULL_MESSAGE_VIEW
from bolt_app.blocks.cases.parts import MESSAGE_PREVIEW_CHARS
from bolt_app.blocks.cases.parts import NEXT_RESULTS_ACTION
from bolt_app.blocks.cases.parts import PREVIOUS_CORRESPONDENCE_ACTION
from bolt_app.blocks.cases.parts import PREVIOUS_RESULTS_ACTION
from bolt_app.blocks.cases.parts import REOPEN_ACTION
from bolt_app.blocks.cases.parts import REPLY_ACTION
from bolt_app.blocks.cases.parts import RESOLVE_ACTION
from bolt_app.blocks.cases.parts import SEARCH_STATUSES
from bolt_app.blocks.cases.parts import SECTION_CHARS
from bolt_app.blocks.cases.parts import SEE_DETAILS_ACTION
from bolt_app.blocks.cases.parts import SHARE_ACTION
from bolt_app.blocks.cases.parts import SHOW_FULL_MESSAGE_ACTION
from bolt_app.blocks.cases.parts import SUPPORT_CENTER_ACTION
from bolt_app.blocks.cases.parts import CaseRef
from bolt_app.blocks.cases.parts import button_value
from bolt_app.blocks.cases.parts import cut
from bolt_app.blocks.cases.parts import display_id
from bolt_app.blocks.cases.parts import message_blocks
from bolt_app.blocks.cases.parts import opened_by
from bolt_app.blocks.cases.parts import service_shown
from bolt_app.blocks.cases.parts import severity_name
from bolt_app.blocks.cases.parts import status_name
from bolt_app.blocks.cases.parts import support_center_url
from bolt_app.blocks.cases.parts import when
from bolt_app.blocks.common import Block
from bolt_app.blocks.common import View
from bolt_app.blocks.common import actions
from bolt_app.blocks.common import button
from bolt_app.blocks.common import confirm_dialog
from bolt_app.blocks.common import context
from bolt_app.blocks.common import divider
from bolt_app.blocks.common import escape
from bolt_app.blocks.common import link_button
from bolt_app.blocks.common import modal
from bolt_app.blocks.common import section
from bolt_app.services.cases.fields import LANGUAGES
from bolt_app.services.cases.models import CaseSummary
from bolt_app.services.cases.models import Communication
from bolt_app.services.cases.models import SearchFilter
from bolt_app.services.cases.models import SearchPage

# ---------------------------------------------------------------------------------------------------------------
# A case
# ---------------------------------------------------------------------------------------------------------------


def resolve_confirm(case: CaseSummary) -> dict[str, Any]:
    """The "Resolve case" confirmation dialog (on the Resolve case button)."""
    return confirm_dialog(
        "Resolve case",
        f"Resolve case {display_id(case)}: {cut(escape(case.subject), 150)}? It can be reopened later.",
        "Resolve case",
        style="danger",
    )


def _case_buttons(case: CaseSummary, *, details: bool, share: bool, previous: bool) -> list[dict[str, Any]]:
    ref = CaseRef.of(case).encode()
    buttons: list[dict[str, Any]] = []
    if details:
        buttons.append(button("See details", SEE_DETAILS_ACTION, ref, style="primary"))
    buttons.append(button("Reply", REPLY_ACTION, ref))
    if case.resolved:
        buttons.append(button("Reopen case", REOPEN_ACTION, ref))
    else:
        # Not red: resolving is an everyday step, and the confirmation it opens is where the danger is shown.
        buttons.append(button("Resolve case", RESOLVE_ACTION, ref, confirm=resolve_confirm(case)))
    if previous:
        buttons.append(button("Previous correspondence", PREVIOUS_CORRESPONDENCE_ACTION, ref))
    if share:
        buttons.append(button("Share to channel", SHARE_ACTION, ref))
    url = support_center_url(case)
    if url:
        buttons.append(link_button("View in Support Center", SUPPORT_CENTER_ACTION, url))
    return buttons


def case_facts(case: CaseSummary, *, opener: bool = True) -> str:
    """The context line under a case's headline: account, service, who opened it and when."""
    who = f"Opened by {opened_by(case)} · " if opener else ""
    return (
        f"AWS account: {escape(case.account_shown)} · Service: {service_shown(case)} · "
        f"{who}{when(case.time_created)}"
    )


def _headline(case: CaseSummary, severity_names: Mapping[str, str] | None) -> str:
    return (
        f"*Case {display_id(case)}: {cut(escape(case.subject), 300)}*\n"
        f"Severity: {escape(severity_name(case.severity_code, severity_names))} · Status: {status_name(case.status)}"
    )


def case_text(case: CaseSummary, severity_names: Mapping[str, str] | None = None) -> str:
    """The top-level text of a case message (notifications and screen readers show it; Slack reads it as mrkdwn)."""
    return escape(
        f"Case {display_id(case)}: {case.subject} ({severity_name(case.severity_code, severity_names)}, "
        f"{status_name(case.status)}) in AWS account {case.account_shown}"
    )


def case_summary_blocks(
    case: CaseSummary,
    *,
    severity_names: Mapping[str, str] | None = None,
    shared_by: str | None = None,
    happened: str | None = None,
) -> list[Block]:
    """A case in a few lines (a notification, or a case shared to the channel): See details, Reply, Resolve.
    `happened` (a notification's root) leads the context line with what happened and who did it."""
    facts = f"{happened} · {case_facts(case, opener=False)}" if happened else case_facts(case)
    blocks = [
        section(_headline(case, severity_names)),
        context(facts),
        actions(*_case_buttons(case, details=True, share=False, previous=False)),
    ]
    if shared_by:
        blocks.append(context(f"Shared by <@{shared_by}>"))
    return message_blocks(blocks)


def _details_fields(
    case: CaseSummary,
    severity_names: Mapping[str, str] | None,
    service_names: Mapping[str, str] | None,
    category_names: Mapping[str, str] | None,
) -> list[dict[str, Any]]:
    values = [
        ("Case ID", display_id(case)),
        ("Status", status_name(case.status)),
        ("Severity", escape(severity_name(case.severity_code, severity_names))),
        ("Service", service_shown(case, service_names)),
        ("Category", escape((category_names or {}).get(case.category_code) or case.category_code or "—")),
        ("Created", when(case.time_created)),
        ("Opened by", opened_by(case)),
        ("AWS account", escape(case.account_shown)),
        ("Contact language", LANGUAGES.get(case.language, case.language or "—")),
        ("Additional contacts", escape(", ".join(case.cc_emails)) or "—"),
    ]
    return [{"type": "mrkdwn", "text": cut(f"*{k}*\n{v}", FIELD_CHARS)} for k, v in values]


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def full_message_value(case: CaseSummary, communication: Communication) -> str:
    """The "Show full message" button's value: the case, and which correspondence (by its time) to show whole."""
    at = communication.time_created.isoformat() if communication.time_created else None
    return json.dumps({"ref": CaseRef.of(case).encode(), "at": at}, separators=(",", ":"))


def parse_full_message_value(value: str) -> tuple[CaseRef, datetime | None]:
    doc = json.loads(value)
    return CaseRef.decode(str(doc["ref"])), datetime.fromisoformat(doc["at"]) if doc.get("at") else None


def correspondence_blocks(
    communication: Communication, case: CaseSummary, *, full: bool = False, heading: str = "Correspondence"
) -> list[Block]:
    """One correspondence; long bodies are cut at a safe length with "Show full message" (or shown whole)."""
    title = f"*{heading}* from {escape(communication.submitted_by)}, {when(communication.time_created)}"
    body = escape(communication.body)
    blocks: list[Block]
    if full:
        blocks = [section(title)] + [section(chunk) for chunk in _chunks(body, SECTION_CHARS)]
    elif len(body) > MESSAGE_PREVIEW_CHARS:
        more = button("Show full message", SHOW_FULL_MESSAGE_ACTION, full_message_value(case, communication))
        blocks = [section(f"{title}\n{cut(body, MESSAGE_PREVIEW_CHARS)}", accessory=more)]
    else:
        blocks = [section(f"{title}\n{body}")]
    if communication.attachment_names:
        blocks.append(context("Attachments: " + escape(", ".join(communication.attachment_names))))
    return blocks


def case_details_blocks(
    case: CaseSummary,
    *,
    severity_names: Mapping[str, str] | None = None,
    service_names: Mapping[str, str] | None = None,
    category_names: Mapping[str, str] | None = None,
    full_message: bool = False,
) -> list[Block]:
    """ "See details": the case's fields, the latest correspondence, and what can be done with the case."""
    blocks: list[Block] = [
        section(f"*{cut(escape(case.subject), 500)}*"),
        {
            "type": "section",
            "fields": _details_fields(case, severity_names, service_names, category_names),
        },
    ]
    if case.recent:
        blocks.append(divider())
        blocks += correspondence_blocks(
            case.recent[0], case, full=full_message, heading="Latest correspondence"
        )
    previous = len(case.recent) > 1 or case.more_communications
    blocks.append(actions(*_case_buttons(case, details=False, share=True, previous=previous)))
    return message_blocks(blocks)


def previous_correspondence_blocks(
    case: CaseSummary, communications: Sequence[Communication], next_token: str | None
) -> list[Block]:
    """A page of "Previous correspondence", newest first, with a button for the older ones when there are any."""
    blocks: list[Block] = [section(f"*Previous correspondence of case {display_id(case)}*")]
    for communication in communications:
        blocks.append(divider())
        blocks += correspondence_blocks(communication, case)
    if not communications:
        blocks.append(context("No correspondence."))
    if next_token:
        value = json.dumps({"ref": CaseRef.of(case).encode(), "next": next_token}, separators=(",", ":"))
        if len(value) <= BUTTON_VALUE_CHARS:
            blocks.append(actions(button("Previous correspondence", PREVIOUS_CORRESPONDENCE_ACTION, value)))
    return message_blocks(blocks)


def full_message_modal(case: CaseSummary, communication: Communication) -> View:
    """ "Show full message": one correspondence, whole (8000 characters fit in three sections)."""
    return modal(
        FULL_MESSAGE_VIEW,
        f"Case {display_id(case)}",
        correspondence_blocks(communication, case, full=True),
        close="Close",
    )


def _failed_accounts_text(failed: Mapping[str, str]) -> str:
    """One section for any number of failed accounts (a channel may have 100): cut with "…and N more"."""
    lines = [f"• *{escape(shown)}*: {escape(message)}" for shown, message in failed.items()]
    text = ":warning: These AWS accounts could not be searched:\n"
    for i, line in enumerate(lines):
        tail = f"…and {len(lines) - i} more accounts."
        if len(text) + len(line) + 1 + len(tail) > SECTION_CHARS:
            return text + tail
        text += line + "\n"
    return text.rstrip()


def search_words(search: SearchFilter) -> str:
    """The filter that produced a page of results, in words ("All open cases · created from 1 Nov 2026 …")."""
    if search.display_id:
        return f"case ID {escape(search.display_id)}"
    parts = [SEARCH_STATUSES.get(search.status, search.status)]
    if search.after and search.before:
        parts.append(f"created {search.after:%-d %b %Y} to {search.before:%-d %b %Y}")
    elif search.after:
        parts.append(f"created from {search.after:%-d %b %Y}")
    elif search.before:
        parts.append(f"created until {search.before:%-d %b %Y}")
    parts.append(f"in {LANGUAGES.get(search.language or 'en', search.language or 'English')}")
    parts.append(f"account {search.account_id}" if search.account_id else "all accounts of this channel")
    return " · ".join(parts)


def search_results_blocks(
    page: SearchPage, page_number: int, *, severity_names: Mapping[str, str] | None = None
) -> list[Block]:
    """A page of 5 cases with "See details" and "Share to channel", the account of each, paging buttons, and the
    accounts that could not be searched and why."""
    blocks: list[Block] = []
    if page.cases:
        first, last = page.offset + 1, page.offset + len(page.cases)
        blocks.append(section(f"*Search results* {first}–{last} of {page.total} (page {page_number})"))
    else:
        blocks.append(section("*Search results*: no case matches this search."))
    if page.search is not None:
        blocks.append(context(f"Searched for: {search_words(page.search)}"))
    for case in page.cases:
        ref = CaseRef.of(case).encode()
        blocks += [
            divider(),
            section(_headline(case, severity_names)),
            context(case_facts(case)),
            actions(
                button("See details", SEE_DETAILS_ACTION, ref, style="primary"),
                button("Share to channel", SHARE_ACTION, ref),
            ),
        ]
    if page.accounts_failed:
        blocks += [divider(), section(_failed_accounts_text(page.accounts_failed))]
    if page.accounts_truncated:
        names = ", ".join(page.accounts_truncated)
        blocks.append(
            context(cut(f"Only the newest 100 matches of {escape(names)} are shown; narrow the dates.", 3000))
        )
    paging: list[dict[str, Any]] = []
    if page.previous_token:
        paging.append(
            button("Previous 5 results", PREVIOUS_RESULTS_ACTION, button_value(page.previous_token))
        )
    if page.next_token:
        paging.append(button("Next 5 results", NEXT_RESULTS_ACTION, button_value(page.next_token)))
    paging.append(button("Edit Search", EDIT_SEARCH_ACTION))
    blocks.append(actions(*paging))
    return message_blocks(blocks)
