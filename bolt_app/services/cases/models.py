"""The values of support cases that cross layers: what a user asked for, what AWS answered, how to search."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from typing import Literal

from bolt_app.errors import UserFacingError
from bolt_app.services.choice import Choice
from storage.deferred_cases import Attachment

RESOLVED = "resolved"
CaseStatusFilter = Literal["open", "resolved", "all"]
MessageKind = Literal["reply", "reopen"]  # what a message sent to a case does


@dataclass(frozen=True)
class CaseDraft:
    """The create-case form as the user filled it in, not checked yet (`validate_new_case` checks it)."""

    subject: str | None = None
    description: str | None = None
    issue_type: str | None = None
    service_code: str | None = None
    category_code: str | None = None
    severity_code: str | None = None
    language: str | None = None
    cc_emails: str | None = None


@dataclass(frozen=True)
class MessageDraft:
    """The reply or reopen form as the user filled it in, not checked yet (`validate_reply` checks it)."""

    message: str | None = None
    cc_emails: str | None = None


@dataclass(frozen=True)
class NewCase:
    """A case as the user asked for it, already validated (`validate_new_case`)."""

    subject: str
    description: str
    issue_type: str  # "technical" | "customer-service"
    service_code: str
    category_code: str
    severity_code: str
    language: str
    cc_emails: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class NewMessage:
    """A reply (or the message that reopens a case), already validated (`validate_reply`)."""

    message: str
    cc_emails: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Communication:
    body: str
    submitted_by: str
    time_created: datetime | None
    attachment_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaseSummary:
    case_id: str
    display_id: str  # "" when AWS has not described the case yet
    subject: str
    status: str
    severity_code: str
    service_code: str
    category_code: str
    submitted_by: str
    time_created: datetime | None
    language: str
    cc_emails: tuple[str, ...]
    account_id: str
    account_shown: str
    recent: tuple[Communication, ...] = ()  # newest first, at most 5
    more_communications: bool = False  # older correspondence exists ("Previous correspondence")
    opened_by: str = ""  # the Slack user who opened it through this app ("" when opened elsewhere)
    service_name: str = ""  # the service by name, when the account's catalogue is at hand

    @property
    def resolved(self) -> bool:
        return self.status == RESOLVED


@dataclass(frozen=True)
class SearchFilter:
    """What to search for. `before` is the last creation day included. With `display_id` the other filters are
    ignored (a case ID names one case, whatever its date or status). `account_id` None: every account."""

    after: date | None = None
    before: date | None = None
    status: CaseStatusFilter = "open"
    language: str | None = None
    display_id: str | None = None
    account_id: str | None = None


@dataclass(frozen=True)
class SearchPage:
    cases: tuple[CaseSummary, ...]
    next_token: str | None
    accounts_failed: dict[str, str] = field(default_factory=dict)  # account shown -> what went wrong
    previous_token: str | None = None
    offset: int = 0  # index of the first case of this page among all results
    total: int = 0
    accounts_truncated: tuple[str, ...] = ()  # accounts with more matches than one search fetches
    search: SearchFilter | None = None  # what was searched for


@dataclass(frozen=True)
class Resolution:
    initial_status: str
    final_status: str


@dataclass(frozen=True)
class SupportService:
    code: str
    name: str
    categories: tuple[Choice, ...]


@dataclass(frozen=True)
class SupportedLanguage:
    code: str
    name: str  # "Japanese"
    display: str  # "日本語"


class InvalidInput(UserFacingError):
    """One or more fields are wrong; `errors` maps each block id to its message (a modal shows them all)."""

    def __init__(self, errors: dict[str, str]) -> None:
        first = next(iter(errors))
        super().__init__(" ".join(errors.values()), field=first)
        self.errors = errors

    @classmethod
    def check(cls, errors: dict[str, str]) -> None:
        """Raises for `errors` (block id -> message) unless there are none."""
        if errors:
            raise cls(errors)


class CaseNotResolved(UserFacingError):
    pass


class CaseAlreadyResolved(UserFacingError):
    pass
