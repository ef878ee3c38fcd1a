"""When AWS defers a case creation: which refusals mean "later, not never", and the words the submitter reads.

AWS refuses a create for a while when the account reached its API case limit (`CaseCreationLimitExceeded`, about
10 an hour), when the account's AWS budget is spoken for beyond a user's patience (`AwsBusy`, nothing sent), or
when it still throttles after the budget's retries. Nothing was created in any of the three: the case is saved
(storage/deferred_cases.py) and created later (bolt_app/services/cases/deferred.py). An answer that never came
back is not one of them: the case may exist, and that path asks AWS first.
"""

from __future__ import annotations

import random
from dataclasses import asdict
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from typing import Any

from bolt_app.aws.budget import THROTTLING_CODES
from bolt_app.aws.budget import AwsBusy
from bolt_app.aws.errors import AwsError
from bolt_app.mrkdwn import escape
from bolt_app.services.cases.models import Attachment
from bolt_app.services.cases.models import NewCase
from bolt_app.services.context import ChannelAccount
from bolt_app.services.context import SlackActor
from storage.deferred_cases import DeferredCaseRow
from storage.deferred_cases import NewDeferredCase

LIMIT, BUSY, THROTTLED = "limit", "busy", "throttled"
GIVE_UP_AFTER = timedelta(hours=24)
_FIRST_TRY = {LIMIT: timedelta(minutes=5), BUSY: timedelta(seconds=30), THROTTLED: timedelta(seconds=30)}


def deferral_reason(error: BaseException) -> str | None:
    """`limit`, `busy` or `throttled` when AWS refused the create for now and created nothing; else None."""
    if isinstance(error, AwsBusy):
        return BUSY
    if isinstance(error, AwsError):
        if error.code == "CaseCreationLimitExceeded":
            return LIMIT
        if error.code in THROTTLING_CODES:
            return THROTTLED
    return None


def next_try(reason: str, now: datetime) -> datetime:
    """When to try again: a few minutes after the case limit (AWS frees it as the hour moves on), shortly after
    a busy or throttled account; with jitter, so the deferrals of one account do not all come back at once."""
    base = _FIRST_TRY.get(reason, timedelta(minutes=1))
    return now + base * random.uniform(1.0, 1.5)


@dataclass(frozen=True)
class Deferred:
    """A create that AWS deferred: the case is saved and will be created and posted; `message` tells the user."""

    message: str


def _why(reason: str, account_shown: str) -> str:
    account = escape(account_shown)
    if reason == LIMIT:
        return (
            f"AWS has reached the number of support cases it accepts through the API for account {account} "
            "(about 10 an hour)"
        )
    if reason == BUSY:
        return f"AWS is busy for account {account}: its rate limit is spoken for by other requests"
    return f"AWS kept refusing requests for account {account} as too frequent (throttling)"


def deferred_message(reason: str, channel: ChannelAccount, subject: str) -> str:
    return (
        f"{_why(reason, channel.account_shown)}, so your case “{escape(subject)}” was not created yet. It is "
        "saved: the app will create it and post it in this channel as soon as AWS accepts it, and tell you. "
        "Do not submit it again."
    )


def new_deferral(
    channel: ChannelAccount, actor: SlackActor, new: NewCase, key: str, reason: str, now: datetime
) -> NewDeferredCase:
    fields = {k: v for k, v in asdict(new).items() if k not in ("attachments", "subject")}
    fields["cc_emails"] = list(new.cc_emails)
    return NewDeferredCase(
        channel=channel.channel,
        channel_name=channel.channel_name,
        account_id=channel.account_id,
        user_id=actor.user_id,
        user_name=actor.name,
        user_handle=actor.handle,
        home=actor.home,
        idempotency_key=key,
        subject=new.subject,
        fields=fields,
        reason=reason,
        submitted_at=now,
        next_attempt_at=next_try(reason, now),
        files=tuple(new.attachments),
    )


def actor_of(row: DeferredCaseRow) -> SlackActor:
    return SlackActor(
        row.channel.workspace,
        row.user_id,
        row.user_name,
        home=row.home,
        handle=row.user_handle,
    )


def case_of(row: DeferredCaseRow, files: list[Attachment]) -> NewCase:
    f: dict[str, Any] = row.fields
    return NewCase(
        subject=row.subject,
        description=str(f["description"]),
        issue_type=str(f["issue_type"]),
        service_code=str(f["service_code"]),
        category_code=str(f["category_code"]),
        severity_code=str(f["severity_code"]),
        language=str(f["language"]),
        cc_emails=tuple(f.get("cc_emails") or ()),
        attachments=tuple(files),
    )
