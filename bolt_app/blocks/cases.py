"""Blocks for support cases: the create, search, reply and reopen modals, case summaries and details, search
results, and the options of the Service / Category / Severity selects. Labels follow the original product."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any, cast

from bolt_app.blocks.common import (
    Block,
    View,
    actions,
    button,
    confirm_dialog,
    context,
    divider,
    escape,
    modal,
    option,
    plain,
    section,
    text_input,
)
from bolt_app.file_hosts import SLACK_FILE_HOST, is_slack_file_url
from bolt_app.identifiers import is_account_id, is_case_id
from bolt_app.services.cases import (
    ATTACHMENTS_BLOCK,
    CASE_ACCOUNT_BLOCK,
    CATEGORY_BLOCK,
    CC_BLOCK,
    DESCRIPTION_BLOCK,
    ISSUE_TYPE_BLOCK,
    ISSUE_TYPES,
    LANGUAGE_BLOCK,
    LANGUAGES,
    MAX_ATTACHMENTS,
    MAX_CC_EMAILS,
    MAX_SUBJECT_CHARS,
    MESSAGE_BLOCK,
    SEARCH_ACCOUNT_BLOCK,
    SEARCH_AFTER_BLOCK,
    SEARCH_BEFORE_BLOCK,
    SEARCH_CASE_ID_BLOCK,
    SEARCH_LANGUAGE_BLOCK,
    SEARCH_STATUS_BLOCK,
    SERVICE_BLOCK,
    SEVERITY_BLOCK,
    SUBJECT_BLOCK,
    CaseStatusFilter,
    CaseSummary,
    Choice,
    Communication,
    SearchFilter,
    SearchPage,
    SupportedLanguage,
    SupportService,
)
from bolt_app.services.context import ChannelAccount

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
MAX_OPTIONS = 100
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


# ---------------------------------------------------------------------------------------------------------------
# References carried by buttons and views
# ---------------------------------------------------------------------------------------------------------------


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

    def encode(self) -> str:
        text = json.dumps({k: v for k, v in asdict(self).items() if v is not None}, separators=(",", ":"))
        if len(text) > PRIVATE_METADATA_CHARS:
            raise ValueError(f"private_metadata would be {len(text)} characters; Slack keeps 3000")
        return text

    @classmethod
    def decode(cls, text: str) -> ViewState:
        doc = json.loads(text or "{}")
        return cls(**{k: doc.get(k) for k in cls.__dataclass_fields__ if k in doc})


@dataclass(frozen=True)
class CaseFormPrefill:
    """Initial values of the create-case modal (from a message shortcut, or a form shown again)."""

    subject: str = ""
    description: str = ""
    account_id: str | None = None
    issue_type: str = "technical"
    service: Choice | None = None
    category: Choice | None = None
    severity_code: str | None = None
    language: str = "en"
    cc_emails: str = ""


# ---------------------------------------------------------------------------------------------------------------
# Small pieces
# ---------------------------------------------------------------------------------------------------------------


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _when(moment: datetime | None) -> str:
    """A Slack date token: every reader sees it in their own time zone."""
    if moment is None:
        return "unknown"
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def _display_id(case: CaseSummary) -> str:
    return case.display_id or case.case_id


def severity_name(code: str, names: Mapping[str, str] | None = None) -> str:
    return (names or {}).get(code) or SEVERITY_NAMES.get(code) or code or "unknown"


def status_name(status: str) -> str:
    return STATUS_NAMES.get(status, status.replace("-", " ").capitalize() or "unknown")


def _select(
    block_id: str,
    label: str,
    options: list[dict[str, Any]],
    *,
    initial_value: str | None = None,
    optional: bool = False,
    hint: str | None = None,
    dispatch: bool = False,
) -> Block:
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": "value",
        "options": options[:MAX_OPTIONS],
    }
    initial = next((o for o in options if o["value"] == initial_value), None)
    if initial:
        element["initial_option"] = initial
    block: Block = {"type": "input", "block_id": block_id, "label": plain(label), "element": element}
    if optional:
        block["optional"] = True
    if hint:
        block["hint"] = plain(hint)
    if dispatch:
        block["dispatch_action"] = True
    return block


def _external_select(
    block_id: str,
    label: str,
    action_id: str,
    initial: Choice | None,
    placeholder: str,
    *,
    dispatch: bool = False,
) -> Block:
    element: dict[str, Any] = {
        "type": "external_select",
        "action_id": action_id,
        "min_query_length": 0,
        "placeholder": plain(placeholder),
    }
    if initial:
        element["initial_option"] = option(initial.name, initial.code)
    block: Block = {"type": "input", "block_id": block_id, "label": plain(label), "element": element}
    if dispatch:
        block["dispatch_action"] = True  # a choice changes what the modal offers (severities, languages)
    return block


def _file_input(block_id: str = ATTACHMENTS_BLOCK) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": plain("Attachments"),
        "element": {"type": "file_input", "action_id": "value", "max_files": MAX_ATTACHMENTS},
        "hint": plain(f"Up to {MAX_ATTACHMENTS} files of at most 5 MB each."),
    }


def _cc_input(initial: str | None = None) -> Block:
    return text_input(
        CC_BLOCK,
        "Additional contacts to notify",
        initial=initial or None,
        optional=True,
        multiline=True,
        placeholder="name@example.com, other@example.com",
        hint=f"Up to {MAX_CC_EMAILS} email addresses, separated by commas or new lines.",
    )


def _datepicker(block_id: str, label: str, initial: date | None) -> Block:
    element: dict[str, Any] = {"type": "datepicker", "action_id": "value"}
    if initial:
        element["initial_date"] = initial.isoformat()
    return {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": plain(label),
        "element": element,
    }


def _account_options(accounts: Sequence[ChannelAccount]) -> list[dict[str, Any]]:
    return [option(a.account_shown, a.account_id) for a in accounts]


def _message(blocks: list[Block]) -> list[Block]:
    return blocks[:MAX_MESSAGE_BLOCKS]


def _value(text: str) -> str:
    if len(text) > BUTTON_VALUE_CHARS:
        raise ValueError(f"button value of {len(text)} characters; Slack keeps {BUTTON_VALUE_CHARS}")
    return text


# ---------------------------------------------------------------------------------------------------------------
# Create case
# ---------------------------------------------------------------------------------------------------------------


def language_options(languages: Sequence[SupportedLanguage] = ()) -> list[dict[str, Any]]:
    if languages:
        return [option(lang.name or lang.display or lang.code, lang.code) for lang in languages]
    return [option(name, code) for code, name in LANGUAGES.items()]


def severity_options(levels: Sequence[Choice]) -> list[dict[str, Any]]:
    return [option(level.name, level.code) for level in levels][:MAX_OPTIONS]


def create_case_modal(
    accounts: Sequence[ChannelAccount],
    *,
    prefill: CaseFormPrefill = CaseFormPrefill(),
    severity_levels: Sequence[Choice] = (),
    languages: Sequence[SupportedLanguage] = (),
    private_metadata: str = "",
    notice: str | None = None,
) -> View:
    """ "Create a support case". The AWS account select appears only when the channel has several accounts.
    Severity is a static select once `severity_levels` are known, else an external select (`SEVERITY_ACTION`)."""
    blocks: list[Block] = []
    if notice:
        blocks.append(section(f":warning: {escape(notice)}"))
    if len(accounts) > 1:
        blocks.append(
            _select(
                CASE_ACCOUNT_BLOCK,
                "AWS account",
                _account_options(accounts),
                initial_value=prefill.account_id,
                dispatch=True,
            )
        )
    blocks += [
        text_input(
            SUBJECT_BLOCK,
            "Subject",
            initial=_cut(prefill.subject, MAX_SUBJECT_CHARS) or None,
            max_length=MAX_SUBJECT_CHARS,
        ),
        text_input(
            DESCRIPTION_BLOCK,
            "Description",
            initial=_cut(prefill.description, TEXT_INPUT_CHARS) or None,
            multiline=True,
            max_length=TEXT_INPUT_CHARS,
            hint="How you use the service, what happened, and what you already tried.",
        ),
        _select(
            ISSUE_TYPE_BLOCK,
            "Issue type",
            [option(name, code) for code, name in ISSUE_TYPES.items()],
            initial_value=prefill.issue_type,
            dispatch=True,
        ),
        _external_select(
            SERVICE_BLOCK, "Service", SERVICE_ACTION, prefill.service, "Choose a service", dispatch=True
        ),
        _external_select(
            CATEGORY_BLOCK,
            "Category",
            CATEGORY_ACTION,
            prefill.category,
            "Choose the service first",
            dispatch=True,
        ),
    ]
    if severity_levels:
        blocks.append(
            _select(
                SEVERITY_BLOCK,
                "Severity",
                severity_options(severity_levels),
                initial_value=prefill.severity_code,
            )
        )
    else:
        initial = (
            Choice(prefill.severity_code, severity_name(prefill.severity_code))
            if prefill.severity_code
            else None
        )
        blocks.append(
            _external_select(SEVERITY_BLOCK, "Severity", SEVERITY_ACTION, initial, "Choose a severity")
        )
    blocks += [
        _select(
            LANGUAGE_BLOCK, "Contact language", language_options(languages), initial_value=prefill.language
        ),
        _cc_input(prefill.cc_emails),
        _file_input(),
    ]
    return modal(
        CREATE_CASE_VIEW,
        "Create a support case",
        blocks,
        submit="Create case",
        private_metadata=private_metadata,
    )


def _matches(query: str, *texts: str) -> bool:
    q = query.strip().lower()
    return not q or any(q in t.lower() for t in texts)


def service_options(services: Sequence[SupportService], query: str = "") -> list[dict[str, Any]]:
    """Options for the Service external select (there are more services than a static select holds)."""
    return [option(s.name, s.code) for s in services if _matches(query, s.name, s.code)][:MAX_OPTIONS]


def category_options(
    services: Sequence[SupportService], service_code: str | None, query: str = ""
) -> list[dict[str, Any]]:
    """Options for the Category external select: the categories of the chosen service (none before)."""
    service = next((s for s in services if s.code == service_code), None)
    if service is None:
        return []
    return [option(c.name, c.code) for c in service.categories if _matches(query, c.name, c.code)][
        :MAX_OPTIONS
    ]


# ---------------------------------------------------------------------------------------------------------------
# A case
# ---------------------------------------------------------------------------------------------------------------


def resolve_confirm(case: CaseSummary) -> dict[str, Any]:
    """The "Resolve case" confirmation dialog (on the Resolve case button)."""
    return confirm_dialog(
        "Resolve case",
        f"Resolve case {_display_id(case)}: {_cut(escape(case.subject), 150)}? It can be reopened later.",
        "Resolve case",
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
        buttons.append(
            button("Resolve case", RESOLVE_ACTION, ref, style="danger", confirm=resolve_confirm(case))
        )
    if previous:
        buttons.append(button("Previous correspondence", PREVIOUS_CORRESPONDENCE_ACTION, ref))
    if share:
        buttons.append(button("Share to channel", SHARE_ACTION, ref))
    return buttons


def _headline(case: CaseSummary, severity_names: Mapping[str, str] | None) -> str:
    return (
        f"*Case {_display_id(case)}: {_cut(escape(case.subject), 300)}*\n"
        f"Severity: {escape(severity_name(case.severity_code, severity_names))} · Status: {status_name(case.status)}"
    )


def case_text(case: CaseSummary, severity_names: Mapping[str, str] | None = None) -> str:
    """The top-level text of a case message (notifications and screen readers show it; Slack reads it as mrkdwn)."""
    return escape(
        f"Case {_display_id(case)}: {case.subject} ({severity_name(case.severity_code, severity_names)}, "
        f"{status_name(case.status)}) in AWS account {case.account_shown}"
    )


def case_summary_blocks(
    case: CaseSummary,
    *,
    severity_names: Mapping[str, str] | None = None,
    shared_by: str | None = None,
) -> list[Block]:
    """A case in a few lines (a notification, or a case shared to the channel): See details, Reply, Resolve."""
    blocks = [
        section(_headline(case, severity_names)),
        context(f"AWS account: {escape(case.account_shown)} · Created {_when(case.time_created)}"),
        actions(*_case_buttons(case, details=True, share=False, previous=False)),
    ]
    if shared_by:
        blocks.append(context(f"Shared by <@{shared_by}>"))
    return _message(blocks)


def _details_fields(
    case: CaseSummary,
    severity_names: Mapping[str, str] | None,
    service_names: Mapping[str, str] | None,
    category_names: Mapping[str, str] | None,
) -> list[dict[str, Any]]:
    values = [
        ("Case ID", _display_id(case)),
        ("Status", status_name(case.status)),
        ("Severity", escape(severity_name(case.severity_code, severity_names))),
        ("Service", escape((service_names or {}).get(case.service_code) or case.service_code or "—")),
        ("Category", escape((category_names or {}).get(case.category_code) or case.category_code or "—")),
        ("Created", _when(case.time_created)),
        ("Submitted by", escape(case.submitted_by or "—")),
        ("AWS account", escape(case.account_shown)),
        ("Contact language", LANGUAGES.get(case.language, case.language or "—")),
        ("Additional contacts", escape(", ".join(case.cc_emails)) or "—"),
    ]
    return [{"type": "mrkdwn", "text": _cut(f"*{k}*\n{v}", FIELD_CHARS)} for k, v in values]


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
    title = f"*{heading}* from {escape(communication.submitted_by)}, {_when(communication.time_created)}"
    body = escape(communication.body)
    blocks: list[Block]
    if full:
        blocks = [section(title)] + [section(chunk) for chunk in _chunks(body, SECTION_CHARS)]
    elif len(body) > MESSAGE_PREVIEW_CHARS:
        more = button("Show full message", SHOW_FULL_MESSAGE_ACTION, full_message_value(case, communication))
        blocks = [section(f"{title}\n{_cut(body, MESSAGE_PREVIEW_CHARS)}", accessory=more)]
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
        section(f"*{_cut(escape(case.subject), 500)}*"),
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
    return _message(blocks)


def previous_correspondence_blocks(
    case: CaseSummary, communications: Sequence[Communication], next_token: str | None
) -> list[Block]:
    """A page of "Previous correspondence", newest first, with a button for the older ones when there are any."""
    blocks: list[Block] = [section(f"*Previous correspondence of case {_display_id(case)}*")]
    for communication in communications:
        blocks.append(divider())
        blocks += correspondence_blocks(communication, case)
    if not communications:
        blocks.append(context("No correspondence."))
    if next_token:
        value = json.dumps({"ref": CaseRef.of(case).encode(), "next": next_token}, separators=(",", ":"))
        if len(value) <= BUTTON_VALUE_CHARS:
            blocks.append(actions(button("Previous correspondence", PREVIOUS_CORRESPONDENCE_ACTION, value)))
    return _message(blocks)


def full_message_modal(case: CaseSummary, communication: Communication) -> View:
    """ "Show full message": one correspondence, whole (8000 characters fit in three sections)."""
    return modal(
        FULL_MESSAGE_VIEW,
        f"Case {_display_id(case)}",
        correspondence_blocks(communication, case, full=True),
        close="Close",
    )


# ---------------------------------------------------------------------------------------------------------------
# Reply, reopen
# ---------------------------------------------------------------------------------------------------------------


def _message_input(label: str = "Message") -> Block:
    return text_input(MESSAGE_BLOCK, label, multiline=True, max_length=TEXT_INPUT_CHARS)


def reply_modal(case: CaseSummary, *, private_metadata: str = "") -> View:
    blocks = [
        context(
            f"Case {_display_id(case)}: {_cut(escape(case.subject), 300)} · {escape(case.account_shown)}"
        ),
        _message_input(),
        _cc_input(),
        _file_input(),
    ]
    return modal(
        REPLY_CASE_VIEW, "Reply to case", blocks, submit="Send message", private_metadata=private_metadata
    )


def reopen_modal(case: CaseSummary, *, private_metadata: str = "") -> View:
    blocks = [
        context(
            f"Case {_display_id(case)}: {_cut(escape(case.subject), 300)} · {escape(case.account_shown)}"
        ),
        section("Tell AWS Support why the case needs more work; this message reopens it."),
        _message_input(),
        _cc_input(),
        _file_input(),
    ]
    return modal(
        REOPEN_CASE_VIEW, "Reopen case", blocks, submit="Send message", private_metadata=private_metadata
    )


# ---------------------------------------------------------------------------------------------------------------
# Search
# ---------------------------------------------------------------------------------------------------------------


def search_modal(
    accounts: Sequence[ChannelAccount],
    *,
    search: SearchFilter | None = None,
    languages: Sequence[SupportedLanguage] = (),
    private_metadata: str = "",
) -> View:
    search = search or SearchFilter()
    blocks: list[Block] = [section("I want to search for cases by filter options, or by a case ID.")]
    if len(accounts) > 1:
        blocks.append(
            _select(
                SEARCH_ACCOUNT_BLOCK,
                "AWS account",
                [option("All accounts", ALL_ACCOUNTS), *_account_options(accounts)],
                initial_value=search.account_id or ALL_ACCOUNTS,
            )
        )
    blocks += [
        _datepicker(SEARCH_AFTER_BLOCK, "Created from", search.after),
        _datepicker(SEARCH_BEFORE_BLOCK, "Created until", search.before),
        _select(
            SEARCH_STATUS_BLOCK,
            "Case status",
            [option(name, code) for code, name in SEARCH_STATUSES.items()],
            initial_value=search.status,
        ),
        _select(
            SEARCH_LANGUAGE_BLOCK,
            "Case created in",
            language_options(languages),
            initial_value=search.language or "en",
        ),
        text_input(
            SEARCH_CASE_ID_BLOCK,
            "Case ID",
            initial=search.display_id,
            optional=True,
            max_length=20,
            hint="One case ID, e.g. 1234567890. With a case ID the filters above are not used.",
        ),
    ]
    return modal(
        SEARCH_CASES_VIEW, "Search support cases", blocks, submit="Search", private_metadata=private_metadata
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
    for case in page.cases:
        ref = CaseRef.of(case).encode()
        blocks += [
            divider(),
            section(_headline(case, severity_names)),
            context(f"AWS account: {escape(case.account_shown)} · Created {_when(case.time_created)}"),
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
            context(
                _cut(f"Only the newest 100 matches of {escape(names)} are shown; narrow the dates.", 3000)
            )
        )
    paging: list[dict[str, Any]] = []
    if page.previous_token:
        paging.append(button("Previous 5 results", PREVIOUS_RESULTS_ACTION, _value(page.previous_token)))
    if page.next_token:
        paging.append(button("Next 5 results", NEXT_RESULTS_ACTION, _value(page.next_token)))
    paging.append(button("Edit Search", EDIT_SEARCH_ACTION))
    blocks.append(actions(*paging))
    return _message(blocks)


# ---------------------------------------------------------------------------------------------------------------
# Reading the modals back (`view.state`)
# ---------------------------------------------------------------------------------------------------------------


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
class CaseForm:
    """The create-case modal's raw values, for `validate_new_case`."""

    account_id: str | None
    subject: str | None
    description: str | None
    issue_type: str | None
    service_code: str | None
    category_code: str | None
    severity_code: str | None
    language: str | None
    cc_emails: str | None
    files: tuple[SlackFile, ...]


@dataclass(frozen=True)
class MessageForm:
    """The reply or reopen modal's raw values, for `validate_reply`."""

    message: str | None
    cc_emails: str | None
    files: tuple[SlackFile, ...]


def _element(state: Mapping[str, Any], block_id: str) -> dict[str, Any]:
    block = state.get("values", {}).get(block_id) or {}
    return next(iter(block.values()), {}) if block else {}


def _read(state: Mapping[str, Any], block_id: str) -> str | None:
    element = _element(state, block_id)
    if "selected_option" in element:
        selected = element["selected_option"]
        return str(selected["value"]) if selected else None
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
        for f in _element(state, ATTACHMENTS_BLOCK).get("files") or []
    )


def read_case_form(state: Mapping[str, Any]) -> CaseForm:
    return CaseForm(
        account_id=_read(state, CASE_ACCOUNT_BLOCK),
        subject=_read(state, SUBJECT_BLOCK),
        description=_read(state, DESCRIPTION_BLOCK),
        issue_type=_read(state, ISSUE_TYPE_BLOCK),
        service_code=_read(state, SERVICE_BLOCK),
        category_code=_read(state, CATEGORY_BLOCK),
        severity_code=_read(state, SEVERITY_BLOCK),
        language=_read(state, LANGUAGE_BLOCK),
        cc_emails=_read(state, CC_BLOCK),
        files=_files(state),
    )


def read_message_form(state: Mapping[str, Any]) -> MessageForm:
    return MessageForm(_read(state, MESSAGE_BLOCK), _read(state, CC_BLOCK), _files(state))


def read_search_form(state: Mapping[str, Any]) -> SearchFilter:
    """The search modal as a filter (check it with `validate_search`)."""
    after, before = _read(state, SEARCH_AFTER_BLOCK), _read(state, SEARCH_BEFORE_BLOCK)
    account = _read(state, SEARCH_ACCOUNT_BLOCK)
    status = _read(state, SEARCH_STATUS_BLOCK)
    return SearchFilter(
        after=date.fromisoformat(after) if after else None,
        before=date.fromisoformat(before) if before else None,
        status=cast(CaseStatusFilter, status if status in SEARCH_STATUSES else "open"),
        language=_read(state, SEARCH_LANGUAGE_BLOCK),
        display_id=(_read(state, SEARCH_CASE_ID_BLOCK) or "").strip() or None,
        account_id=None if account in (None, ALL_ACCOUNTS) else account,
    )
