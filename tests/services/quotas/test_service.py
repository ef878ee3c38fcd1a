"""Service quota increases at the service level, against moto with IAM enforcement and the quotas extension."""

from __future__ import annotations

import pytest
from botocore.retries.standard import ExponentialBackoff

from bolt_app.app import Services
from bolt_app.app import build_services
from bolt_app.aws.errors import AwsError
from bolt_app.errors import UserFacingError
from bolt_app.services.audited import DuplicateSubmission
from bolt_app.services.choice import Choice
from bolt_app.services.context import ChannelAccount
from bolt_app.services.context import SlackActor
from bolt_app.services.quotas.fields import VALUE_FIELD
from bolt_app.services.quotas.models import PendingRequestExists
from bolt_app.services.quotas.rules import validate_requested_value
from bolt_app.services.quotas.service import QuotaService
from bolt_app.settings import Settings
from storage.audit import AuditRepository
from storage.audit import IdempotencyKeys
from storage.crypto import generate_key
from storage.workspaces import WorkspaceKey
from tests.fakes.aws import FULL_POLICY
from tests.fakes.aws import AwsDouble
from tests.fakes.aws import allowing

ACCOUNT = "210987654321"
OTHER_ACCOUNT = "310987654321"
EXTERNAL_ID = "external-id-01-" + "x" * 30
WORKSPACE = WorkspaceKey("", "T0001")
ACTOR = SlackActor.member(WORKSPACE, "U42", "Ada")
LAMBDA = "lambda"
CONCURRENCY = "L-B99A9384"  # "Concurrent executions", default 1000
INCREASE = "servicequotas:RequestServiceQuotaIncrease"


@pytest.fixture
def quotas(services: Services) -> QuotaService:
    return QuotaService(
        services.role_sessions, AuditRepository(services.engine), IdempotencyKeys(services.engine)
    )


def _channel(
    aws: AwsDouble, account: str = ACCOUNT, policy: object = "full", name: str = "Prod"
) -> ChannelAccount:
    role = aws.create_role(account, external_id=EXTERNAL_ID, policy=policy)  # type: ignore[arg-type]
    return ChannelAccount(WORKSPACE, "C1", "quotas", account, f"{name} ({account})", role, EXTERNAL_ID)


def _no_slr_policy() -> dict[str, object]:
    statements = [s for s in FULL_POLICY["Statement"] if s["Sid"] != "QuotasServiceLinkedRole"]
    return {"Version": "2012-10-17", "Statement": statements}


def _requests_sent(aws: AwsDouble) -> int:
    return len(aws.calls_to("service-quotas", "RequestServiceQuotaIncrease"))


async def _audit(services: Services) -> list[tuple[str, str]]:
    rows = await AuditRepository(services.engine).list(WORKSPACE)
    return [(r.action, r.outcome) for r in reversed(rows)]


# --- the flow -----------------------------------------------------------------------------------------------


async def test_details_then_request_then_status(
    quotas: QuotaService, aws: AwsDouble, services: Services
) -> None:
    channel = _channel(aws)
    details = await quotas.quota_details(channel, ACTOR, "us-east-1", LAMBDA, CONCURRENCY)
    assert (details.applied_value, details.default_value, details.unit) == (1000.0, 1000.0, "None")
    assert (
        details.quota_name == "Concurrent executions" and details.pending is None and details.pending_checked
    )

    value = validate_requested_value("3,000", details)
    request = await quotas.request_increase(channel, ACTOR, "us-east-1", LAMBDA, CONCURRENCY, value, "view-1")
    assert request.status == "CASE_OPENED" and request.case_id  # more than twice the applied value
    assert (request.desired_value, request.region, request.account_shown) == (
        3000.0,
        "us-east-1",
        "Prod (210987654321)",
    )
    assert (request.service_name, request.quota_name) == ("AWS Lambda", "Concurrent executions")
    assert request.created is not None

    again = await quotas.quota_details(channel, ACTOR, "us-east-1", LAMBDA, CONCURRENCY)
    assert again.pending is not None and again.pending.id == request.id

    aws.set_quota_request_status(ACCOUNT, request.id, "APPROVED")
    status = await quotas.request_status(channel, ACTOR, "us-east-1", request.id)
    assert (
        status.status == "APPROVED"
        and status.status_label == "Approved"
        and status.case_id == request.case_id
    )
    assert aws.assume_role_calls[0].session_name == "T0001.U42"

    assert await _audit(services) == [
        (INCREASE, "ok"),
        ("servicequotas:GetRequestedServiceQuotaChange", "ok"),
    ]
    rows = await AuditRepository(services.engine).list(WORKSPACE)
    increase = rows[-1]
    assert (increase.user_id, increase.channel_id, increase.account_id) == ("U42", "C1", ACCOUNT)
    assert increase.role_arn == channel.role_arn and increase.case_id == request.case_id
    assert request.id in (increase.detail or "")


async def test_service_and_quota_pickers_list_filter_and_cache(quotas: QuotaService, aws: AwsDouble) -> None:
    channel = _channel(aws)
    everything = await quotas.services(channel, ACTOR, "us-east-1", "")
    assert Choice("lambda", "AWS Lambda") in everything and len(everything) <= 100
    assert [c.code for c in await quotas.services(channel, ACTOR, "us-east-1", "ec2")] == ["ec2"]
    assert [c.code for c in await quotas.services(channel, ACTOR, "us-east-1", "virtual private")] == ["vpc"]
    assert len(aws.calls_to("service-quotas", "ListServices")) == 1  # cached per account and Region

    lambda_quotas = await quotas.quotas(channel, ACTOR, "us-east-1", LAMBDA, None)
    names = [q.name for q in lambda_quotas]
    assert "Concurrent executions" in names
    assert "Deployment package size (direct upload)" not in names  # not adjustable
    assert [q.code for q in await quotas.quotas(channel, ACTOR, "us-east-1", LAMBDA, "concurrent")] == [
        CONCURRENCY
    ]
    assert len(aws.calls_to("service-quotas", "ListServiceQuotas")) == 1

    await quotas.services(channel, ACTOR, "eu-west-1", "")
    assert len(aws.calls_to("service-quotas", "ListServices")) == 2  # another Region, another entry


# --- permissions and accounts -------------------------------------------------------------------------------


async def test_read_only_role_reads_details_but_is_refused_the_request(
    quotas: QuotaService, aws: AwsDouble, services: Services
) -> None:
    channel = _channel(aws, policy="readonly")
    details = await quotas.quota_details(channel, ACTOR, "us-east-1", LAMBDA, CONCURRENCY)
    with pytest.raises(AwsError) as refused:
        await quotas.request_increase(channel, ACTOR, "us-east-1", LAMBDA, CONCURRENCY, 1500, "view-1")
    assert INCREASE in refused.value.message and channel.role_arn in refused.value.message
    assert details.default_value == 1000.0 and aws.quota_requests(ACCOUNT) == []
    assert await _audit(services) == [(INCREASE, "denied")]

    aws.set_role_policy(channel.role_arn, "full")  # the key was given back: the same submission may run again
    done = await quotas.request_increase(channel, ACTOR, "us-east-1", LAMBDA, CONCURRENCY, 1500, "view-1")
    assert done.status == "PENDING" and done.case_id is None


async def test_a_role_with_only_the_managed_quota_actions_is_told_which_read_it_lacks(
    quotas: QuotaService, aws: AwsDouble
) -> None:
    managed = allowing(  # the servicequotas part of AWSSupportAppFullAccess
        "servicequotas:GetRequestedServiceQuotaChange",
        "servicequotas:GetServiceQuota",
        "servicequotas:RequestServiceQuotaIncrease",
    )
    channel = _channel(aws, policy=managed)
    with pytest.raises(AwsError) as refused:
        await quotas.quota_details(channel, ACTOR, "us-east-1", LAMBDA, CONCURRENCY)
    assert "servicequotas:GetAWSDefaultServiceQuota" in refused.value.message
    assert channel.role_arn in refused.value.message


async def test_each_account_uses_its_own_role(quotas: QuotaService, aws: AwsDouble) -> None:
    prod = _channel(aws, ACCOUNT, name="Prod")
    dev = _channel(aws, OTHER_ACCOUNT, name="Dev")
    aws.set_applied_quota(OTHER_ACCOUNT, LAMBDA, CONCURRENCY, 2000)

    assert (await quotas.quota_details(prod, ACTOR, "us-east-1", LAMBDA, CONCURRENCY)).applied_value == 1000
    assert (await quotas.quota_details(dev, ACTOR, "us-east-1", LAMBDA, CONCURRENCY)).applied_value == 2000
    request = await quotas.request_increase(dev, ACTOR, "us-east-1", LAMBDA, CONCURRENCY, 2500, "dev-1")

    assert request.account_shown == "Dev (310987654321)"
    assert [r.request_id for r in aws.quota_requests(OTHER_ACCOUNT)] == [request.id]
    assert aws.quota_requests(ACCOUNT) == []
    assert {c.role_arn for c in aws.assume_role_calls} == {prod.role_arn, dev.role_arn}
    (sent,) = aws.calls_to("service-quotas", "RequestServiceQuotaIncrease")
    assert sent.account == OTHER_ACCOUNT


# --- the value rule -----------------------------------------------------------------------------------------


async def test_value_not_above_the_default_is_refused_before_any_request(
    quotas: QuotaService, aws: AwsDouble
) -> None:
    channel = _channel(aws)
    aws.set_applied_quota(ACCOUNT, LAMBDA, CONCURRENCY, 500)
    details = await quotas.quota_details(channel, ACTOR, "us-east-1", LAMBDA, CONCURRENCY)
    assert details.applied_below_default
    aws.reset_records()

    for text in ("800", "1000"):
        with pytest.raises(UserFacingError) as refused:
            validate_requested_value(text, details)
        assert refused.value.field == VALUE_FIELD
        assert "AWS default value of 1,000" in refused.value.message
        assert "AWS refuses requests that do not exceed the default" in refused.value.message
        assert "applied value (500) is below the default" in refused.value.message
    assert aws.calls == []


async def test_value_refused_by_aws_is_explained_on_the_value_field(
    quotas: QuotaService, aws: AwsDouble
) -> None:
    channel = _channel(aws)
    with pytest.raises(AwsError) as refused:
        await quotas.request_increase(channel, ACTOR, "us-east-1", LAMBDA, CONCURRENCY, 900, "view-1")
    assert refused.value.code == "IllegalArgumentException" and refused.value.field == VALUE_FIELD
    assert "greater than the default quota value of 1000" in refused.value.message
    assert "greater than the quota's applied value and greater than its AWS default" in refused.value.message


# --- AWS's refusals -----------------------------------------------------------------------------------------


async def test_an_open_request_for_the_quota_is_shown_with_its_status(
    quotas: QuotaService, aws: AwsDouble, services: Services
) -> None:
    channel = _channel(aws)
    first = await quotas.request_increase(channel, ACTOR, "us-east-1", LAMBDA, CONCURRENCY, 1500, "view-1")
    with pytest.raises(PendingRequestExists) as conflict:
        await quotas.request_increase(channel, ACTOR, "us-east-1", LAMBDA, CONCURRENCY, 1800, "view-2")
    assert conflict.value.pending is not None and conflict.value.pending.id == first.id
    assert first.id in conflict.value.message and "status Pending" in conflict.value.message
    assert (
        "1,500 requested" in conflict.value.message and "one open request per quota" in conflict.value.message
    )
    assert _requests_sent(aws) == 2 and len(aws.quota_requests(ACCOUNT)) == 1
    assert (await _audit(services))[-1] == (INCREASE, "error: ResourceAlreadyExists")


async def test_missing_service_linked_role_says_what_it_is_and_how_to_create_it(
    quotas: QuotaService, aws: AwsDouble
) -> None:
    channel = _channel(aws, policy=_no_slr_policy())
    aws.remove_quotas_service_linked_role(ACCOUNT)
    with pytest.raises(AwsError) as refused:
        await quotas.request_increase(channel, ACTOR, "us-east-1", LAMBDA, CONCURRENCY, 1500, "view-1")
    words = refused.value.message
    assert "AWSServiceRoleForServiceQuotas" in words and channel.role_arn in words
    assert "Service Quotas console" in words  # way 1
    assert (
        "iam:CreateServiceLinkedRole" in words
        and '"iam:AWSServiceName": "servicequotas.amazonaws.com"' in words
    )

    aws.set_role_policy(
        channel.role_arn, "full"
    )  # way 2: the role may create it, AWS does on the next request
    assert (
        await quotas.request_increase(channel, ACTOR, "us-east-1", LAMBDA, CONCURRENCY, 1500, "view-1")
    ).id


async def test_unknown_service_or_quota_code(quotas: QuotaService, aws: AwsDouble) -> None:
    channel = _channel(aws)
    with pytest.raises(AwsError) as quota:
        await quotas.request_increase(channel, ACTOR, "us-east-1", LAMBDA, "L-DEADBEEF", 5, "view-1")
    assert "does not know quota `L-DEADBEEF` of service `lambda`" in quota.value.message
    with pytest.raises(AwsError) as service:
        await quotas.quotas(channel, ACTOR, "us-east-1", "nosuchservice", None)
    assert "does not know the service `nosuchservice`" in service.value.message
    with pytest.raises(AwsError) as request:
        await quotas.request_status(channel, ACTOR, "us-east-1", "0123456789abcdef")
    assert request.value.code == "NoSuchResourceException"
    assert "a quota increase request with ID 0123456789abcdef" in request.value.message


async def test_throttling_after_retries(
    quotas: QuotaService, aws: AwsDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)  # retry without waiting
    monkeypatch.setattr("bolt_app.aws.budget._backoff", lambda attempt: 0.0)
    channel = _channel(aws)
    aws.fail_next("service-quotas", "RequestServiceQuotaIncrease", "TooManyRequestsException", times=None)
    with pytest.raises(AwsError) as throttled:
        await quotas.request_increase(channel, ACTOR, "us-east-1", LAMBDA, CONCURRENCY, 1500, "view-1")
    assert "throttling" in throttled.value.message and "try again in a minute" in throttled.value.message
    assert _requests_sent(aws) > 1  # the app's client retried before giving up


async def test_the_accounts_quota_on_requests(quotas: QuotaService, aws: AwsDouble) -> None:
    channel = _channel(aws)
    aws.fail_next("service-quotas", "RequestServiceQuotaIncrease", "QuotaExceededException")
    with pytest.raises(AwsError) as refused:
        await quotas.request_increase(channel, ACTOR, "us-east-1", LAMBDA, CONCURRENCY, 1500, "view-1")
    assert "limit on open quota increase requests" in refused.value.message


async def test_the_same_submission_twice_makes_one_request(
    quotas: QuotaService, aws: AwsDouble, services: Services
) -> None:
    channel = _channel(aws)
    await quotas.request_increase(channel, ACTOR, "us-east-1", LAMBDA, CONCURRENCY, 1500, "view-1")
    with pytest.raises(DuplicateSubmission):
        await quotas.request_increase(channel, ACTOR, "us-east-1", LAMBDA, CONCURRENCY, 1500, "view-1")
    assert _requests_sent(aws) == 1 and len(aws.quota_requests(ACCOUNT)) == 1
    assert await _audit(services) == [(INCREASE, "ok")]


async def test_no_answer_keeps_the_submission_claimed(
    quotas: QuotaService, aws: AwsDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    channel = _channel(aws)
    aws.lose_answer_next("service-quotas", "RequestServiceQuotaIncrease", processed=True)
    with pytest.raises(AwsError) as unknown:
        await quotas.request_increase(channel, ACTOR, "us-east-1", LAMBDA, CONCURRENCY, 1500, "view-1")
    assert "may or may not have been made" in unknown.value.message
    with pytest.raises(DuplicateSubmission):  # a retry of the same submission could double the request
        await quotas.request_increase(channel, ACTOR, "us-east-1", LAMBDA, CONCURRENCY, 1500, "view-1")


async def test_history_the_role_may_not_read_leaves_pending_unknown(
    quotas: QuotaService, aws: AwsDouble
) -> None:
    policy = allowing("servicequotas:GetServiceQuota", "servicequotas:GetAWSDefaultServiceQuota")
    details = await quotas.quota_details(
        _channel(aws, policy=policy), ACTOR, "us-east-1", LAMBDA, CONCURRENCY
    )
    assert details.pending is None and not details.pending_checked


async def test_an_unknown_region_is_refused_without_calling_aws(quotas: QuotaService, aws: AwsDouble) -> None:
    with pytest.raises(UserFacingError) as refused:
        await quotas.services(_channel(aws), ACTOR, "us-gov-west-1", None)
    assert refused.value.field == "quota_region" and aws.calls == []


async def test_audit_rows_fit_every_database(database_url: str, aws: AwsDouble) -> None:
    """The audit columns are narrow (outcome: 32 characters): PostgreSQL would refuse a longer value."""
    services = await build_services(
        Settings(database_url=database_url, token_encryption_keys=(generate_key(),))
    )
    try:
        audit = AuditRepository(services.engine)
        quotas = QuotaService(services.role_sessions, audit, IdempotencyKeys(services.engine))
        channel = _channel(aws, policy=_no_slr_policy())
        aws.remove_quotas_service_linked_role(ACCOUNT)
        with pytest.raises(AwsError):
            await quotas.request_increase(channel, ACTOR, "us-east-1", LAMBDA, CONCURRENCY, 3000, "view-1")
        aws.set_role_policy(channel.role_arn, "full")
        done = await quotas.request_increase(channel, ACTOR, "us-east-1", LAMBDA, CONCURRENCY, 3000, "view-1")
        rows = list(reversed(await audit.list(WORKSPACE)))
        assert [(r.outcome, r.case_id) for r in rows] == [
            ("error: DependencyAccessDenied", None),
            ("ok", done.case_id),
        ]
        assert rows[1].aws_request_id
    finally:
        await services.close()


async def test_quota_admins_refuses_a_member_before_any_aws_call_and_lets_a_listed_admin(
    aws: AwsDouble, services: Services
) -> None:
    from dataclasses import replace

    from bolt_app.services.member_policy import parse_policy
    from bolt_app.services.member_rules import MemberRefused
    from bolt_app.services.member_rules import MemberRules
    from bolt_app.services.member_rules import NobodyInSlack

    await services.workspaces.repository.record_install(WORKSPACE, "Team", "U1", EXTERNAL_ID)
    await services.workspaces.repository.set_admins(WORKSPACE, ["U0BOSS"])
    quotas = QuotaService(
        services.role_sessions,
        AuditRepository(services.engine),
        IdempotencyKeys(services.engine),
        members=MemberRules(NobodyInSlack(), services.workspaces.repository),
    )
    channel = replace(_channel(aws), members=parse_policy({"quota": "admins"}))
    aws.reset_records()
    with pytest.raises(MemberRefused, match="only the app's admins can request quota increases"):
        await quotas.request_increase(channel, ACTOR, "us-east-1", LAMBDA, CONCURRENCY, 2000.0, "view-1")
    assert aws.calls == [] and await _audit(services) == [(INCREASE, "refused")]

    boss = SlackActor.member(WORKSPACE, "U0BOSS", "Boss")
    request = await quotas.request_increase(channel, boss, "us-east-1", LAMBDA, CONCURRENCY, 2000.0, "view-1")
    assert request.desired_value == 2000.0 and _requests_sent(aws) == 1
