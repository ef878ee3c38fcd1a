"""Account authorization rules at the service level, on SQLite and PostgreSQL, with moto enforcing IAM."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from bolt_app.app import Services
from bolt_app.app import build_services
from bolt_app.errors import UserFacingError
from bolt_app.services.accounts import parse_account_id
from bolt_app.services.accounts import parse_account_name
from bolt_app.services.accounts import parse_role_arn
from bolt_app.services.context import Actor
from bolt_app.services.context import ChannelAccount
from bolt_app.services.context import SlackActor
from bolt_app.settings import Settings
from storage.workspaces import WorkspaceKey
from tests.fakes.aws import AwsDouble
from tests.helpers.identifiers import UNICODE_DIGITS

ACCOUNT = "210987654321"


@pytest.fixture
def services_database(database_url: str) -> str:
    return database_url


async def _workspaces(services: Services, n: int) -> list[WorkspaceKey]:
    keys = []
    for i in range(1, n + 1):
        key = WorkspaceKey("", f"T{i:04d}")
        await services.workspaces.repository.record_install(
            key, f"Team {i}", "U1", f"external-id-{i:02d}-" + "x" * 30
        )
        keys.append(key)
    return keys


def _role_trusting(aws: AwsDouble, external_ids: list[str]) -> str:
    role = aws.create_role(ACCOUNT, external_id=external_ids[0])
    statements = [
        {
            "Effect": "Allow",
            "Principal": {"AWS": aws.app_principal_arn},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": e}},
        }
        for e in external_ids
    ]
    aws.set_trust_policy(role, {"Version": "2012-10-17", "Statement": statements})
    return role


async def test_two_admins_racing_for_the_fifth_place_exactly_one_wins(
    services: Services, aws: AwsDouble
) -> None:
    keys = await _workspaces(services, 6)
    role = _role_trusting(aws, [f"external-id-{i:02d}-" + "x" * 30 for i in range(1, 7)])
    for key in keys[:4]:
        await services.accounts.authorize(Actor.member(key, "U1", slack_admin=True), role)

    results = await asyncio.gather(
        *(services.accounts.authorize(Actor.member(key, "U1", slack_admin=True), role) for key in keys[4:]),
        return_exceptions=True,
    )
    wins = [r for r in results if not isinstance(r, BaseException)]
    losses = [r for r in results if isinstance(r, UserFacingError)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert "already authorized 5" in losses[0].message
    authorized = [await services.accounts.repository.get_authorization(k, ACCOUNT) for k in keys]
    assert sum(1 for a in authorized if a is not None and a.state == "authorized") == 5


async def test_the_assume_role_call_always_carries_the_external_id_and_the_slack_user(
    services: Services, aws: AwsDouble
) -> None:
    (key,) = await _workspaces(services, 1)
    external_id = "external-id-01-" + "x" * 30
    role = _role_trusting(aws, [external_id])
    await services.accounts.authorize(Actor.member(key, "U42", slack_admin=True), role, "Prod")
    channel = ChannelAccount(key, "C1", "ops", ACCOUNT, "Prod", role, external_id)
    await services.cases.severity_levels(channel, SlackActor.member(key, "U42", "Alice"))  # the role at work

    verify, probe, use = aws.assume_role_calls
    assert [c.session_name for c in (verify, probe, use)] == ["T0001.U42"] * 3
    assert (
        (verify.external_id, use.external_id) == (external_id, external_id) and verify.allowed and use.allowed
    )
    # the probe proving that the role checks the External ID sends another one, which the role refuses
    assert probe.external_id and probe.external_id != external_id and not probe.allowed


@pytest.mark.parametrize(
    ("arn", "ok"),
    [
        ("arn:aws:iam::123456789012:role/AWSSupportSlackRole", True),
        ("arn:aws:iam::123456789012:role/path/to/Role", True),
        ("arn:aws:iam::12345678901:role/R", False),
        ("arn:aws:iam::123456789012:user/R", False),
        ("arn:aws-us-gov:iam::123456789012:role/R", False),
        ("not an arn", False),
    ],
)
def test_role_arn_rules(arn: str, ok: bool) -> None:
    if ok:
        assert parse_role_arn(arn) == "123456789012"
    else:
        with pytest.raises(UserFacingError):
            parse_role_arn(arn)


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("Prod", True),
        ("prod-eu_1 main", True),
        ("x" * 30, True),
        ("x" * 31, False),
        ("Prod!", False),
        ("Prød", False),
    ],
)
def test_account_name_rules(name: str, ok: bool) -> None:
    if ok:
        assert parse_account_name(name) == name
    else:
        with pytest.raises(UserFacingError):
            parse_account_name(name)


@pytest.mark.parametrize(
    "args",
    [
        ["accounts", "events-token", UNICODE_DIGITS],
        ["accounts", "events-token", f"{ACCOUNT}\n"],
        ["accounts", "remove", "--team", "T0001", UNICODE_DIGITS],
        ["accounts", "remove", "--team", "T0001\n", ACCOUNT],
        ["accounts", "list", "--team", "T0001", "--enterprise", "E\u0661\u0662"],
        ["accounts", "authorize", "--team", "T0001", "--role-arn", f"arn:aws:iam::{UNICODE_DIGITS}:role/R"],
        ["accounts", "authorize", "--team", "T0001", "--role-arn", f"arn:aws:iam::{ACCOUNT}:role/R\n"],
    ],
)
def test_cli_refuses_identifiers_that_are_not_ascii_or_end_in_a_newline(args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bolt_app.cli", *args], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "is not a" in done.stderr


@pytest.mark.parametrize("value", [UNICODE_DIGITS, f"{ACCOUNT}\n", f"\n{ACCOUNT}"])
def test_account_ids_are_ascii_digits_only(value: str) -> None:
    with pytest.raises(UserFacingError, match="12 digits"):
        parse_account_id(value)


def test_cli_authorizes_lists_renames_and_removes(tmp_path, aws: AwsDouble) -> None:  # type: ignore[no-untyped-def]
    env = dict(aws.env) | {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cli.db", "PATH": "/usr/bin:/bin"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bolt_app.cli", "--log-level", "ERROR", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    async def seed() -> None:
        settings = Settings(
            database_url=env["DATABASE_URL"],
            token_encryption_keys=tuple((tmp_path / "cli.db.key").read_text().split()),
        )
        services = await build_services(settings)
        await services.workspaces.repository.record_install(
            WorkspaceKey("", "T0001"), "Acme", "U1", "external-id-01-" + "x" * 30
        )
        await services.close()

    assert cli("db", "upgrade").returncode == 0
    asyncio.run(seed())
    role = _role_trusting(aws, ["external-id-01-" + "x" * 30])
    done = cli("accounts", "authorize", "--team", "T0001", "--role-arn", role, "--name", "Prod")
    assert done.returncode == 0, done.stderr
    listed = cli("accounts", "list", "--team", "T0001", "--format", "json")
    assert '"shown_as": "Prod (210987654321)"' in listed.stdout and '"state": "authorized"' in listed.stdout
    bad = cli("accounts", "rename", "--team", "T0001", ACCOUNT, "Prod!")
    assert bad.returncode == 1 and "not allowed" in bad.stderr
    assert cli("accounts", "remove", "--team", "T0001", ACCOUNT).returncode == 0
    assert cli("accounts", "list", "--team", "T0001").stdout.strip() == "[]"
    template = cli("accounts", "template", "--team", "T0001")
    assert "AWS::IAM::Role" in template.stdout and "external-id-01-" in template.stdout
