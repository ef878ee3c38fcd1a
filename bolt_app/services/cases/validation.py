"""The rules of the case forms (pure): every wrong field of a submission at once, in the words shown under it."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bolt_app.services.cases import fields
from bolt_app.services.cases.models import Attachment
from bolt_app.services.cases.models import CaseDraft
from bolt_app.services.cases.models import InvalidInput
from bolt_app.services.cases.models import MessageDraft
from bolt_app.services.cases.models import NewCase
from bolt_app.services.cases.models import NewMessage
from bolt_app.services.cases.models import SearchFilter

# The HTML standard's "valid e-mail address" (what browsers accept in <input type=email>): it rejects typos
# such as a missing "@", spaces or stray brackets, and accepts every address a mail system really hands out.
# email.utils.parseaddr validates nothing ("foo" parses), and the full RFC 5322 grammar admits quoted and
# commented forms that AWS Support would refuse; AWS makes the final check anyway. A dot is required in the
# domain: a case contact is never a local host.
_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)
_EMAIL_SEPARATORS = re.compile(r"[,;\s]+")
_DISPLAY_ID = re.compile(r"\d{1,20}")


def signature_line(actor_name: str, channel_name: str) -> str:
    return f"Submitted from Slack by {actor_name} in #{channel_name}"


def signed_body(text: str, actor_name: str, channel_name: str) -> str:
    """The communication body AWS receives: the user's text, a blank line, and who sent it from where."""
    return f"{text}\n\n{signature_line(actor_name, channel_name)}"


def split_emails(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """Addresses separated by commas, semicolons, spaces or new lines; duplicates dropped, order kept."""
    if value is None:
        return ()
    parts = [value] if isinstance(value, str) else list(value)
    seen: dict[str, str] = {}
    for part in parts:
        for address in _EMAIL_SEPARATORS.split(part.strip()):
            if address and address.lower() not in seen:
                seen[address.lower()] = address
    return tuple(seen.values())


def _cc_error(emails: tuple[str, ...]) -> str | None:
    if len(emails) > fields.MAX_CC_EMAILS:
        return (
            f"Additional contacts to notify: at most {fields.MAX_CC_EMAILS} email addresses (you entered "
            f"{len(emails)})."
        )
    bad = [e for e in emails if len(e) > fields.MAX_EMAIL_CHARS or not _EMAIL.fullmatch(e)]
    if bad:
        return f"Additional contacts to notify: {', '.join(bad[:3])} is not an email address."
    return None


def attachment_problem(files: Sequence[tuple[str, int]]) -> str | None:
    """What is wrong with these (file name, size in bytes), if anything. Usable with Slack's file metadata
    before downloading anything."""
    if len(files) > fields.MAX_ATTACHMENTS:
        return (
            f"Attachments: at most {fields.MAX_ATTACHMENTS} files per case or reply (you chose {len(files)})."
        )
    for name, size in files:
        if size > fields.MAX_ATTACHMENT_BYTES:
            return (
                f"Attachments: {name} is {size / (1024 * 1024):.1f} MB; AWS Support accepts files of at most "
                f"{fields.MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB."
            )
        if size == 0:
            return f"Attachments: {name} is empty."
    return None


def _body_error(label: str, text: str, actor_name: str, channel_name: str) -> str | None:
    if not text:
        return f"{label} is required."
    total = len(signed_body(text, actor_name, channel_name))
    if total > fields.MAX_BODY_CHARS:
        return (
            f"{label} is too long: with the line “{signature_line(actor_name, channel_name)}” that the app "
            f"adds, it is {total} characters and AWS Support accepts {fields.MAX_BODY_CHARS}. Shorten it by "
            f"{total - fields.MAX_BODY_CHARS} characters."
        )
    return None


def _message_errors(
    block: str,
    label: str,
    text: str,
    emails: tuple[str, ...],
    attachments: Sequence[Attachment],
    actor_name: str,
    channel_name: str,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    problems = {
        block: _body_error(label, text, actor_name, channel_name),
        fields.CC_BLOCK: _cc_error(emails),
        fields.ATTACHMENTS_BLOCK: attachment_problem([(a.file_name, len(a.data)) for a in attachments]),
    }
    for block_id, problem in problems.items():
        if problem:
            errors[block_id] = problem
    return errors


def new_case_errors(
    draft: CaseDraft, *, attachments: Sequence[Attachment] = (), actor_name: str, channel_name: str
) -> dict[str, str]:
    """Every problem of a create-case form at once: block id -> message."""
    errors: dict[str, str] = {}
    subject = (draft.subject or "").strip()
    if not subject:
        errors[fields.SUBJECT_BLOCK] = "Subject is required."
    elif len(subject) > fields.MAX_SUBJECT_CHARS:
        errors[fields.SUBJECT_BLOCK] = (
            f"Subject is {len(subject)} characters; at most {fields.MAX_SUBJECT_CHARS} are allowed."
        )
    errors |= _message_errors(
        fields.DESCRIPTION_BLOCK,
        "Description",
        (draft.description or "").strip(),
        split_emails(draft.cc_emails),
        attachments,
        actor_name,
        channel_name,
    )
    if draft.issue_type not in fields.ISSUE_TYPES:
        errors[fields.ISSUE_TYPE_BLOCK] = "Issue type is required: Technical, or Account and billing."
    required = {
        fields.SERVICE_BLOCK: (draft.service_code, "Service"),
        fields.CATEGORY_BLOCK: (draft.category_code, "Category"),
        fields.SEVERITY_BLOCK: (draft.severity_code, "Severity"),
        fields.LANGUAGE_BLOCK: (draft.language, "Contact language"),
    }
    for block_id, (value, label) in required.items():
        if not value:
            errors[block_id] = f"{label} is required."
    if draft.language and draft.language not in fields.LANGUAGES:
        errors[fields.LANGUAGE_BLOCK] = (
            f"Contact language must be one of {', '.join(fields.LANGUAGES.values())}."
        )
    return dict(sorted(errors.items(), key=lambda kv: _FORM_ORDER.index(kv[0])))


_FORM_ORDER = [
    fields.SUBJECT_BLOCK,
    fields.DESCRIPTION_BLOCK,
    fields.ISSUE_TYPE_BLOCK,
    fields.SERVICE_BLOCK,
    fields.CATEGORY_BLOCK,
    fields.SEVERITY_BLOCK,
    fields.LANGUAGE_BLOCK,
    fields.CC_BLOCK,
    fields.ATTACHMENTS_BLOCK,
]


def validate_new_case(
    draft: CaseDraft, *, attachments: Sequence[Attachment] = (), actor_name: str, channel_name: str
) -> NewCase:
    """The form as a `NewCase`, or `InvalidInput` naming every wrong field."""
    InvalidInput.check(
        new_case_errors(draft, attachments=attachments, actor_name=actor_name, channel_name=channel_name)
    )
    return NewCase(
        subject=(draft.subject or "").strip(),
        description=(draft.description or "").strip(),
        issue_type=str(draft.issue_type),
        service_code=str(draft.service_code),
        category_code=str(draft.category_code),
        severity_code=str(draft.severity_code),
        language=str(draft.language),
        cc_emails=split_emails(draft.cc_emails),
        attachments=tuple(attachments),
    )


def reply_errors(
    draft: MessageDraft, *, attachments: Sequence[Attachment] = (), actor_name: str, channel_name: str
) -> dict[str, str]:
    """Every problem of a reply (or reopen) form at once: block id -> message."""
    text, emails = (draft.message or "").strip(), split_emails(draft.cc_emails)
    return _message_errors(
        fields.MESSAGE_BLOCK, "Message", text, emails, attachments, actor_name, channel_name
    )


def validate_reply(
    draft: MessageDraft, *, attachments: Sequence[Attachment] = (), actor_name: str, channel_name: str
) -> NewMessage:
    """The reply as a `NewMessage`, or `InvalidInput` naming every wrong field."""
    InvalidInput.check(
        reply_errors(draft, attachments=attachments, actor_name=actor_name, channel_name=channel_name)
    )
    return NewMessage((draft.message or "").strip(), split_emails(draft.cc_emails), tuple(attachments))


def validate_search(search: SearchFilter) -> SearchFilter:
    """The filter, or `InvalidInput` when its dates are reversed or the case ID is not one."""
    errors: dict[str, str] = {}
    if search.after and search.before and search.after > search.before:
        errors[fields.SEARCH_BEFORE_BLOCK] = "The end of the date range is before its start."
    if search.display_id is not None and not _DISPLAY_ID.fullmatch(search.display_id.strip()):
        errors[fields.SEARCH_CASE_ID_BLOCK] = "A case ID is a number, as shown on the case (e.g. 1234567890)."
    InvalidInput.check(errors)
    if search.display_id is not None:
        return SearchFilter(display_id=search.display_id.strip(), account_id=search.account_id)
    return search
