"""Tests of the realistic AWS double: latency per operation, AWS's throttling, per-second counts, lost answers."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.exceptions import ConnectionClosedError

from tests.fakes.aws import AwsDouble
from tests.fakes.aws_realism import Latencies
from tests.fakes.aws_realism import Realism
from tests.fakes.aws_realism import TokenBucket
from tests.fakes.aws_realism import most_in_one_second
from tests.fakes.aws_realism import per_second
from tests.fakes.test_aws_double import CUSTOMER
from tests.fakes.test_aws_double import EXTERNAL_ID
from tests.fakes.test_aws_double import OTHER_CUSTOMER
from tests.fakes.test_aws_double import error_of
from tests.fakes.test_aws_double import new_case

pytest_plugins = ["tests.fakes.aws_fixtures"]


def support_of(aws: AwsDouble, account: str = CUSTOMER) -> Any:
    role = aws.create_role(account, external_id=EXTERNAL_ID, policy="full")
    return aws.role_client("support", role, external_id=EXTERNAL_ID)


def codes_of(calls: list[Any]) -> list[str | None]:
    results: list[str | None] = []
    for call in calls:
        try:
            call()
            results.append(None)
        except ClientError as e:
            results.append(e.response["Error"]["Code"])
    return results


# --- pure parts ------------------------------------------------------------------------------------------


def test_a_token_bucket_allows_its_burst_then_its_rate() -> None:
    bucket = TokenBucket(rate=5.0, capacity=5, now=0.0)
    assert [bucket.take(0.0) for _ in range(6)] == [True] * 5 + [False]
    assert not bucket.take(0.1)  # half a token
    assert bucket.take(0.2)
    assert [bucket.take(10.0) for _ in range(6)] == [True] * 5 + [False]  # never more than the burst


def test_latencies_are_the_issues_figures_scaled() -> None:
    short = Latencies().scaled(0.1)
    assert short.of("sts", "assumerole") == pytest.approx(0.015)
    assert short.of("support", "describecases") == pytest.approx(0.03)
    assert short.of("support", "createcase") == pytest.approx(0.08)
    assert short.of("service-quotas", "getservicequota") == pytest.approx(0.03)
    assert short.of("iam", "createrole") == 0.0


def test_counting_per_second_and_in_any_second() -> None:
    times = [0.0, 0.1, 0.95, 1.0, 1.5, 1.9, 3.2]
    assert per_second(times) == {0: 3, 1: 3, 3: 1}
    assert most_in_one_second(times) == 4  # 0.95, 1.0, 1.5, 1.9
    assert most_in_one_second([]) == 0


def test_case_creation_is_limited_per_account_per_hour() -> None:
    now = [0.0]
    realism = Realism(cases_per_hour=2, support_burst=100, clock=lambda: now[0])
    answers = [realism.throttle("support", "createcase", "a", "us-east-1") for _ in range(3)]
    assert [a.code if a else None for a in answers] == [None, None, "CaseCreationLimitExceeded"]
    assert realism.throttle("support", "createcase", "b", "us-east-1") is None
    now[0] = 3600.0
    assert realism.throttle("support", "createcase", "a", "us-east-1") is None


# --- through the double ------------------------------------------------------------------------------------


def test_the_instant_double_never_throttles(aws: AwsDouble) -> None:
    support = support_of(aws)
    assert codes_of([lambda: support.describe_services(language="en")] * 12) == [None] * 12
    assert aws.realism is None


def test_support_throttles_beyond_five_calls_per_second_per_account(aws: AwsDouble) -> None:
    support, other = support_of(aws), support_of(aws, OTHER_CUSTOMER)
    aws.realistic(scale=0.0, clock=lambda: 0.0)  # time stands still: no token comes back
    codes = codes_of([lambda: support.describe_severity_levels(language="en")] * 7)
    assert codes[:5] == [None] * 5 and "ThrottlingException" in codes[5:]
    # another account has its own bucket
    assert codes_of([lambda: other.describe_services(language="en")] * 5) == [None] * 5
    with pytest.raises(ClientError) as exc:
        for _ in range(3):
            support.describe_cases()
    assert error_of(exc)[:2] == ("ThrottlingException", 400)
    assert aws.most_calls_in_one_second("support", CUSTOMER) >= 6
    assert aws.most_calls_in_one_second("support", OTHER_CUSTOMER) == 5
    throttled = aws.throttled_calls("support")
    assert throttled and {c.account for c in throttled} == {CUSTOMER}


def test_service_quotas_throttle_per_operation_with_too_many_requests(aws: AwsDouble) -> None:
    role = aws.create_role(CUSTOMER, external_id=EXTERNAL_ID, policy="full")
    quotas = aws.role_client("service-quotas", role, external_id=EXTERNAL_ID)
    aws.realistic(scale=0.0, clock=lambda: 0.0)
    read = lambda: quotas.get_service_quota(ServiceCode="ec2", QuotaCode="L-1216C47A")  # noqa: E731
    codes = codes_of([read] * 7)
    assert codes[:5] == [None] * 5 and "TooManyRequestsException" in codes[5:]
    assert codes_of([lambda: quotas.list_services()] * 10) == [None] * 10  # its own bucket of 10


def test_latency_is_per_operation_and_calls_run_side_by_side(aws: AwsDouble) -> None:
    support = support_of(aws)
    aws.realistic(scale=0.2, support_burst=50)  # reads 60 ms, CreateCase 160 ms

    def timed(call: Any) -> float:
        started = time.monotonic()
        call()
        return time.monotonic() - started

    assert timed(lambda: support.describe_services(language="en")) >= 0.06
    assert timed(lambda: new_case(support)) >= 0.16
    with ThreadPoolExecutor(4) as pool:
        started = time.monotonic()
        list(pool.map(lambda _: support.describe_services(language="en"), range(4)))
        together = time.monotonic() - started
    assert together >= 0.06
    assert len(aws.calls_to("support", "DescribeServices")) == 5


def test_a_lost_answer_after_aws_acted_leaves_the_case(aws: AwsDouble) -> None:
    support = support_of(aws)
    aws.lose_answer_next("support", "CreateCase", processed=True)
    with pytest.raises(ConnectionClosedError):
        new_case(support, subject="lost answer")
    assert [c.subject for c in aws.cases(CUSTOMER)] == ["lost answer"]
    assert [c.error for c in aws.calls_to("support", "CreateCase")] == ["AnswerLost"]
    new_case(support, subject="answered")  # only the next call lost its answer
    assert len(aws.cases(CUSTOMER)) == 2


def test_a_lost_request_leaves_nothing(aws: AwsDouble) -> None:
    support = support_of(aws)
    aws.lose_answer_next("support", "CreateCase", processed=False)
    with pytest.raises(ConnectionClosedError):
        new_case(support)
    assert aws.cases(CUSTOMER) == []
