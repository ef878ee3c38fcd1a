"""The case modals: create, reply, reopen and search (their readers are in `readers`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bolt_app.blocks.cases.parts import ALL_ACCOUNTS
from bolt_app.blocks.cases.parts import CATEGORY_ACTION
from bolt_app.blocks.cases.parts import CREATE_CASE_VIEW
from bolt_app.blocks.cases.parts import REOPEN_CASE_VIEW
from bolt_app.blocks.cases.parts import REPLY_CASE_VIEW
from bolt_app.blocks.cases.parts import SEARCH_CASES_VIEW
from bolt_app.blocks.cases.parts import SEARCH_STATUSES
from bolt_app.blocks.cases.parts import SERVICE_ACTION
from bolt_app.blocks.cases.parts import SEVERITY_ACTION
from bolt_app.blocks.cases.parts import SEVERITY_MEANINGS
from bolt_app.blocks.cases.parts import SEVERITY_ORDER
from bolt_app.blocks.cases.parts import TEXT_INPUT_CHARS
from bolt_app.blocks.cases.parts import cut
from bolt_app.blocks.cases.parts import display_id
from bolt_app.blocks.cases.parts import severity_name
from bolt_app.blocks.common import MAX_OPTIONS
from bolt_app.blocks.common import Block
from bolt_app.blocks.common import View
from bolt_app.blocks.common import context
from bolt_app.blocks.common import cut_options
from bolt_app.blocks.common import divider
from bolt_app.blocks.common import escape
from bolt_app.blocks.common import modal
from bolt_app.blocks.common import option
from bolt_app.blocks.common import plain
from bolt_app.blocks.common import section
from bolt_app.blocks.common import text_input
from bolt_app.services.cases import fields
from bolt_app.services.cases.models import CaseSummary
from bolt_app.services.cases.models import SearchFilter
from bolt_app.services.cases.models import SupportedLanguage
from bolt_app.services.cases.models import SupportService
from bolt_app.services.choice import Choice
from bolt_app.services.context import ChannelAccount


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
        "options": cut_options(options),
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


def _file_input(block_id: str = fields.ATTACHMENTS_BLOCK) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": plain("Attachments"),
        "element": {"type": "file_input", "action_id": "value", "max_files": fields.MAX_ATTACHMENTS},
        "hint": plain(f"Up to {fields.MAX_ATTACHMENTS} files of at most 5 MB each."),
    }


def _cc_input(initial: str | None = None) -> Block:
    return text_input(
        fields.CC_BLOCK,
        "Additional contacts to notify",
        initial=initial or None,
        optional=True,
        multiline=True,
        placeholder="name@example.com, other@example.com",
        hint=f"Up to {fields.MAX_CC_EMAILS} email addresses, separated by commas or new lines.",
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


def _account_select(
    block_id: str,
    accounts: Sequence[ChannelAccount],
    *,
    initial_value: str | None,
    first: Sequence[dict[str, Any]] = (),
    rest_where: str,
    dispatch: bool = False,
) -> Block:
    """A static select of the channel's accounts; past Slack's 100 options its hint says how many are left
    out and where they are. The initial account is always among the options shown."""
    room = MAX_OPTIONS - len(first)
    shown = list(accounts[:room])
    chosen = next((a for a in accounts if a.account_id == initial_value), None)
    if chosen and chosen not in shown:
        shown[-1] = chosen
    hint = None
    if len(accounts) > len(shown):
        hidden = len(accounts) - len(shown)
        hint = f"{len(shown)} of the {len(accounts)} accounts are listed; … and {hidden} more: {rest_where}"
    options = [*first, *(option(a.account_shown, a.account_id) for a in shown)]
    return _select(
        block_id, "AWS account", options, initial_value=initial_value, hint=hint, dispatch=dispatch
    )


# ---------------------------------------------------------------------------------------------------------------
# Create case
# ---------------------------------------------------------------------------------------------------------------


def language_options(languages: Sequence[SupportedLanguage] = ()) -> list[dict[str, Any]]:
    if languages:
        return [option(lang.name or lang.display or lang.code, lang.code) for lang in languages]
    return [option(name, code) for code, name in fields.LANGUAGES.items()]


def severity_options(levels: Sequence[Choice]) -> list[dict[str, Any]]:
    """The plan's severities, mildest ("General guidance") first, each saying what it is for in AWS's words."""
    ordered = sorted(levels, key=lambda level: SEVERITY_ORDER.get(level.code, len(SEVERITY_ORDER)))
    return cut_options(
        [option(level.name, level.code, description=SEVERITY_MEANINGS.get(level.code)) for level in ordered]
    )


CONSOLE_CONTACT_NOTE = (
    "Chat and phone contact are available in the "
    "<https://support.console.aws.amazon.com/support/home#/case/create|AWS Support Center console>; "
    "cases opened here are answered by email and in Slack."
)


def create_case_modal(
    accounts: Sequence[ChannelAccount],
    *,
    prefill: CaseFormPrefill = CaseFormPrefill(),
    severity_levels: Sequence[Choice] = (),
    languages: Sequence[SupportedLanguage] = (),
    private_metadata: str = "",
    notice: str | None = None,
) -> View:
    """ "Create a support case": what AWS needs first (account, subject, description, issue type, service,
    category, severity), then the optional fields after a divider. The AWS account select appears only when the
    channel has several accounts; the only one is named instead.
    Severity is a static select once `severity_levels` are known, else an external select (`SEVERITY_ACTION`)."""
    blocks: list[Block] = []
    if notice:
        blocks.append(section(f":warning: {escape(notice)}"))
    if len(accounts) == 1:
        # As in the original, no field to fill in: the channel's one account is already chosen, and said.
        blocks.append(context(f"AWS account: *{escape(accounts[0].account_shown)}*"))
    elif accounts:
        blocks.append(
            _account_select(
                fields.CASE_ACCOUNT_BLOCK,
                accounts,
                initial_value=prefill.account_id,
                rest_where="an admin can configure them on a channel of their own to open cases there.",
                dispatch=True,
            )
        )
    blocks += [
        text_input(
            fields.SUBJECT_BLOCK,
            "Subject",
            initial=cut(prefill.subject, fields.MAX_SUBJECT_CHARS) or None,
            max_length=fields.MAX_SUBJECT_CHARS,
        ),
        text_input(
            fields.DESCRIPTION_BLOCK,
            "Description",
            initial=cut(prefill.description, TEXT_INPUT_CHARS) or None,
            multiline=True,
            max_length=TEXT_INPUT_CHARS,
            hint="How you use the service, what happened, and what you already tried.",
        ),
        _select(
            fields.ISSUE_TYPE_BLOCK,
            "Issue type",
            [option(name, code) for code, name in fields.ISSUE_TYPES.items()],
            initial_value=prefill.issue_type,
            dispatch=True,
        ),
        _external_select(
            fields.SERVICE_BLOCK,
            "Service",
            SERVICE_ACTION,
            prefill.service,
            "Choose a service",
            dispatch=True,
        ),
        _external_select(
            fields.CATEGORY_BLOCK,
            "Category",
            CATEGORY_ACTION,
            prefill.category,
            "Choose the service first",
            dispatch=True,
        ),
        _severity_block(prefill.severity_code, severity_levels),
        context(CONSOLE_CONTACT_NOTE),
        divider(),
        context("*Optional*"),
        _select(
            fields.LANGUAGE_BLOCK,
            "Contact language",
            language_options(languages),
            initial_value=prefill.language,
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


SEVERITY_HINT = (
    "From General guidance (a question) to Business-critical system down (critical functions unavailable); "
    "each choice says what it is for. The higher the severity, the sooner AWS answers."
)


def _severity_block(code: str | None, levels: Sequence[Choice]) -> Block:
    if levels:
        block = _select(fields.SEVERITY_BLOCK, "Severity", severity_options(levels), initial_value=code)
    else:
        initial = Choice(code, severity_name(code)) if code else None
        block = _external_select(
            fields.SEVERITY_BLOCK, "Severity", SEVERITY_ACTION, initial, "Choose a severity"
        )
    block["hint"] = plain(SEVERITY_HINT)
    return block


def _matches(query: str, *texts: str) -> bool:
    q = query.strip().lower()
    return not q or any(q in t.lower() for t in texts)


def service_options(services: Sequence[SupportService], query: str = "") -> list[dict[str, Any]]:
    """Options for the Service external select (there are more services than a static select holds)."""
    return cut_options([option(s.name, s.code) for s in services if _matches(query, s.name, s.code)])


def category_options(
    services: Sequence[SupportService], service_code: str | None, query: str = ""
) -> list[dict[str, Any]]:
    """Options for the Category external select: the categories of the chosen service (none before)."""
    service = next((s for s in services if s.code == service_code), None)
    if service is None:
        return []
    return cut_options(
        [option(c.name, c.code) for c in service.categories if _matches(query, c.name, c.code)]
    )


# ---------------------------------------------------------------------------------------------------------------
# Reply, reopen
# ---------------------------------------------------------------------------------------------------------------


def _message_input(label: str = "Message") -> Block:
    return text_input(fields.MESSAGE_BLOCK, label, multiline=True, max_length=TEXT_INPUT_CHARS)


def reply_modal(case: CaseSummary, *, private_metadata: str = "") -> View:
    blocks = [
        context(f"Case {display_id(case)}: {cut(escape(case.subject), 300)} · {escape(case.account_shown)}"),
        _message_input(),
        _cc_input(),
        _file_input(),
    ]
    return modal(
        REPLY_CASE_VIEW, "Reply to case", blocks, submit="Send message", private_metadata=private_metadata
    )


def reopen_modal(case: CaseSummary, *, private_metadata: str = "") -> View:
    blocks = [
        context(f"Case {display_id(case)}: {cut(escape(case.subject), 300)} · {escape(case.account_shown)}"),
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
            _account_select(
                fields.SEARCH_ACCOUNT_BLOCK,
                accounts,
                initial_value=search.account_id or ALL_ACCOUNTS,
                first=[option("All accounts", ALL_ACCOUNTS)],
                rest_where="choose All accounts to search theirs too.",
            )
        )
    blocks += [
        _datepicker(fields.SEARCH_AFTER_BLOCK, "Created from", search.after),
        _datepicker(fields.SEARCH_BEFORE_BLOCK, "Created until", search.before),
        _select(
            fields.SEARCH_STATUS_BLOCK,
            "Case status",
            [option(name, code) for code, name in SEARCH_STATUSES.items()],
            initial_value=search.status,
        ),
        _select(
            fields.SEARCH_LANGUAGE_BLOCK,
            "Case created in",
            language_options(languages),
            initial_value=search.language or "en",
        ),
        text_input(
            fields.SEARCH_CASE_ID_BLOCK,
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
