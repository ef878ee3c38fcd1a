"""Settings read from the environment that no served request shows: the limit on AWS-bound work."""

from __future__ import annotations

import pytest

from bolt_app.settings import Mode, SettingsError, load_settings

BASE = {"DATABASE_URL": "sqlite+aiosqlite:///:memory:"}


def test_the_limit_on_aws_bound_work_defaults_to_200_and_takes_a_whole_number() -> None:
    assert load_settings(Mode.ADMIN, BASE).aws_work_limit == 200
    assert load_settings(Mode.ADMIN, BASE | {"AWS_WORK_LIMIT": "50"}).aws_work_limit == 50


@pytest.mark.parametrize("raw", ["0", "-5", "many", "1.5"])
def test_a_limit_that_is_not_a_positive_whole_number_is_named(raw: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(Mode.ADMIN, BASE | {"AWS_WORK_LIMIT": raw})
    assert any("AWS_WORK_LIMIT" in p for p in refused.value.problems)


def test_the_port_defaults_to_3000_and_takes_a_tcp_port_number() -> None:
    assert load_settings(Mode.ADMIN, BASE).port == 3000
    assert load_settings(Mode.ADMIN, BASE | {"PORT": "8080"}).port == 8080


@pytest.mark.parametrize("raw", ["0", "65536", "http", "80.5"])
def test_a_port_that_is_not_a_tcp_port_number_is_named_with_its_range(raw: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(Mode.ADMIN, BASE | {"PORT": raw})
    assert f"PORT={raw!r} is not a TCP port number (1-65535)." in refused.value.problems
