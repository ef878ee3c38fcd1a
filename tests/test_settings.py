"""Settings read from the environment that no served request shows: the port, the limit on AWS-bound work and
how long audit entries are kept, each a whole number in a range, refused with its name and its rule."""

from __future__ import annotations

import pytest

from bolt_app.settings import Mode
from bolt_app.settings import SettingsError
from bolt_app.settings import load_settings

BASE = {"DATABASE_URL": "sqlite+aiosqlite:///:memory:"}

# (variable, Settings field, default, a value taken, values refused, the rule the refusal states)
NUMBERS = [
    ("PORT", "port", 3000, "8080", ["0", "65536", "http", "80.5"], "is not a TCP port number (1-65535)."),
    (
        "AWS_WORK_LIMIT",
        "aws_work_limit",
        200,
        "50",
        ["0", "-5", "many", "1.5", "100001"],
        "must be a whole number of requests from 1 to 100000.",
    ),
    (
        "AUDIT_RETENTION_DAYS",
        "audit_retention_days",
        400,
        "0",
        ["-1", "36501", "a year"],
        "must be a whole number of days from 0 (keep) to 36500.",
    ),
]


@pytest.mark.parametrize(("name", "field", "default", "taken", "refused", "rule"), NUMBERS)
def test_a_whole_number_setting_has_its_default_takes_a_value_in_range_and_names_one_outside(
    name: str, field: str, default: int, taken: str, refused: list[str], rule: str
) -> None:
    assert getattr(load_settings(Mode.ADMIN, BASE), field) == default
    assert getattr(load_settings(Mode.ADMIN, BASE | {name: taken}), field) == int(taken)
    for raw in refused:
        with pytest.raises(SettingsError) as refusal:
            load_settings(Mode.ADMIN, BASE | {name: raw})
        assert f"{name}={raw!r} {rule}" in refusal.value.problems
