"""The quota request rules (pure): the value asked for, the type-ahead filter, the Regions offered."""

from __future__ import annotations

import botocore.session
import pytest

from bolt_app.errors import UserFacingError
from bolt_app.services.choice import Choice
from bolt_app.services.choice import filter_choices
from bolt_app.services.quotas.fields import REGIONS
from bolt_app.services.quotas.fields import VALUE_FIELD
from bolt_app.services.quotas.models import QuotaDetails
from bolt_app.services.quotas.rules import validate_requested_value
from bolt_app.services.quotas.service import QuotaService
from tests.helpers.values import quota_details


def _details(applied: float = 10, default: float = 5, unit: str = "None") -> QuotaDetails:
    return quota_details(applied_value=applied, default_value=default, unit=unit)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("11", 11.0), (" 1,000 ", 1000.0), ("10.5", 10.5), ("10_000_000_000", 1e10)],
)
def test_requested_values_that_pass(text: str, expected: float) -> None:
    assert validate_requested_value(text, _details()) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "Enter the value you need"),
        ("lots", "is not a number"),
        ("-3", "positive number"),
        ("nan", "positive number"),
        ("10000000001", "at most 10,000,000,000"),
        ("5", "more than the AWS default value of 5"),
        ("10", "more than the applied value of 10"),
    ],
)
def test_requested_values_that_fail(text: str, words: str) -> None:
    with pytest.raises(UserFacingError) as refused:
        validate_requested_value(text, _details())
    assert words in refused.value.message and refused.value.field == VALUE_FIELD


def test_units_are_named_in_the_value_rule() -> None:
    with pytest.raises(UserFacingError) as refused:
        validate_requested_value("70", _details(applied=75, default=75, unit="Gigabytes"))
    assert "75 Gigabytes" in refused.value.message


def test_filter_puts_the_typed_code_first_and_keeps_every_match() -> None:
    choices = [Choice("ec2-x", "Aaa"), Choice("ec2", "Zzz EC2"), Choice("s3", "S3")]
    assert [c.code for c in filter_choices(choices, "EC2")] == ["ec2", "ec2-x"]
    assert len(filter_choices([Choice(f"s{i}", f"S {i}") for i in range(150)], "")) == 150  # the blocks cut


def test_regions_are_commercial_regions_botocore_knows() -> None:
    known = botocore.session.get_session().get_available_regions("service-quotas")
    assert set(REGIONS) <= set(known) and "us-east-1" in REGIONS
    assert [r.code for r in QuotaService.regions()] == list(REGIONS)
