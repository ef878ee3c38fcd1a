"""Tests of the AWS test double itself: real boto3 clients, real HTTP, IAM enforcement on."""

from __future__ import annotations

import os
import threading
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.fakes.aws import APP_ACCOUNT_ID
from tests.fakes.aws import TEST_CLIENT_CONFIG
from tests.fakes.aws import AwsDouble
from tests.fakes.aws import MotoServerHandle

pytest_plugins = ["tests.fakes.aws_fixtures"]

CUSTOMER = "111122223333"
OTHER_CUSTOMER = "444455556666"
EXTERNAL_ID = "T0123ABCD-3f9c1e"


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response: Any = exc.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"].get("Message", ""),
    )


def new_case(support: Any, **overrides: Any) -> str:
    params: dict[str, Any] = {
        "subject": "Instance unreachable",
        "communicationBody": "i-0123 stopped answering",
        "serviceCode": "amazon-elastic-compute-cloud-linux",
        "categoryCode": "instance-issue",
        "severityCode": "normal",
        **overrides,
    }
    return str(support.create_case(**params)["caseId"])


@pytest.fixture
def full_support(aws: AwsDouble) -> Any:
    role = aws.create_role(CUSTOMER, external_id=EXTERNAL_ID, policy="full")
    return aws.role_client("support", role, external_id=EXTERNAL_ID, session_name="U024BE7LH")


# --- environment --------------------------------------------------------------------------------------------


def test_env_points_default_clients_at_the_double_as_the_app_user(aws: AwsDouble) -> None:
    assert os.environ["AWS_ENDPOINT_URL"] == aws.endpoint_url == aws.env["AWS_ENDPOINT_URL"]
    assert "AWS_SESSION_TOKEN" not in aws.env and "AWS_SESSION_TOKEN" not in os.environ
    assert aws.env["AWS_DEFAULT_REGION"] == "us-east-1"
    sts = boto3.session.Session().client("sts", config=TEST_CLIENT_CONFIG)
    assert (
        sts.get_caller_identity()["Arn"]
        == aws.app_principal_arn
        == f"arn:aws:iam::{APP_ACCOUNT_ID}:user/slack-app"
    )
    assert aws.enforcing


def test_app_user_may_only_assume_roles(aws: AwsDouble) -> None:
    with pytest.raises(ClientError) as exc:
        aws.app_client("support").describe_cases()
    code, status, message = error_of(exc)
    assert (code, status) == ("403", 403) and "support:DescribeCases" in message
    with aws.enforcement(False):
        assert not aws.enforcing
        assert aws.app_client("support").describe_cases()["cases"] == []
    assert aws.enforcing


def test_app_credentials_are_stable_for_the_session(aws: AwsDouble, aws_server: MotoServerHandle) -> None:
    assert aws.env == aws_server.env
    assert aws.env["AWS_ACCESS_KEY_ID"] == aws_server.app_access_key_id == aws.app_access_key_id


# --- support cases ------------------------------------------------------------------------------------------


def test_full_role_creates_replies_resolves_and_finds_by_display_id(
    aws: AwsDouble, full_support: Any
) -> None:
    case_id = new_case(
        full_support, ccEmailAddresses=["ops@example.com"], language="en", issueType="technical"
    )
    assert (
        case_id.startswith(f"case-{CUSTOMER}-{datetime.now(UTC).year}-")
        and len(case_id.rsplit("-", 1)[1]) == 16
    )

    [case] = full_support.describe_cases(caseIdList=[case_id])["cases"]
    assert case["status"] == "opened"
    assert case["displayId"].isdigit() and len(case["displayId"]) == 10
    assert case["severityCode"] == "normal" and case["ccEmailAddresses"] == ["ops@example.com"]
    assert "U024BE7LH" in case["submittedBy"]
    assert full_support.describe_cases(caseIdList=[case_id])["cases"][0]["status"] == "opened"  # no cycling

    assert (
        full_support.add_communication_to_case(caseId=case_id, communicationBody="more logs")["result"]
        is True
    )
    resolved_now = full_support.resolve_case(caseId=case_id)
    assert (resolved_now["initialCaseStatus"], resolved_now["finalCaseStatus"]) == ("opened", "resolved")
    assert full_support.describe_cases()["cases"] == []  # resolved cases are hidden by default
    [resolved] = full_support.describe_cases(displayId=case["displayId"], includeResolvedCases=True)["cases"]
    assert resolved["caseId"] == case_id and resolved["status"] == "resolved"

    full_support.add_communication_to_case(caseId=case_id, communicationBody="still broken")  # reopens
    assert full_support.describe_cases(caseIdList=[case_id])["cases"][0]["status"] == "reopened"

    comms = full_support.describe_communications(caseId=case_id)["communications"]
    assert [c["body"] for c in comms] == ["still broken", "more logs", "i-0123 stopped answering"]
    page = full_support.describe_communications(caseId=case_id, maxResults=10)
    assert "nextToken" not in page
    assert len(aws.cases(CUSTOMER)) == 1


def test_communications_page_newest_first(full_support: Any) -> None:
    case_id = new_case(full_support)
    for i in range(11):
        full_support.add_communication_to_case(caseId=case_id, communicationBody=f"reply {i}")
    recent = full_support.describe_cases(caseIdList=[case_id])["cases"][0]["recentCommunications"]
    assert [c["body"] for c in recent["communications"]] == [f"reply {i}" for i in (10, 9, 8, 7, 6)]
    assert recent["nextToken"]
    first = full_support.describe_communications(caseId=case_id, maxResults=10)
    second = full_support.describe_communications(caseId=case_id, maxResults=10, nextToken=first["nextToken"])
    bodies = [c["body"] for c in first["communications"] + second["communications"]]
    assert bodies == [f"reply {i}" for i in range(10, -1, -1)] + ["i-0123 stopped answering"]
    assert "nextToken" not in second


def test_resolve_reports_the_previous_status(full_support: Any) -> None:
    case_id = new_case(full_support)
    first = full_support.resolve_case(caseId=case_id)
    assert (first["initialCaseStatus"], first["finalCaseStatus"]) == ("opened", "resolved")
    again = full_support.resolve_case(caseId=case_id)
    assert (again["initialCaseStatus"], again["finalCaseStatus"]) == ("resolved", "resolved")


def test_unknown_case_is_case_id_not_found(full_support: Any) -> None:
    for call in (
        lambda: full_support.resolve_case(caseId="case-111122223333-2024-0000000000000000"),
        lambda: full_support.describe_cases(caseIdList=["case-111122223333-2024-0000000000000000"]),
        lambda: full_support.describe_cases(displayId="1234567890"),
        lambda: full_support.describe_communications(caseId="case-nope"),
        lambda: full_support.add_communication_to_case(caseId="case-nope", communicationBody="x"),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc)[:2] == ("CaseIdNotFound", 400)


def test_describe_cases_filters_and_pages(aws: AwsDouble, full_support: Any) -> None:
    now = datetime.now(UTC)
    old = aws.put_case(CUSTOMER, subject="old", time_created=now - timedelta(days=40))
    ja = aws.put_case(CUSTOMER, subject="ja", language="ja")
    resolved = aws.put_case(CUSTOMER, subject="done", status="resolved")
    recent = [
        aws.put_case(CUSTOMER, subject=f"recent {i}", time_created=now - timedelta(minutes=i))
        for i in range(12)
    ]

    after = (now - timedelta(days=1)).isoformat()
    listed = full_support.describe_cases(afterTime=after)["cases"]
    assert [c["caseId"] for c in listed] == recent  # newest first, no ja/resolved/old
    before = full_support.describe_cases(beforeTime=(now - timedelta(days=30)).isoformat())["cases"]
    assert [c["caseId"] for c in before] == [old]
    assert [c["caseId"] for c in full_support.describe_cases(language="ja")["cases"]] == [ja]
    with_resolved = full_support.describe_cases(includeResolvedCases=True, afterTime=after)["cases"]
    assert resolved in [c["caseId"] for c in with_resolved]

    first = full_support.describe_cases(maxResults=10, afterTime=after, includeCommunications=False)
    assert len(first["cases"]) == 10 and "recentCommunications" not in first["cases"][0]
    second = full_support.describe_cases(maxResults=10, afterTime=after, nextToken=first["nextToken"])
    assert [c["caseId"] for c in first["cases"] + second["cases"]] == recent and "nextToken" not in second


def test_aws_side_reply_and_status(aws: AwsDouble, full_support: Any) -> None:
    case_id = new_case(full_support)
    aws.add_aws_reply(case_id, "Please send the instance ID")
    [case] = full_support.describe_cases(caseIdList=[case_id])["cases"]
    assert case["status"] == "pending-customer-action"
    assert case["recentCommunications"]["communications"][0]["submittedBy"] == "Amazon Web Services"
    full_support.add_communication_to_case(caseId=case_id, communicationBody="i-0123")
    assert aws.case(case_id).status == "customer-action-completed"


def test_cases_are_isolated_per_account(aws: AwsDouble, full_support: Any) -> None:
    case_id = new_case(full_support)
    other_role = aws.create_role(OTHER_CUSTOMER, external_id=EXTERNAL_ID, policy="full")
    other = aws.role_client("support", other_role, external_id=EXTERNAL_ID)
    assert other.describe_cases(includeResolvedCases=True)["cases"] == []
    with pytest.raises(ClientError) as exc:
        other.describe_cases(caseIdList=[case_id])
    assert error_of(exc)[0] == "CaseIdNotFound"
    with pytest.raises(ClientError) as exc:
        other.resolve_case(caseId=case_id)
    assert error_of(exc)[0] == "CaseIdNotFound"
    assert [c["caseId"] for c in full_support.describe_cases()["cases"]] == [case_id]


def test_support_works_from_any_signing_region(aws: AwsDouble) -> None:
    role = aws.create_role(CUSTOMER, external_id=EXTERNAL_ID)
    eu = aws.role_client("support", role, external_id=EXTERNAL_ID, region="eu-west-1")
    case_id = new_case(eu)
    us = aws.role_client("support", role, external_id=EXTERNAL_ID)
    assert us.describe_cases(caseIdList=[case_id])["cases"][0]["caseId"] == case_id


def test_catalogue(full_support: Any) -> None:
    services = full_support.describe_services()["services"]
    by_code = {s["code"]: s for s in services}
    assert by_code["amazon-elastic-compute-cloud-linux"]["name"] == "EC2 - Linux"
    assert by_code["amazon-simple-storage-service"]["name"] == "Simple Storage Service (S3)"
    assert {
        "aws-lambda",
        "amazon-virtual-private-cloud",
        "general-info",
        "customer-account",
    } <= by_code.keys()
    assert all(s["categories"] for s in services)
    only = full_support.describe_services(serviceCodeList=["aws-lambda"])["services"]
    assert [s["code"] for s in only] == ["aws-lambda"]
    levels = full_support.describe_severity_levels()["severityLevels"]
    assert [(lv["code"], lv["name"]) for lv in levels] == [
        ("low", "General guidance"),
        ("normal", "System impaired"),
        ("high", "Production system impaired"),
        ("urgent", "Production system down"),
        ("critical", "Business-critical system down"),
    ]
    langs = full_support.describe_supported_languages(
        issueType="technical", serviceCode="aws-lambda", categoryCode="other"
    )
    assert [lang["code"] for lang in langs["supportedLanguages"]] == ["en", "ja", "zh", "ko"]
    options = full_support.describe_create_case_options(
        issueType="technical", serviceCode="aws-lambda", language="en", categoryCode="other"
    )
    assert options["languageAvailability"] == "available"
    assert {t["type"] for t in options["communicationTypes"]} == {"web", "chat", "call"}


# --- attachments --------------------------------------------------------------------------------------------


def test_attachment_sets(aws: AwsDouble, full_support: Any) -> None:
    files = [{"fileName": f"log{i}.txt", "data": f"line {i}".encode()} for i in range(3)]
    added = full_support.add_attachments_to_set(attachments=files[:2])
    set_id = added["attachmentSetId"]
    expiry = datetime.fromisoformat(added["expiryTime"].replace("Z", "+00:00"))
    assert timedelta(minutes=59) < expiry - datetime.now(UTC) <= timedelta(hours=1)
    assert (
        full_support.add_attachments_to_set(attachmentSetId=set_id, attachments=files[2:])["attachmentSetId"]
        == set_id
    )
    with pytest.raises(ClientError) as exc:
        full_support.add_attachments_to_set(attachmentSetId=set_id, attachments=files[:1])
    assert error_of(exc)[:2] == ("AttachmentSetSizeLimitExceeded", 400)

    case_id = new_case(full_support, attachmentSetId=set_id)
    [comm] = full_support.describe_communications(caseId=case_id)["communications"]
    assert [a["fileName"] for a in comm["attachmentSet"]] == ["log0.txt", "log1.txt", "log2.txt"]
    attachment_id = comm["attachmentSet"][0]["attachmentId"]
    with pytest.raises(ClientError) as exc:  # not in the recommended policy
        full_support.describe_attachment(attachmentId=attachment_id)
    assert "support:DescribeAttachment" in error_of(exc)[2]
    data = aws.admin(CUSTOMER, "support").describe_attachment(attachmentId=attachment_id)["attachment"]
    assert data == {"fileName": "log0.txt", "data": b"line 0"}

    with pytest.raises(ClientError) as exc:
        full_support.add_attachments_to_set(
            attachments=[{"fileName": "big.bin", "data": b"x" * (5 * 1024 * 1024 + 1)}]
        )
    assert error_of(exc)[0] == "AttachmentSetSizeLimitExceeded"

    with pytest.raises(ClientError) as exc:
        new_case(full_support, attachmentSetId="as-unknown")
    assert error_of(exc)[0] == "AttachmentSetIdNotFound"

    fresh = full_support.add_attachments_to_set(attachments=files[:1])["attachmentSetId"]
    aws.advance_time(3601)
    with pytest.raises(ClientError) as exc:
        full_support.add_communication_to_case(caseId=case_id, communicationBody="x", attachmentSetId=fresh)
    assert error_of(exc)[0] == "AttachmentSetExpired"


# --- IAM enforcement and trust ------------------------------------------------------------------------------


def test_readonly_role_reads_but_cannot_write(aws: AwsDouble) -> None:
    role = aws.create_role(CUSTOMER, external_id=EXTERNAL_ID, policy="readonly")
    support = aws.role_client("support", role, external_id=EXTERNAL_ID)
    assert support.describe_cases()["cases"] == []
    assert support.describe_severity_levels()["severityLevels"]
    with pytest.raises(ClientError) as exc:
        new_case(support)
    code, status, message = error_of(exc)
    assert (code, status) == ("403", 403) and "support:CreateCase" in message
    quotas = aws.role_client("service-quotas", role, external_id=EXTERNAL_ID)
    assert quotas.get_service_quota(ServiceCode="ec2", QuotaCode="L-1216C47A")["Quota"]["Value"] == 5.0
    with pytest.raises(ClientError) as exc:
        quotas.request_service_quota_increase(ServiceCode="ec2", QuotaCode="L-1216C47A", DesiredValue=64)
    assert "servicequotas:RequestServiceQuotaIncrease" in error_of(exc)[2]


def test_policy_changes_apply_on_the_next_request(aws: AwsDouble) -> None:
    role = aws.create_role(CUSTOMER, external_id=EXTERNAL_ID, policy="full")
    support = aws.role_client("support", role, external_id=EXTERNAL_ID)
    new_case(support)
    aws.set_role_policy(role, "readonly")
    with pytest.raises(ClientError):
        new_case(support)
    aws.set_role_policy(role, "none")
    with pytest.raises(ClientError):
        support.describe_cases()
    aws.set_role_policy(
        role,
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "support:*", "Resource": "*"}]},
    )
    assert len(support.describe_cases()["cases"]) == 1
    aws.delete_role(role)
    with pytest.raises(ClientError) as exc:
        aws.assume(role, external_id=EXTERNAL_ID)
    assert error_of(exc)[:2] == ("AccessDenied", 403)


def test_wrong_external_id_is_refused_cross_account(aws: AwsDouble) -> None:
    role = aws.create_role(CUSTOMER, external_id=EXTERNAL_ID)
    with pytest.raises(ClientError) as exc:
        aws.assume(role, external_id="T0123ABCD-other")
    code, status, message = error_of(exc)
    assert (code, status) == ("AccessDenied", 403) and "sts:AssumeRole" in message
    assert aws.assume(role, external_id=EXTERNAL_ID)["AccessKeyId"].startswith("ASIA")


def test_missing_external_id_is_refused(aws: AwsDouble) -> None:
    cross = aws.create_role(CUSTOMER, external_id=EXTERNAL_ID)
    same = aws.create_role(APP_ACCOUNT_ID, external_id=EXTERNAL_ID)
    for role in (cross, same):
        with pytest.raises(ClientError) as exc:
            aws.assume(role)
        assert error_of(exc)[:2] == ("AccessDenied", 403)


def test_role_without_external_id_condition_accepts_any(aws: AwsDouble) -> None:
    role = aws.create_role(CUSTOMER, external_id=None)
    assert aws.assume(role, external_id="probe-7b1f0c")["AccessKeyId"]
    assert aws.assume(role)["AccessKeyId"]


def test_untrusted_principals_and_unknown_roles_are_refused(aws: AwsDouble) -> None:
    other_app = aws.create_role(
        CUSTOMER, "TrustsSomeoneElse", external_id=None, trust_principal="arn:aws:iam::999988887777:role/x"
    )
    service_only = aws.create_role(
        CUSTOMER,
        "ServiceOnly",
        external_id=None,
        trust_principal="arn:aws:iam::999988887777:role/x",
        extra_trust_statements=[
            {
                "Effect": "Allow",
                "Principal": {"Service": "supportapp.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    )
    account_root = aws.create_role(
        CUSTOMER,
        "TrustsAppAccount",
        external_id=EXTERNAL_ID,
        trust_principal=f"arn:aws:iam::{APP_ACCOUNT_ID}:root",
    )
    for role in (other_app, service_only, f"arn:aws:iam::{CUSTOMER}:role/DoesNotExist"):
        with pytest.raises(ClientError) as exc:
            aws.assume(role, external_id=EXTERNAL_ID)
        assert error_of(exc)[0] == "AccessDenied"
    assert aws.assume(account_root, external_id=EXTERNAL_ID)


def test_assume_role_calls_are_counted_and_recorded(aws: AwsDouble) -> None:
    role = aws.create_role(CUSTOMER, external_id=EXTERNAL_ID)
    aws.assume(role, external_id=EXTERNAL_ID, session_name="slack-U1")
    aws.assume(role, external_id=EXTERNAL_ID, session_name="slack-U2")
    with pytest.raises(ClientError):
        aws.assume(role, external_id="nope-nope", session_name="slack-U3")
    assert aws.assume_role_count == 3
    assert [(c.session_name, c.external_id, c.allowed) for c in aws.assume_role_calls] == [
        ("slack-U1", EXTERNAL_ID, True),
        ("slack-U2", EXTERNAL_ID, True),
        ("slack-U3", "nope-nope", False),
    ]
    assert {c.role_arn for c in aws.assume_role_calls} == {role}
    assert all(c.caller_account == APP_ACCOUNT_ID for c in aws.assume_role_calls)


def test_a_role_can_be_made_to_report_another_account_to_get_caller_identity(aws: AwsDouble) -> None:
    role = aws.create_role(CUSTOMER, external_id=EXTERNAL_ID)
    other = aws.create_role(CUSTOMER, "OtherRole", external_id=EXTERNAL_ID)
    aws.report_caller_account(role, "999999999999")
    identity = aws.role_client("sts", role, external_id=EXTERNAL_ID).get_caller_identity()
    assert identity["Account"] == "999999999999"
    assert identity["Arn"] == "arn:aws:sts::999999999999:assumed-role/AWSSupportSlackRole/aws-double-test"
    untouched = aws.role_client("sts", other, external_id=EXTERNAL_ID).get_caller_identity()
    assert untouched["Account"] == CUSTOMER
    assert aws.app_client("sts").get_caller_identity()["Account"] == APP_ACCOUNT_ID


def test_invalid_role_session_name_is_a_validation_error(aws: AwsDouble) -> None:
    role = aws.create_role(CUSTOMER, external_id=EXTERNAL_ID)
    with pytest.raises(ClientError) as exc:
        aws.assume(role, external_id=EXTERNAL_ID, session_name="Jane Doe")
    assert error_of(exc)[:2] == ("ValidationError", 400)


# --- records, injection, gates ------------------------------------------------------------------------------


def test_calls_are_recorded_in_order_without_admin_traffic(aws: AwsDouble, full_support: Any) -> None:
    aws.reset_records()
    new_case(full_support)
    full_support.describe_cases()
    aws.admin(CUSTOMER, "iam").list_roles()
    assert [(c.service, c.operation, c.account) for c in aws.calls] == [
        ("support", "CreateCase", CUSTOMER),
        ("support", "DescribeCases", CUSTOMER),
    ]
    assert aws.calls[0].at <= aws.calls[1].at
    assert aws.all_calls[-1].admin and aws.all_calls[-1].operation == "ListRoles"
    assert [c.operation for c in aws.calls_to("support", "create_case")] == ["CreateCase"]


def test_error_injection(aws: AwsDouble, full_support: Any) -> None:
    aws.fail_next("support", "CreateCase", "CaseCreationLimitExceeded", times=2)
    for _ in range(2):
        with pytest.raises(ClientError) as exc:
            new_case(full_support)
        assert error_of(exc)[:2] == ("CaseCreationLimitExceeded", 400)
    new_case(full_support)

    aws.fail_next("support", "describe_cases", "ThrottlingException")
    with pytest.raises(ClientError) as exc:
        full_support.describe_cases()
    assert error_of(exc)[0] == "ThrottlingException"

    aws.fail_next("support", "DescribeServices", "InternalServerError")
    with pytest.raises(ClientError) as exc:
        full_support.describe_services()
    assert error_of(exc)[:2] == ("InternalServerError", 500)

    aws.fail_next("servicequotas", "ListServices", "TooManyRequestsException")
    role = aws.create_role(CUSTOMER, "Quotas", external_id=None)
    quotas = aws.role_client("service-quotas", role)
    with pytest.raises(quotas.exceptions.TooManyRequestsException):
        quotas.list_services()

    aws.fail_next("sts", "AssumeRole", "RegionDisabledException", status=403)
    with pytest.raises(ClientError) as exc:
        aws.assume(role)
    assert error_of(exc)[:2] == ("RegionDisabledException", 403)
    assert aws.assume(role)


def test_injection_happens_after_iam(aws: AwsDouble) -> None:
    role = aws.create_role(CUSTOMER, external_id=None, policy="readonly")
    support = aws.role_client("support", role)
    aws.fail_next("support", "CreateCase", "CaseCreationLimitExceeded")
    with pytest.raises(ClientError) as exc:
        new_case(support)
    assert error_of(exc)[0] == "403"
    aws.set_role_policy(role, "full")
    with pytest.raises(ClientError) as exc:
        new_case(support)
    assert error_of(exc)[0] == "CaseCreationLimitExceeded"


def test_account_without_premium_support(aws: AwsDouble, full_support: Any) -> None:
    aws.set_support_plan(CUSTOMER, premium=False)
    with pytest.raises(ClientError) as exc:
        full_support.describe_severity_levels()
    assert error_of(exc)[:2] == ("SubscriptionRequiredException", 400)
    aws.set_support_plan(CUSTOMER, premium=True)
    assert full_support.describe_severity_levels()["severityLevels"]


def test_gate_holds_a_request_until_released(aws: AwsDouble, full_support: Any) -> None:
    gate = aws.gate("support", "CreateCase")
    result: dict[str, str] = {}
    worker = threading.Thread(target=lambda: result.setdefault("case", new_case(full_support)))
    worker.start()
    assert gate.wait_reached(10)
    assert "case" not in result
    gate.release()
    worker.join(10)
    assert result["case"].startswith("case-")


# --- service quotas -----------------------------------------------------------------------------------------


def test_quotas_catalogue_and_applied_values(aws: AwsDouble) -> None:
    role = aws.create_role(CUSTOMER, external_id=EXTERNAL_ID)
    quotas = aws.role_client("service-quotas", role, external_id=EXTERNAL_ID)
    codes = {s["ServiceCode"] for s in quotas.list_services()["Services"]}
    assert {"ec2", "lambda", "vpc"} <= codes
    page = quotas.list_services(MaxResults=3)
    assert len(page["Services"]) == 3 and page["NextToken"]

    ec2 = quotas.get_service_quota(ServiceCode="ec2", QuotaCode="L-1216C47A")["Quota"]
    assert ec2["QuotaName"] == "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances"
    assert (
        ec2["Value"] == 5.0
        and ec2["Adjustable"]
        and ec2["UsageMetric"]["MetricDimensions"]["Resource"] == "vCPU"
    )
    assert ec2["QuotaArn"] == f"arn:aws:servicequotas:us-east-1:{CUSTOMER}:ec2/L-1216C47A"
    lam = quotas.get_aws_default_service_quota(ServiceCode="lambda", QuotaCode="L-B99A9384")["Quota"]
    assert (lam["QuotaName"], lam["Value"]) == ("Concurrent executions", 1000.0)
    vpc = {q["QuotaCode"]: q for q in quotas.list_service_quotas(ServiceCode="vpc")["Quotas"]}
    assert vpc["L-F678F1CE"]["QuotaName"] == "VPCs per Region" and vpc["L-F678F1CE"]["Value"] == 5.0

    aws.set_applied_quota(CUSTOMER, "ec2", "L-1216C47A", 2)
    assert quotas.get_service_quota(ServiceCode="ec2", QuotaCode="L-1216C47A")["Quota"]["Value"] == 2.0
    default = quotas.get_aws_default_service_quota(ServiceCode="ec2", QuotaCode="L-1216C47A")["Quota"]
    assert default["Value"] == 5.0
    west = aws.role_client("service-quotas", role, external_id=EXTERNAL_ID, region="us-west-2")
    assert west.get_service_quota(ServiceCode="ec2", QuotaCode="L-1216C47A")["Quota"]["Value"] == 5.0
    with pytest.raises(quotas.exceptions.NoSuchResourceException):
        quotas.get_service_quota(ServiceCode="ec2", QuotaCode="L-00000000")
    eu = aws.role_client("service-quotas", role, external_id=EXTERNAL_ID, region="eu-west-1")
    with pytest.raises(eu.exceptions.NoSuchResourceException):
        eu.get_service_quota(ServiceCode="ec2", QuotaCode="L-2C3B7624")  # not offered there


def test_quota_increase_requests(aws: AwsDouble) -> None:
    role = aws.create_role(CUSTOMER, external_id=EXTERNAL_ID)
    quotas = aws.role_client("service-quotas", role, external_id=EXTERNAL_ID, session_name="U024BE7LH")
    aws.set_applied_quota(CUSTOMER, "ec2", "L-1216C47A", 2)  # applied below default
    for value in (2, 5):  # at the default, even though above the applied value
        with pytest.raises(quotas.exceptions.IllegalArgumentException) as exc:
            quotas.request_service_quota_increase(
                ServiceCode="ec2", QuotaCode="L-1216C47A", DesiredValue=value
            )
        assert "default quota value of 5.0" in str(exc.value)

    requested = quotas.request_service_quota_increase(
        ServiceCode="ec2", QuotaCode="L-1216C47A", DesiredValue=8
    )["RequestedQuota"]
    assert requested["Status"] == "CASE_OPENED" and requested["CaseId"].startswith(f"case-{CUSTOMER}-")
    assert requested["DesiredValue"] == 8.0 and "U024BE7LH" in requested["Requester"]
    with pytest.raises(quotas.exceptions.ResourceAlreadyExistsException):
        quotas.request_service_quota_increase(ServiceCode="ec2", QuotaCode="L-1216C47A", DesiredValue=16)
    fetched = quotas.get_requested_service_quota_change(RequestId=requested["Id"])["RequestedQuota"]
    assert fetched["Id"] == requested["Id"] and isinstance(fetched["Created"], datetime)

    aws.set_quota_request_status(CUSTOMER, requested["Id"], "APPROVED")
    assert quotas.get_service_quota(ServiceCode="ec2", QuotaCode="L-1216C47A")["Quota"]["Value"] == 8.0
    with pytest.raises(quotas.exceptions.IllegalArgumentException):
        quotas.request_service_quota_increase(ServiceCode="ec2", QuotaCode="L-1216C47A", DesiredValue=7)
    pending = quotas.request_service_quota_increase(
        ServiceCode="ec2", QuotaCode="L-1216C47A", DesiredValue=10
    )
    assert pending["RequestedQuota"]["Status"] == "PENDING" and "CaseId" not in pending["RequestedQuota"]
    history = quotas.list_requested_service_quota_change_history_by_quota(
        ServiceCode="ec2", QuotaCode="L-1216C47A"
    )
    assert [r["Status"] for r in history["RequestedQuotas"]] == ["PENDING", "APPROVED"]

    with pytest.raises(quotas.exceptions.IllegalArgumentException):
        quotas.request_service_quota_increase(
            ServiceCode="ec2", QuotaCode="L-0E3CBAB9", DesiredValue=50
        )  # fixed
    with pytest.raises(quotas.exceptions.NoSuchResourceException):
        quotas.get_requested_service_quota_change(RequestId="0123456789abcdef")


def test_missing_service_linked_role(aws: AwsDouble) -> None:
    no_slr_policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "servicequotas:*", "Resource": "*"}],
    }
    limited = aws.create_role(CUSTOMER, "Limited", external_id=None, policy=no_slr_policy)
    full = aws.create_role(CUSTOMER, "Full", external_id=None, policy="full")
    aws.remove_quotas_service_linked_role(CUSTOMER)
    limited_quotas = aws.role_client("service-quotas", limited)
    with pytest.raises(limited_quotas.exceptions.DependencyAccessDeniedException):
        limited_quotas.request_service_quota_increase(
            ServiceCode="lambda", QuotaCode="L-B99A9384", DesiredValue=2000
        )
    full_quotas = aws.role_client("service-quotas", full)  # may create the service-linked role
    full_quotas.request_service_quota_increase(
        ServiceCode="lambda", QuotaCode="L-B99A9384", DesiredValue=2000
    )
    assert len(aws.quota_requests(CUSTOMER)) == 1


# --- organizations ------------------------------------------------------------------------------------------


def test_management_account_lists_member_accounts(aws: AwsDouble) -> None:
    management = "210987654321"
    org_id = aws.create_organization(management)
    member = aws.add_member_account(management, name="workloads")
    assert len(member) == 12 and member.isdigit()

    mgmt_role = aws.create_role(management, external_id=EXTERNAL_ID, policy="readonly")
    orgs = aws.role_client("organizations", mgmt_role, external_id=EXTERNAL_ID)
    with pytest.raises(ClientError) as exc:
        orgs.list_accounts()
    assert error_of(exc)[1] == 403
    aws.allow_organization_reads(mgmt_role)
    org = orgs.describe_organization()["Organization"]
    assert (org["Id"], org["MasterAccountId"]) == (org_id, management)
    assert {a["Id"] for a in orgs.list_accounts()["Accounts"]} == {management, member}

    member_role = aws.create_role(member, external_id=EXTERNAL_ID, policy="readonly")
    aws.allow_organization_reads(member_role)
    member_orgs = aws.role_client("organizations", member_role, external_id=EXTERNAL_ID)
    assert member_orgs.describe_organization()["Organization"]["MasterAccountId"] == management
