"""Channel configuration rules, limits and `channels apply`, on SQLite and PostgreSQL with moto enforcing IAM."""

from __future__ import annotations

import asyncio
import json
import textwrap

import pytest

from bolt_app.app import Services
from bolt_app.errors import UserFacingError
from bolt_app.services.channel_files import ChannelFiles
from bolt_app.services.channel_files import FileErrors
from bolt_app.services.channel_files import parse_file
from bolt_app.services.channel_files import rows_as_file
from bolt_app.services.channels import ConfigureRequest
from bolt_app.services.context import Actor
from storage.channels import ChannelConfigRow
from storage.channels import Notifications
from storage.workspaces import WorkspaceKey
from tests.fakes.aws import AwsDouble
from tests.helpers.identifiers import UNICODE_DIGITS
from tests.helpers.notification_rules import NOTIFICATION_RULES
from tests.helpers.notification_rules import Rule

ACCOUNT = "210987654321"
A, B = WorkspaceKey("", "T0001"), WorkspaceKey("", "T0002")
ALL = Notifications("all", True, True, True)


@pytest.fixture
def services_database(database_url: str) -> str:
    return database_url


async def _setup(services: Services, aws: AwsDouble, key: WorkspaceKey = A) -> str:
    ext = f"external-id-{key.team_id}-" + "x" * 30
    await services.workspaces.repository.record_install(key, f"Team {key.team_id}", "U1", ext)
    role = aws.create_role(ACCOUNT, f"Role{key.team_id}", external_id=ext)
    await services.accounts.authorize(Actor.member(key, "U1", slack_admin=True), role)
    return role


def _request(channel: str, n: Notifications = ALL, role: str | None = None) -> ConfigureRequest:
    return ConfigureRequest(channel, channel.lower(), ACCOUNT, role, n)


async def _seed(services: Services, key: WorkspaceKey, role: str, channels: list[str]) -> None:
    for channel in channels:
        row = ChannelConfigRow(key, channel, channel.lower(), ACCOUNT, None, role, ALL, "seed")
        await services.channels.repository.save(row, per_account=1000, per_channel=1000)


async def test_the_21st_configuration_of_an_account_is_refused_and_names_the_others(
    services: Services, aws: AwsDouble
) -> None:
    role = await _setup(services, aws)
    await _seed(services, A, role, [f"C{i:04d}" for i in range(20)])
    with pytest.raises(UserFacingError, match="already attached to 20 channels") as refused:
        await services.channels.configure(Actor.member(A, "U1", slack_admin=True), _request("C9999"))
    assert "#c0000" in refused.value.message


async def test_two_org_wide_installs_each_list_only_their_own_channels(
    services: Services, aws: AwsDouble
) -> None:
    """Enterprise Grid org-wide installs all have team ID "": the enterprise ID tells them apart."""
    first, second = WorkspaceKey("E0001", ""), WorkspaceKey("E0002", "")
    await _seed(services, first, "arn:aws:iam::210987654321:role/First", ["C0001"])
    await _seed(services, second, "arn:aws:iam::210987654321:role/Second", ["C0002"])
    assert [r.role_arn for r in await services.channels.for_workspace(first)] == [
        "arn:aws:iam::210987654321:role/First"
    ]
    assert [r.channel_id for r in await services.channels.for_workspace(second)] == ["C0002"]


async def test_the_limit_error_names_only_the_acting_workspaces_channels(
    services: Services, aws: AwsDouble
) -> None:
    role_a, role_b = await _setup(services, aws, A), await _setup(services, aws, B)
    await _seed(services, A, role_a, [f"C{i:04d}" for i in range(12)])
    for i in range(8):  # B's own channel names, private ones among them, are B's business
        row = ChannelConfigRow(B, f"GB{i:03d}", f"secret-b-{i}", ACCOUNT, None, role_b, ALL, "seed")
        await services.channels.repository.save(row, per_account=1000, per_channel=1000)
    with pytest.raises(UserFacingError, match="already attached to 20 channels") as refused:
        await services.channels.configure(Actor.member(A, "U1", slack_admin=True), _request("C9999"))
    message = refused.value.message
    assert all(f"#c{i:04d}" in message for i in range(12))
    assert "secret" not in message and "GB0" not in message
    assert "8 channels of other Slack workspaces" in message


async def test_two_admins_adding_the_20th_and_21st_at_once_exactly_one_wins(
    services: Services, aws: AwsDouble
) -> None:
    role = await _setup(services, aws)
    await _seed(services, A, role, [f"C{i:04d}" for i in range(19)])
    results = await asyncio.gather(
        services.channels.configure(Actor.member(A, "U1", slack_admin=True), _request("CNEW1")),
        services.channels.configure(Actor.member(A, "U2", slack_admin=True), _request("CNEW2")),
        return_exceptions=True,
    )
    assert sum(isinstance(r, ChannelConfigRow) for r in results) == 1, results
    assert sum(isinstance(r, UserFacingError) for r in results) == 1
    assert len(await services.channels.repository.for_account(ACCOUNT)) == 20


async def test_the_101st_account_of_a_channel_is_refused(services: Services, aws: AwsDouble) -> None:
    role = await _setup(services, aws)
    for i in range(100):
        row = ChannelConfigRow(A, "C0001", "ops", f"{i:012d}", None, role, ALL, "seed")
        await services.channels.repository.save(row, per_account=20, per_channel=1000)
    with pytest.raises(UserFacingError, match="already has 100 AWS accounts"):
        await services.channels.configure(Actor.member(A, "U1", slack_admin=True), _request("C0001"))


async def test_workspace_b_cannot_see_or_change_workspace_a_configurations(
    services: Services, aws: AwsDouble
) -> None:
    role_a = await _setup(services, aws, A)
    await _setup(services, aws, B)
    await services.channels.configure(Actor.member(A, "U1", slack_admin=True), _request("C0001"))
    assert await services.channels.for_workspace(B) == []
    assert await services.channels.channel_accounts(B, "C0001") == []
    with pytest.raises(UserFacingError, match="not configured"):
        await services.channels.remove(Actor.member(B, "U1", slack_admin=True), "C0001", ACCOUNT)
    with pytest.raises(UserFacingError, match="could not assume"):
        await services.channels.configure(
            Actor.member(B, "U1", slack_admin=True), _request("C0002", role=role_a)
        )
    assert [r.role_arn for r in await services.channels.for_workspace(A)] == [role_a]


def _file(entries: str, team: str = "T0001") -> str:
    return textwrap.dedent(
        f"""\
        workspaces:
          - team: {team}
            channels:
        """
    ) + textwrap.indent(textwrap.dedent(entries), " " * 6)


ENTRY = """\
- channel: C0001
  name: ops
  account: "210987654321"
  notifications: {severity: high, new_and_reopened: true}
"""


async def test_apply_plans_applies_and_a_second_apply_changes_nothing(
    services: Services, aws: AwsDouble
) -> None:
    role = await _setup(services, aws)
    await _seed(services, A, role, ["COLD"])
    files = ChannelFiles(services.channels)

    dry = await files.apply(_file(ENTRY), "cli:test", dry_run=True)
    assert [r.channel_id for r in dry.create] == ["C0001"] and [r.channel_id for r in dry.delete] == ["COLD"]
    assert {r.channel_id for r in await services.channels.for_workspace(A)} == {
        "COLD"
    }  # dry run wrote nothing

    done = await files.apply(_file(ENTRY), "cli:test")
    assert done.changes == 2
    rows = await services.channels.for_workspace(A)
    assert [(r.channel_id, r.role_arn, r.notifications.severity) for r in rows] == [("C0001", role, "high")]
    again = await files.apply(_file(ENTRY), "cli:test")
    assert again.changes == 0 and len(again.unchanged) == 1

    listed = rows_as_file(rows)
    assert listed["workspaces"][0]["channels"][0]["role_arn"] == role


async def test_apply_is_all_or_nothing(services: Services, aws: AwsDouble) -> None:
    role = await _setup(services, aws)
    await _seed(services, A, role, ["COLD"])
    bad_role = aws.create_role(ACCOUNT, "Untrusted", external_id="someone-else-" + "y" * 30)
    entries = (
        ENTRY
        + f"""\
- channel: C0002
  account: "210987654321"
  role_arn: {bad_role}
  notifications: {{severity: all, resolved: true}}
"""
    )
    with pytest.raises(FileErrors, match="could not assume"):
        await ChannelFiles(services.channels).apply(_file(entries), "cli:test")
    assert [r.channel_id for r in await services.channels.for_workspace(A)] == ["COLD"]


@pytest.mark.parametrize(
    ("entries", "words"),
    [
        ("- channel: C0001\n  account: '210987654321'\n  colour: red\n", "unknown key 'colour'"),
        ("- channel: C0001\n  account: 210987654321\n", "account must be a str"),
        ("- channel: D0001\n  account: '210987654321'\n", "direct messages cannot be used"),
        ("- channel: C0001\n  account: '2109876'\n", "12 digits"),
        (f"- channel: C0001\n  account: '{UNICODE_DIGITS}'\n", "12 digits"),
        ('- channel: C0001\n  account: "210987654321\\n"\n', "12 digits"),
        ("- channel: \"C0001\\n\"\n  account: '210987654321'\n", "not a channel ID"),
        ("- channel: C\u0661\u0662\u0663\n  account: '210987654321'\n", "not a channel ID"),
        (
            "- channel: C0001\n  account: '210987654321'\n  role_arn: \"arn:aws:iam::210987654321:role/R\\n\"\n",
            "IAM role ARN",
        ),
        (
            "- channel: C0001\n  account: '210987654321'\n  role_arn: arn:aws:iam::999999999999:role/R\n",
            "role of account",
        ),
        (ENTRY + ENTRY, "the same channel and account as line"),
    ],
)
async def test_apply_refuses_a_bad_file_with_the_line(
    services: Services, aws: AwsDouble, entries: str, words: str
) -> None:
    await _setup(services, aws)
    with pytest.raises(FileErrors) as refused:
        await ChannelFiles(services.channels).apply(_file(entries), "cli:test")
    assert words in refused.value.message and "line " in refused.value.message
    assert await services.channels.for_workspace(A) == []


IN_FILE_WORDS = {
    "choose at least one": "set at least one of new_and_reopened, correspondence, resolved to true",
    "leave New and reopened cases": "new_and_reopened, correspondence and resolved must be false or left out",
    "must be one of": "severity must be one of: all, high, none (got 'medium')",
}


@pytest.mark.parametrize("rule", [*NOTIFICATION_RULES, Rule("medium", True, False, False, "must be one of")])
async def test_notification_rules_in_apply(services: Services, aws: AwsDouble, rule: Rule) -> None:
    await _setup(services, aws)
    flags = ", ".join(
        f"{key}: {str(on).lower()}"
        for key, on in (
            ("new_and_reopened", rule.new),
            ("correspondence", rule.corr),
            ("resolved", rule.resolved),
        )
    )
    entry = f"- channel: C0001\n  account: '210987654321'\n  notifications: {{severity: {rule.severity}, {flags}}}\n"
    files = ChannelFiles(services.channels)
    if rule.error:
        with pytest.raises(FileErrors) as refused:
            await files.apply(_file(entry), "cli:test")
        # The file's own keys and values, never the modal's labels ("New and reopened cases", "All cases").
        assert IN_FILE_WORDS[rule.error] in refused.value.message
        assert "cases" not in refused.value.message
    else:
        assert (await files.apply(_file(entry), "cli:test")).changes == 1


@pytest.mark.parametrize(
    ("team", "enterprise", "ok"),
    [
        ("T0001", "", True),
        ("", "E0001", True),  # an org-wide install
        ("T0001", "E0001", True),
        ("", "", False),
        ("T0001\n", "", False),
        ("T\u0661\u0662\u0663", "", False),
        ("T0001", "E\u0661\u0662", False),
    ],
)
def test_workspace_ids_in_a_channel_file_are_ascii(team: str, enterprise: str, ok: bool) -> None:
    text = json.dumps(
        {
            "workspaces": [
                {
                    "team": team,
                    "enterprise": enterprise,
                    "channels": [{"channel": "C0001", "account": ACCOUNT}],
                }
            ]
        }
    )
    if ok:
        assert [w.config.workspace for w in parse_file(text)] == [WorkspaceKey(enterprise, team)]
    else:
        with pytest.raises(FileErrors, match="team must be a Slack team ID"):
            parse_file(text)


MEMBERS_ENTRY = """\
- channel: C0001
  name: ops
  account: "210987654321"
  members:
    create: everyone            # everyone | admins | [S0ONCALL, U0123ABCD]
    reply: everyone
    resolve: [S0ONCALL]
    quota: admins
    max_severity: high          # low | normal | high | urgent | critical
    critical_allowed: [S0ONCALL]
"""
MEMBERS_BLOCK = """\
members:
  create: everyone
  reply: everyone
  resolve:
  - S0ONCALL
  quota: admins
  max_severity: high
  critical_allowed:
  - S0ONCALL
"""


async def test_apply_round_trips_the_members_block(services: Services, aws: AwsDouble) -> None:
    import yaml

    await _setup(services, aws)
    files = ChannelFiles(services.channels)
    assert (await files.apply(_file(MEMBERS_ENTRY), "cli:test")).changes == 1
    [row] = await services.channels.for_workspace(A)
    [account] = await services.channels.channel_accounts(A, "C0001")
    assert account.members.resolve.ids == ("S0ONCALL",) and account.members.quota.kind == "admins"

    listed = rows_as_file([row])
    entry = listed["workspaces"][0]["channels"][0]
    assert yaml.safe_dump({"members": entry["members"]}, sort_keys=False) == MEMBERS_BLOCK
    again = await files.apply(yaml.safe_dump(listed, sort_keys=False), "cli:test")
    assert again.changes == 0 and len(again.unchanged) == 1

    # Taking the block out gives the channel back to everyone.
    plain = await files.apply(_file(ENTRY), "cli:test")
    assert [line for line in plain.lines() if line.startswith("update")] == [
        "update    T0001 #ops 210987654321 (notifications, members)"
    ]
    [account] = await services.channels.channel_accounts(A, "C0001")
    assert account.members.is_default


def _members_entry(block: str) -> str:
    return '- channel: C0001\n  account: "210987654321"\n  members:\n' + textwrap.indent(block, "    ")


@pytest.mark.parametrize(
    ("block", "line", "words"),
    [
        ("create: admins\ncolour: red\n", 8, "unknown action 'colour' in members"),
        ("close: [S0ONCALL]\n", 7, "unknown action 'close'"),
        ("create: admins\nresolve: [S0ONCALL, C0001]\n", 8, "'C0001' is not a user group (S…) or user"),
        ("quota: nobody\n", 7, "quota must be everyone, admins or a list of IDs (got 'nobody')"),
        ("reply: [u0123abcd]\n", 7, "'u0123abcd' is not a user group"),
        ("max_severity: medium\n", 7, "max_severity must be one of: low, normal, high, urgent, critical"),
        ("create: admins\n\nmax_severity: sev1\n", 9, "(got 'sev1')"),
        ("critical_allowed: S0ONCALL\n", 7, "critical_allowed must be a list"),
    ],
)
async def test_apply_refuses_each_invalid_members_form_with_its_line(
    services: Services, aws: AwsDouble, block: str, line: int, words: str
) -> None:
    await _setup(services, aws)
    with pytest.raises(FileErrors) as refused:
        await ChannelFiles(services.channels).apply(_file(_members_entry(block)), "cli:test")
    [error] = refused.value.errors
    assert error.startswith(f"line {line} (workspaces[0].channels[0].members): ") and words in error
    assert await services.channels.for_workspace(A) == []


async def test_a_channel_key_misspelt_next_to_members_is_an_unknown_key(
    services: Services, aws: AwsDouble
) -> None:
    await _setup(services, aws)
    entry = '- channel: C0001\n  account: "210987654321"\n  memebers:\n    create: admins\n'
    with pytest.raises(
        FileErrors, match=r"line 6 \(workspaces\[0\]\.channels\[0\]\): unknown key 'memebers'"
    ):
        await ChannelFiles(services.channels).apply(_file(entry), "cli:test")
