"""Support cases at the service level: moto with IAM enforcement decides what each channel role may do."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.exceptions import ConnectTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine

from bolt_app.aws import budget as budget_module
from bolt_app.aws.budget import AwsBudget
from bolt_app.aws.case_errors import explain_case_error
from bolt_app.aws.errors import AwsError
from bolt_app.aws.errors import CallContext
from bolt_app.aws.sessions import AwsClients
from bolt_app.aws.sessions import RoleSessions
from bolt_app.errors import UserFacingError
from bolt_app.services.audited import AUDIT_OUTCOME_CHARS
from bolt_app.services.audited import DuplicateSubmission
from bolt_app.services.cases.fields import ATTACHMENTS_BLOCK
from bolt_app.services.cases.fields import CC_BLOCK
from bolt_app.services.cases.fields import DESCRIPTION_BLOCK
from bolt_app.services.cases.fields import MAX_ATTACHMENT_BYTES
from bolt_app.services.cases.fields import SERVICE_BLOCK
from bolt_app.services.cases.fields import SUBJECT_BLOCK
from bolt_app.services.cases.models import Attachment
from bolt_app.services.cases.models import CaseAlreadyResolved
from bolt_app.services.cases.models import CaseNotResolved
from bolt_app.services.cases.models import InvalidInput
from bolt_app.services.cases.models import NewCase
from bolt_app.services.cases.models import NewMessage
from bolt_app.services.cases.models import SearchFilter
from bolt_app.services.cases.search import search_filter_of
from bolt_app.services.cases.service import CaseService
from bolt_app.services.cases.validation import signature_line
from bolt_app.services.cases.validation import validate_search
from bolt_app.services.context import ChannelAccount
from bolt_app.services.context import SlackActor
from storage.audit import AuditEvent
from storage.audit import AuditRepository
from storage.audit import IdempotencyKeys
from storage.case_openers import CaseOpenerRepository
from storage.db import create_engine
from storage.workspaces import WorkspaceKey
from tests.fakes.aws import TEST_CLIENT_CONFIG
from tests.fakes.aws import AwsDouble
from tests.fakes.aws import allowing
from tests.services.cases.test_validation import FORM
from tests.services.cases.test_validation import validate_form

ACCOUNT = "210987654321"
OTHER_ACCOUNT = "310987654321"
EXTERNAL_ID = "external-id-01-" + "x" * 30
WORKSPACE = WorkspaceKey("", "T0001")
ACTOR = SlackActor.member(WORKSPACE, "U42", "Jane Doe")
WRITE_ONLY_POLICY = allowing("support:CreateCase", "support:AddAttachmentsToSet")


def new_case(**changes: Any) -> NewCase:
    values: dict[str, Any] = {
        "subject": "EC2 instance unreachable",
        "description": "i-0123 stopped answering at 10:00 UTC.",
        "issue_type": "technical",
        "service_code": "amazon-elastic-compute-cloud-linux",
        "category_code": "instance-issue",
        "severity_code": "high",
        "language": "en",
    }
    return NewCase(**(values | changes))


def channel_for(role_arn: str, account_id: str = ACCOUNT, name: str = "Prod") -> ChannelAccount:
    return ChannelAccount(
        workspace=WORKSPACE,
        channel_id="C0001",
        channel_name="support",
        account_id=account_id,
        account_shown=f"{name} ({account_id})",
        role_arn=role_arn,
        external_id=EXTERNAL_ID,
    )


def role(
    aws: AwsDouble, policy: Any = "full", account_id: str = ACCOUNT, name: str = "AWSSupportSlackRole"
) -> str:
    return aws.create_role(account_id, name, external_id=EXTERNAL_ID, policy=policy)


def make_service(engine: AsyncEngine, *, retries: bool = False) -> CaseService:
    """By default no retries: an injected error must reach the service once, as AWS's last answer would."""
    budget = AwsBudget() if retries else AwsBudget(read_attempts=1, write_attempts=1)
    return CaseService(
        RoleSessions(AwsClients(TEST_CLIENT_CONFIG), budget=budget),
        AuditRepository(engine),
        IdempotencyKeys(engine),
        CaseOpenerRepository(engine),
    )


@pytest.fixture
async def sqlite_engine(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(sqlite_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def any_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def service(sqlite_engine: AsyncEngine, aws: AwsDouble) -> CaseService:
    return make_service(sqlite_engine)


@pytest.fixture
def full(aws: AwsDouble) -> ChannelAccount:
    return channel_for(role(aws))


async def audit_rows(service: CaseService) -> list[AuditEvent]:
    return list(reversed(await service.audit.list(WORKSPACE)))


# ---------------------------------------------------------------------------------------------------------------
# The whole life of a case, and what a read-only role may do
# ---------------------------------------------------------------------------------------------------------------


async def test_full_access_role_creates_reads_replies_resolves_and_reopens_a_case(
    service: CaseService, full: ChannelAccount, aws: AwsDouble
) -> None:
    created = await service.create_case(full, ACTOR, new_case(cc_emails=("ops@example.com",)), "view-1")
    stored = aws.case(created.case_id)
    assert stored.subject == "EC2 instance unreachable" and stored.severity_code == "high"
    assert stored.cc_email_addresses == ["ops@example.com"] and stored.issue_type == "technical"
    assert stored.communications[0].body == (
        "i-0123 stopped answering at 10:00 UTC.\n\nSubmitted from Slack by Jane Doe in #support"
    )
    assert created.display_id == stored.display_id and created.account_shown == "Prod (210987654321)"
    assert stored.submitted_by.endswith("<T0001.U42>")  # the session name says who, in CloudTrail too

    aws.add_aws_reply(created.case_id, "Please send the instance's console output.")
    details = await service.details(full, ACTOR, created.case_id)
    assert details.status == "pending-customer-action"
    assert details.recent[0].body == "Please send the instance's console output."
    assert details.recent[0].submitted_by == "Amazon Web Services"

    await service.send_message(
        "reply", full, ACTOR, created.case_id, NewMessage("Attached.", ("dev@example.com",)), "reply-1"
    )
    assert aws.case(created.case_id).communications[-1].body.endswith(signature_line("Jane Doe", "support"))
    assert aws.case(created.case_id).communications[-1].cc_email_addresses == ["dev@example.com"]

    resolution = await service.resolve(full, ACTOR, created.case_id)
    assert resolution.final_status == "resolved" and aws.case(created.case_id).status == "resolved"

    await service.send_message(
        "reopen", full, ACTOR, created.case_id, NewMessage("It happened again.", ()), "reopen-1"
    )
    assert aws.case(created.case_id).status == "reopened"
    assert aws.case(created.case_id).communications[-1].body.startswith("It happened again.")


async def test_who_opened_a_case_here_is_on_its_details_and_search_results_not_on_cases_opened_elsewhere(
    service: CaseService, full: ChannelAccount, aws: AwsDouble
) -> None:
    created = await service.create_case(full, ACTOR, new_case(), "view-opener")
    assert created.opened_by == ACTOR.user_id
    elsewhere = aws.put_case(ACCOUNT, subject="Opened in the console")
    assert (await service.details(full, ACTOR, created.case_id)).opened_by == ACTOR.user_id
    assert (await service.details(full, ACTOR, elsewhere)).opened_by == ""
    page = await service.search([full], ACTOR, SearchFilter())
    assert {c.subject: c.opened_by for c in page.cases} == {
        "EC2 instance unreachable": ACTOR.user_id,
        "Opened in the console": "",
    }
    assert page.search == SearchFilter()
    assert {c.service_name for c in page.cases} == {""}  # no catalogue read yet: nothing asked of AWS for it
    names = {s.code: s.name for s in await service.services(full, ACTOR)}
    named = await service.search([full], ACTOR, SearchFilter())
    assert {c.service_name for c in named.cases} == {names[c.service_code] for c in named.cases}
    recent = await service.openers.recent(WORKSPACE, ACTOR.user_id)
    assert [(c.case_id, c.subject, c.channel_id) for c in recent] == [
        (created.case_id, "EC2 instance unreachable", full.channel_id)
    ]


async def test_read_only_role_searches_and_reads_but_cannot_create_reply_or_resolve(
    service: CaseService, aws: AwsDouble
) -> None:
    readonly_role = role(aws, "readonly")
    readonly = channel_for(readonly_role)
    case_id = aws.put_case(ACCOUNT, subject="Seeded")

    page = await service.search([readonly], ACTOR, SearchFilter(), None)
    assert [c.case_id for c in page.cases] == [case_id] and not page.accounts_failed
    assert (await service.details(readonly, ACTOR, case_id)).subject == "Seeded"

    attempts = {
        "support:CreateCase": service.create_case(readonly, ACTOR, new_case(), "view-ro"),
        "support:AddCommunicationToCase": service.send_message(
            "reply", readonly, ACTOR, case_id, NewMessage("hi", ()), "reply-ro"
        ),
        "support:ResolveCase": service.resolve(readonly, ACTOR, case_id),
    }
    for action, attempt in attempts.items():
        with pytest.raises(AwsError) as denied:
            await attempt
        assert action in denied.value.message and readonly_role in denied.value.message
        assert "Prod (210987654321)" in denied.value.message and denied.value.code == "AccessDenied"
    assert len(aws.cases(ACCOUNT)) == 1 and aws.case(case_id).status == "opened"
    assert len(aws.case(case_id).communications) == 1


async def test_a_channel_with_two_accounts_searches_each_with_its_own_role_and_reports_the_failure(
    service: CaseService, aws: AwsDouble
) -> None:
    prod = channel_for(role(aws), ACCOUNT, "Prod")
    staging_role = role(aws, "none", OTHER_ACCOUNT)
    staging = channel_for(staging_role, OTHER_ACCOUNT, "Staging")
    now = datetime.now(UTC)
    older = aws.put_case(ACCOUNT, subject="older", time_created=now - timedelta(hours=2))
    newer = aws.put_case(ACCOUNT, subject="newer", time_created=now - timedelta(hours=1))
    aws.put_case(OTHER_ACCOUNT, subject="staging case")

    page = await service.search([prod, staging], ACTOR, SearchFilter(), None)

    assert [c.case_id for c in page.cases] == [newer, older]
    assert {c.account_shown for c in page.cases} == {"Prod (210987654321)"}
    message = page.accounts_failed["Staging (310987654321)"]
    assert "support:DescribeCases" in message and staging_role in message
    used = {(c.role_arn, c.session_name) for c in aws.assume_role_calls}
    assert used == {(prod.role_arn, "T0001.U42"), (staging_role, "T0001.U42")}


async def test_search_merges_accounts_newest_first(service: CaseService, aws: AwsDouble) -> None:
    prod = channel_for(role(aws), ACCOUNT, "Prod")
    staging = channel_for(role(aws, account_id=OTHER_ACCOUNT), OTHER_ACCOUNT, "Staging")
    now = datetime.now(UTC)
    for hours, account in [(1, ACCOUNT), (2, OTHER_ACCOUNT), (3, ACCOUNT), (4, OTHER_ACCOUNT)]:
        aws.put_case(account, subject=f"{hours}h ago", time_created=now - timedelta(hours=hours))

    page = await service.search([prod, staging], ACTOR, SearchFilter(), None)
    assert [c.subject for c in page.cases] == ["1h ago", "2h ago", "3h ago", "4h ago"]
    assert [c.account_id for c in page.cases] == [ACCOUNT, OTHER_ACCOUNT, ACCOUNT, OTHER_ACCOUNT]

    only_staging = await service.search([prod, staging], ACTOR, SearchFilter(account_id=OTHER_ACCOUNT))
    assert [c.subject for c in only_staging.cases] == ["2h ago", "4h ago"]


# ---------------------------------------------------------------------------------------------------------------
# Search
# ---------------------------------------------------------------------------------------------------------------


async def test_search_filters_by_status_and_pages_by_five(
    service: CaseService, full: ChannelAccount, aws: AwsDouble
) -> None:
    now = datetime.now(UTC)
    ids = [
        aws.put_case(ACCOUNT, subject=f"case {i}", time_created=now - timedelta(minutes=i)) for i in range(12)
    ]
    for case_id in ids[3:5]:
        aws.set_case_status(case_id, "resolved")
    open_ids = [i for i in ids if i not in ids[3:5]]

    first = await service.search([full], ACTOR, SearchFilter(status="open"))
    assert [c.case_id for c in first.cases] == open_ids[:5] and first.total == 10
    assert first.previous_token is None and first.next_token is not None
    second = await service.search([full], ACTOR, SearchFilter(status="open"), first.next_token)
    assert [c.case_id for c in second.cases] == open_ids[5:] and second.next_token is None
    assert search_filter_of(second.previous_token or "") == SearchFilter(status="open")
    back = await service.search([full], ACTOR, SearchFilter(status="open"), second.previous_token)
    assert [c.case_id for c in back.cases] == open_ids[:5]

    resolved = await service.search([full], ACTOR, SearchFilter(status="resolved"))
    assert [c.case_id for c in resolved.cases] == ids[3:5]
    everything = await service.search([full], ACTOR, SearchFilter(status="all"), page_size=20)
    assert [c.case_id for c in everything.cases] == ids


async def test_search_by_dates_language_and_case_id(
    service: CaseService, full: ChannelAccount, aws: AwsDouble
) -> None:
    old = aws.put_case(ACCOUNT, subject="old", time_created=datetime(2024, 1, 10, 12, tzinfo=UTC))
    mid = aws.put_case(ACCOUNT, subject="mid", time_created=datetime(2024, 2, 10, 12, tzinfo=UTC))
    japanese = aws.put_case(
        ACCOUNT, subject="ja", language="ja", time_created=datetime(2024, 2, 11, tzinfo=UTC)
    )
    aws.set_case_status(old, "resolved")

    by_dates = await service.search(
        [full], ACTOR, SearchFilter(after=date(2024, 2, 1), before=date(2024, 2, 10), status="all")
    )
    assert [c.case_id for c in by_dates.cases] == [mid]  # the end date is included
    in_japanese = await service.search([full], ACTOR, SearchFilter(language="ja"))
    assert [c.case_id for c in in_japanese.cases] == [japanese]

    display_id = aws.case(old).display_id
    by_id = await service.search([full], ACTOR, validate_search(SearchFilter(display_id=f" {display_id} ")))
    assert [c.case_id for c in by_id.cases] == [old]  # resolved, and found anyway: a case ID names one case


async def test_a_case_id_of_another_account_is_no_match_rather_than_a_failure(
    service: CaseService, aws: AwsDouble
) -> None:
    prod = channel_for(role(aws), ACCOUNT, "Prod")
    staging = channel_for(role(aws, account_id=OTHER_ACCOUNT), OTHER_ACCOUNT, "Staging")
    wanted = aws.put_case(OTHER_ACCOUNT, subject="here")
    page = await service.search([prod, staging], ACTOR, SearchFilter(display_id=aws.case(wanted).display_id))
    assert [c.case_id for c in page.cases] == [wanted] and page.accounts_failed == {}


async def test_a_page_token_of_another_search_is_refused(
    service: CaseService, full: ChannelAccount, aws: AwsDouble
) -> None:
    for i in range(6):
        aws.put_case(ACCOUNT, subject=f"case {i}")
    page = await service.search([full], ACTOR, SearchFilter(status="open"))
    with pytest.raises(UserFacingError, match="out of date"):
        await service.search([full], ACTOR, SearchFilter(status="all"), page.next_token)
    with pytest.raises(UserFacingError, match="out of date"):
        await service.search([full], ACTOR, SearchFilter(), "not-a-token")


# ---------------------------------------------------------------------------------------------------------------
# Idempotency
# ---------------------------------------------------------------------------------------------------------------


async def test_the_same_submission_twice_opens_one_case(any_engine: AsyncEngine, aws: AwsDouble) -> None:
    service = make_service(any_engine)
    channel = channel_for(role(aws))
    await service.create_case(channel, ACTOR, new_case(), "view-7")
    with pytest.raises(DuplicateSubmission, match="already submitted"):
        await service.create_case(channel, ACTOR, new_case(), "view-7")

    racing = await asyncio.gather(
        *(service.create_case(channel, ACTOR, new_case(), "view-8") for _ in range(2)), return_exceptions=True
    )
    assert sorted(type(r).__name__ for r in racing) == ["CaseSummary", "DuplicateSubmission"]
    assert len(aws.cases(ACCOUNT)) == 2
    assert len(aws.calls_to("support", "CreateCase")) == 2


async def test_a_submission_that_failed_before_the_case_existed_can_be_retried(
    any_engine: AsyncEngine, aws: AwsDouble
) -> None:
    service = make_service(any_engine)
    channel = channel_for(role(aws))
    aws.fail_next("support", "CreateCase", "CaseCreationLimitExceeded")
    with pytest.raises(AwsError, match="about 10 per hour"):
        await service.create_case(channel, ACTOR, new_case(), "view-9")
    assert aws.cases(ACCOUNT) == []

    await service.create_case(channel, ACTOR, new_case(), "view-9")
    assert len(aws.cases(ACCOUNT)) == 1


async def test_a_create_case_whose_answer_was_lost_finds_the_case_instead_of_creating_it_again(
    service: CaseService, full: ChannelAccount, aws: AwsDouble
) -> None:
    aws.lose_answer_next("support", "CreateCase", processed=True)
    created = await service.create_case(full, ACTOR, new_case(), "view-10")
    assert [c.case_id for c in aws.cases(ACCOUNT)] == [created.case_id]
    assert len(aws.calls_to("support", "CreateCase")) == 1  # checked with DescribeCases, not resent
    with pytest.raises(DuplicateSubmission):
        await service.create_case(full, ACTOR, new_case(), "view-10")
    assert len(aws.cases(ACCOUNT)) == 1


async def test_a_lost_create_case_then_throttled_is_checked_then_created_once(
    sqlite_engine: AsyncEngine, full: ChannelAccount, aws: AwsDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(budget_module, "_backoff", lambda attempt: 0.01)
    service = make_service(sqlite_engine, retries=True)
    other = aws.put_case(ACCOUNT, subject=new_case().subject)  # same subject, another body: not this one
    aws.lose_answer_next("support", "CreateCase", processed=False)
    aws.fail_next("support", "CreateCase", "ThrottlingException")
    created = await service.create_case(full, ACTOR, new_case(), "view-11")
    assert created.case_id != other
    assert sorted(c.case_id for c in aws.cases(ACCOUNT)) == sorted([other, created.case_id])
    creates = aws.calls_to("support", "CreateCase")
    assert [c.error for c in creates] == ["AnswerLost", "ThrottlingException", None]
    checks = [c for c in aws.calls_to("support", "DescribeCases") if c.at < creates[1].at]
    assert checks, "the case was looked for before CreateCase was sent again"


async def test_a_lost_create_case_that_cannot_be_checked_keeps_the_key_and_says_the_case_may_exist(
    service: CaseService, full: ChannelAccount, aws: AwsDouble
) -> None:
    aws.lose_answer_next("support", "CreateCase", processed=True)
    aws.fail_next("support", "DescribeCases", "InternalServerError")
    with pytest.raises(AwsError, match="may or may not have been created"):
        await service.create_case(full, ACTOR, new_case(), "view-12")
    with pytest.raises(DuplicateSubmission):
        await service.create_case(full, ACTOR, new_case(), "view-12")
    assert len(aws.cases(ACCOUNT)) == 1 and len(aws.calls_to("support", "CreateCase")) == 1


async def test_the_same_reply_twice_is_sent_once(
    service: CaseService, full: ChannelAccount, aws: AwsDouble
) -> None:
    case_id = aws.put_case(ACCOUNT)
    await service.send_message("reply", full, ACTOR, case_id, NewMessage("Once.", ()), "reply-2")
    with pytest.raises(DuplicateSubmission):
        await service.send_message("reply", full, ACTOR, case_id, NewMessage("Once.", ()), "reply-2")
    assert len(aws.case(case_id).communications) == 2


# ---------------------------------------------------------------------------------------------------------------
# Attachments and validation
# ---------------------------------------------------------------------------------------------------------------


async def test_three_attachments_reach_the_case(
    service: CaseService, full: ChannelAccount, aws: AwsDouble
) -> None:
    files = (
        Attachment("console.log", b"boot failed"),
        Attachment("screenshot.png", b"\x89PNG" + b"\0" * 1000),
        Attachment("big.bin", b"x" * MAX_ATTACHMENT_BYTES),
    )
    created = await service.create_case(full, ACTOR, new_case(attachments=files), "view-att")
    attached = aws.case(created.case_id).communications[0].attachments
    assert [(a.file_name, a.data) for a in attached] == [(f.file_name, f.data) for f in files]

    case_id = aws.put_case(ACCOUNT)
    await service.send_message(
        "reply", full, ACTOR, case_id, NewMessage("See log.", (), tuple(files[:1])), "reply-att"
    )
    assert [a.file_name for a in aws.case(case_id).communications[-1].attachments] == ["console.log"]


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        (
            {"attachments": [Attachment(f"f{i}.txt", b"x") for i in range(4)]},
            ATTACHMENTS_BLOCK,
            "at most 3 files",
        ),
        (
            {"attachments": [Attachment("huge.bin", b"x" * (MAX_ATTACHMENT_BYTES + 1))]},
            ATTACHMENTS_BLOCK,
            "huge.bin is 5.0 MB; AWS Support accepts files of at most 5 MB",
        ),
        ({"cc_emails": ",".join(f"u{i}@example.com" for i in range(11))}, CC_BLOCK, "at most 10 email"),
        ({"cc_emails": "ok@example.com, not-an-address"}, CC_BLOCK, "not-an-address is not an email"),
        ({"subject": "  "}, SUBJECT_BLOCK, "Subject is required"),
        ({"subject": "s" * 251}, SUBJECT_BLOCK, "at most 250"),
        ({"description": ""}, DESCRIPTION_BLOCK, "Description is required"),
        ({"service_code": None}, SERVICE_BLOCK, "Service is required"),
    ],
)
async def test_limits_are_enforced_before_any_aws_call(
    service: CaseService,
    full: ChannelAccount,
    aws: AwsDouble,
    changes: dict[str, Any],
    field: str,
    words: str,
) -> None:
    calls = len(aws.calls)
    with pytest.raises(InvalidInput) as invalid:
        validate_form(FORM | changes)
    assert invalid.value.field == field and words in invalid.value.errors[field]
    assert len(aws.calls) == calls


# ---------------------------------------------------------------------------------------------------------------
# Role sessions, errors, audit
# ---------------------------------------------------------------------------------------------------------------


async def test_fifty_concurrent_details_by_one_user_assume_the_role_once(
    service: CaseService, full: ChannelAccount, aws: AwsDouble
) -> None:
    case_id = aws.put_case(ACCOUNT, subject="Busy")
    results = await asyncio.gather(*(service.details(full, ACTOR, case_id) for _ in range(50)))
    assert {r.subject for r in results} == {"Busy"}
    assert len(aws.assume_role_calls) == 1


async def test_the_first_request_giving_up_does_not_fail_the_others_waiting_on_its_assume_role(
    service: CaseService, full: ChannelAccount, aws: AwsDouble
) -> None:
    """One user clicks twice (or two requests of theirs arrive at once) and the first request's task is cancelled
    (its client went away, the process stops serving it) while STS answers: the second still gets its answer from
    that one AssumeRole, and the credentials are kept for the next."""
    case_id = aws.put_case(ACCOUNT, subject="Busy")
    gate = aws.gate("sts", "AssumeRole")
    first = asyncio.create_task(service.details(full, ACTOR, case_id))
    assert await asyncio.to_thread(gate.wait_reached)
    second = asyncio.create_task(service.details(full, ACTOR, case_id))
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    gate.release()
    assert (await asyncio.wait_for(second, 10)).subject == "Busy"
    assert (await service.details(full, ACTOR, case_id)).subject == "Busy"
    assert len(aws.assume_role_calls) == 1


@pytest.mark.parametrize(
    ("operation", "code", "words"),
    [
        ("CreateCase", "CaseCreationLimitExceeded", "about 10 per hour"),
        ("CreateCase", "AttachmentSetIdNotFound", "could not find the uploaded attachments"),
        ("CreateCase", "AttachmentSetExpired", "more than an hour ago and have expired"),
        ("AddAttachmentsToSet", "AttachmentSetSizeLimitExceeded", "at most 3 attachments of at most 5 MB"),
        ("AddAttachmentsToSet", "AttachmentLimitExceeded", "too many attachments"),
        ("CreateCase", "InternalServerError", "internal error"),
        ("CreateCase", "ThrottlingException", "throttling requests from account Prod (210987654321)"),
    ],
)
async def test_each_support_error_has_its_words(
    service: CaseService,
    full: ChannelAccount,
    aws: AwsDouble,
    operation: str,
    code: str,
    words: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(budget_module, "_backoff", lambda attempt: 0.0)  # throttles are retried; do not wait
    aws.fail_next("support", operation, code, times=None)
    with pytest.raises(AwsError) as failed:
        await service.create_case(
            full, ACTOR, new_case(attachments=(Attachment("a.txt", b"a"),)), f"k-{code}"
        )
    assert failed.value.code == code and words in failed.value.message
    assert aws.cases(ACCOUNT) == []


async def test_an_unknown_case_is_explained(
    service: CaseService, full: ChannelAccount, aws: AwsDouble
) -> None:
    unknown = f"case-{ACCOUNT}-2024-0123456789abcdef"
    with pytest.raises(AwsError, match="no such case in account Prod") as failed:
        await service.details(full, ACTOR, unknown)
    assert failed.value.code == "CaseIdNotFound"
    aws.fail_next("support", "AddCommunicationToCase", "CaseIdNotFound")
    with pytest.raises(AwsError, match="24 months"):
        await service.send_message(
            "reply", full, ACTOR, aws.put_case(ACCOUNT), NewMessage("hi", ()), "reply-unknown"
        )


def test_describe_attachment_limit_has_its_words() -> None:
    error = ClientError(
        {
            "Error": {"Code": "DescribeAttachmentLimitExceeded", "Message": "slow down"},
            "ResponseMetadata": {},
        },
        "DescribeAttachment",
    )
    ctx = CallContext("arn:aws:iam::210987654321:role/R", "Prod (210987654321)", "support:DescribeAttachment")
    explained = explain_case_error(error, ctx)
    assert (
        "downloaded too many attachments" in explained.message and "Prod (210987654321)" in explained.message
    )


async def test_an_account_without_a_support_plan_is_told_about_the_plan(
    service: CaseService, full: ChannelAccount, aws: AwsDouble
) -> None:
    aws.set_support_plan(ACCOUNT, premium=False)
    with pytest.raises(AwsError, match="support plan") as failed:
        await service.create_case(full, ACTOR, new_case(), "view-plan")
    assert failed.value.code == "SubscriptionRequiredException"
    page = await service.search([full], ACTOR, SearchFilter())
    assert "support plan" in page.accounts_failed["Prod (210987654321)"]


async def test_a_role_that_no_longer_trusts_the_workspace_is_explained(
    service: CaseService, aws: AwsDouble
) -> None:
    channel = channel_for(role(aws))
    wrong = ChannelAccount(**(channel.__dict__ | {"external_id": "another-external-id-" + "y" * 30}))
    with pytest.raises(AwsError, match="could not assume the IAM role") as failed:
        await service.details(wrong, ACTOR, "case-1")
    assert channel.role_arn in failed.value.message
    assert (await audit_rows(service))[-1].outcome == "denied"


async def test_a_timeout_is_explained(
    service: CaseService, full: ChannelAccount, aws: AwsDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def no_answer(client: Any, operation: str, **params: Any) -> dict[str, Any]:
        raise ConnectTimeoutError(endpoint_url="https://support.us-east-1.amazonaws.com")

    monkeypatch.setattr(service.role_sessions, "read", no_answer)
    with pytest.raises(AwsError, match="did not answer in time") as failed:
        await service.resolve(full, ACTOR, "case-1")
    assert failed.value.code == "Timeout"


async def test_audit_rows_say_who_did_what_with_which_role_and_what_aws_answered(
    any_engine: AsyncEngine, aws: AwsDouble
) -> None:
    service = make_service(any_engine)
    full = channel_for(role(aws))
    readonly = channel_for(role(aws, "readonly", name="ReadOnly"))
    created = await service.create_case(full, ACTOR, new_case(), "view-audit")
    with pytest.raises(AwsError):
        await service.resolve(readonly, ACTOR, created.case_id)
    aws.fail_next("support", "DescribeCommunications", "ThrottlingException")
    with pytest.raises(AwsError):
        await service.communications(full, ACTOR, created.case_id)
    aws.fail_next("support", "CreateCase", "DescribeAttachmentLimitExceeded")
    with pytest.raises(AwsError):
        await service.create_case(full, ACTOR, new_case(), "view-audit-2")

    rows = await audit_rows(service)
    assert [(r.action, r.outcome) for r in rows] == [
        ("support:CreateCase", "ok"),
        ("support:ResolveCase", "denied"),
        ("support:DescribeCommunications", "error: Throttling"),
        ("support:CreateCase", "error: DescribeAttachmentLimitExceeded"[:AUDIT_OUTCOME_CHARS]),
    ]
    ok, denied = rows[0], rows[1]
    assert (ok.team_id, ok.channel_id, ok.user_id, ok.account_id) == ("T0001", "C0001", "U42", ACCOUNT)
    assert ok.role_arn == full.role_arn and ok.case_id == created.case_id and ok.aws_request_id
    assert (
        denied.role_arn == readonly.role_arn and denied.case_id == created.case_id and denied.aws_request_id
    )
    assert "support:ResolveCase" in (denied.detail or "")
    assert "support:CreateCase" in (rows[3].detail or "")


async def test_reading_cases_is_audited_per_account(
    service: CaseService, full: ChannelAccount, aws: AwsDouble
) -> None:
    case_id = aws.put_case(ACCOUNT)
    await service.search([full], ACTOR, SearchFilter())
    await service.details(full, ACTOR, case_id)
    await service.communications(full, ACTOR, case_id)
    rows = await audit_rows(service)
    assert [(r.action, r.case_id, r.outcome) for r in rows] == [
        ("support:DescribeCases", None, "ok"),
        ("support:DescribeCases", case_id, "ok"),
        ("support:DescribeCommunications", case_id, "ok"),
    ]


# ---------------------------------------------------------------------------------------------------------------
# Case rules
# ---------------------------------------------------------------------------------------------------------------


async def test_an_open_case_cannot_be_reopened_nor_a_resolved_one_resolved(
    service: CaseService, full: ChannelAccount, aws: AwsDouble
) -> None:
    case_id = aws.put_case(ACCOUNT)
    with pytest.raises(CaseNotResolved, match="is not resolved"):
        await service.send_message("reopen", full, ACTOR, case_id, NewMessage("again", ()), "reopen-2")
    assert len(aws.case(case_id).communications) == 1

    aws.set_case_status(case_id, "resolved")
    with pytest.raises(CaseAlreadyResolved, match="already resolved"):
        await service.resolve(full, ACTOR, case_id)
    await service.send_message(
        "reopen", full, ACTOR, case_id, NewMessage("again", ()), "reopen-2"
    )  # the refused attempt gave the key back
    assert aws.case(case_id).status == "reopened"


async def test_details_find_a_case_in_any_contact_language(
    service: CaseService, full: ChannelAccount, aws: AwsDouble
) -> None:
    case_id = aws.put_case(ACCOUNT, subject="日本語のケース", language="ja")
    assert (await service.details(full, ACTOR, case_id)).language == "ja"
    assert (await service.details(full, ACTOR, case_id, language="ja")).subject == "日本語のケース"


async def test_previous_correspondence_pages_by_ten(
    service: CaseService, full: ChannelAccount, aws: AwsDouble
) -> None:
    case_id = aws.put_case(ACCOUNT, body="first")
    for i in range(12):
        aws.add_aws_reply(case_id, f"reply {i}", status=None)
    details = await service.details(full, ACTOR, case_id)
    assert len(details.recent) == 5 and details.more_communications

    page, token = await service.communications(full, ACTOR, case_id)
    assert len(page) == 10 and token
    rest, end = await service.communications(full, ACTOR, case_id, token)
    assert [c.body for c in rest][-1] == "first" and end is None


async def test_a_role_that_may_create_but_not_read_still_gets_a_summary(
    service: CaseService, aws: AwsDouble
) -> None:
    channel = channel_for(role(aws, WRITE_ONLY_POLICY))
    created = await service.create_case(channel, ACTOR, new_case(), "view-wo")
    assert created.case_id in {c.case_id for c in aws.cases(ACCOUNT)}
    assert created.subject == "EC2 instance unreachable" and created.display_id == ""
    assert (await audit_rows(service))[-1].outcome == "ok"


# ---------------------------------------------------------------------------------------------------------------
# Catalogues
# ---------------------------------------------------------------------------------------------------------------


async def test_catalogues_come_from_aws_once_per_account_and_language(
    service: CaseService, full: ChannelAccount, aws: AwsDouble
) -> None:
    services = await service.services(full, ACTOR)
    lambda_ = next(s for s in services if s.code == "aws-lambda")
    assert lambda_.name == "Lambda" and ("performance", "Performance") in {
        (c.code, c.name) for c in lambda_.categories
    }
    await service.services(full, ACTOR)
    assert len(aws.calls_to("support", "DescribeServices")) == 1

    levels = await service.severity_levels(full, ACTOR)
    assert [level.code for level in levels] == ["low", "normal", "high", "urgent", "critical"]
    japanese = await service.severity_levels(full, ACTOR, "ja")
    assert japanese[0].name == "一般的なガイダンス"
    assert len(aws.calls_to("support", "DescribeSeverityLevels")) == 2

    technical = await service.languages(full, ACTOR, "technical", "aws-lambda", "performance")
    billing = await service.languages(full, ACTOR, "customer-service", "customer-account", "billing")
    await service.languages(full, ACTOR, "technical", "aws-lambda", "performance")
    assert [lang.code for lang in technical] == ["en", "ja", "zh", "ko"]
    assert [lang.code for lang in billing] == ["en", "ja"]
    assert len(aws.calls_to("support", "DescribeSupportedLanguages")) == 2
    assert await audit_rows(service) == []


async def test_what_aws_says_in_a_refusal_reaches_mrkdwn_escaped(
    service: CaseService, full: ChannelAccount, aws: AwsDouble
) -> None:
    aws.fail_next(
        "support", "CreateCase", "ValidationException", message="Value '<!channel>' & <https://x|y>"
    )
    with pytest.raises(AwsError) as failed:
        await service.create_case(full, ACTOR, new_case(), "k-escaped")
    assert "Value '&lt;!channel&gt;' &amp; &lt;https://x|y&gt;" in failed.value.message
    assert "<!channel>" not in failed.value.message
