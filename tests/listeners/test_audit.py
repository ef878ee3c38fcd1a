"""The audit trail people read: `/aws-support audit` and its "Next 20", App Home's "Recent activity", and the
export that joins with CloudTrail. Signed requests into the real app, the fake Slack Web API, moto with IAM
enforced; SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import re
from datetime import timedelta
from typing import Any

import pytest

from bolt_app.audit_cli import run_audit_command
from bolt_app.blocks.audit import AUDIT_NEXT_ACTION
from bolt_app.blocks.cases.parts import RESOLVE_ACTION
from bolt_app.blocks.cases.parts import SEE_DETAILS_ACTION
from bolt_app.blocks.cases.parts import CaseRef
from bolt_app.cli import build_parser
from storage.audit import AuditEvent
from storage.audit import AuditRepository
from storage.clock import utc_now
from storage.workspaces import WorkspaceKey
from tests.fakes.aws import AwsDouble
from tests.fakes.slack_api import TEAM_NAME
from tests.fakes.slack_api import Call
from tests.fakes.slack_api import FakeSlackApi
from tests.helpers.app import AppHarness
from tests.helpers.app import app_settings
from tests.helpers.app import running_app
from tests.helpers.scenario import blocks_of
from tests.helpers.scenario import click_message
from tests.helpers.scenario import configured_channel
from tests.helpers.scenario import response_url_posts
from tests.helpers.scenario import text_of
from tests.helpers.slack_requests import USER_NAME
from tests.helpers.slack_requests import event_body
from tests.helpers.values import ADMIN
from tests.helpers.values import MEMBER

ACCOUNT = "210987654321"
CHANNEL, OTHER_CHANNEL = "C0001", "C0002"
HERE = WorkspaceKey("", "T0001")
NOT_ADMIN = "Only Slack workspace admins and owners"


pytestmark = pytest.mark.usefixtures("admin_and_member")


@pytest.fixture
def listener_database(database_url: str) -> str:
    return database_url


async def write_rows(h: AppHarness, count: int, key: WorkspaceKey = HERE, channel: str = CHANNEL) -> None:
    audit = AuditRepository(h.services.engine)
    for n in range(count):
        await audit.record(
            AuditEvent(
                action="support:DescribeCases",
                outcome="ok",
                enterprise_id=key.enterprise_id,
                team_id=key.team_id,
                channel_id=channel,
                user_id=MEMBER,
                case_id=f"case-{key.team_id or key.enterprise_id}-{channel}-{n:03d}",
            )
        )


async def answer(h: AppHarness, text: str, count: int, **who: Any) -> Call:
    """Runs `/aws-support <text>` and returns the `count`-th ephemeral answer (through the response URL)."""
    assert (await h.command(text, **who)).status == 200
    return (await response_url_posts(h, count))[-1]


def cases_shown(call: Call) -> list[str]:
    """The case of each entry shown, in order (an entry is a section that starts with its time)."""
    entries = [b["text"]["text"] for b in blocks_of(call) if b["type"] == "section"]
    return [m.group(0) for e in entries if e.startswith("<!date^") for m in re.finditer(r"case-[\w-]+", e)]


def next_button(call: Call) -> dict[str, Any] | None:
    for block in blocks_of(call):
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element.get("action_id") == AUDIT_NEXT_ACTION:
                return element
    return None


async def audit_list(h: AppHarness, *args: str) -> tuple[int, str]:
    """`aws-support-slack audit list ARGS` as the operator runs it (the real parser and command), on the app's
    database; returns the exit status and what it printed."""
    parsed = build_parser().parse_args(["audit", "list", *args])
    out = io.StringIO()

    def run() -> int:
        with contextlib.redirect_stdout(out):
            return run_audit_command(h.settings, parsed)

    status = await asyncio.to_thread(run)
    return status, out.getvalue()


# ---- who may read it --------------------------------------------------------------------------------------------


async def test_audit_is_refused_to_a_member_who_is_not_an_admin(harness: AppHarness) -> None:
    await write_rows(harness, 3)
    refused = await answer(harness, "audit", 1, user_id=MEMBER)
    assert NOT_ADMIN in text_of(refused) and "read the audit trail" in text_of(refused)
    assert cases_shown(refused) == []
    # Nor can a member page through a "Next 20" value of their own making.
    await click_message(harness, AUDIT_NEXT_ACTION, '{"b":100}', user_id=MEMBER, ephemeral=True)
    assert NOT_ADMIN in text_of((await response_url_posts(harness, 2))[-1])


async def test_the_apps_listed_admins_may_read_it_too(harness: AppHarness) -> None:
    await write_rows(harness, 1)
    await harness.services.workspaces.repository.set_admins(HERE, [MEMBER])
    shown = await answer(harness, "audit", 1, user_id=MEMBER)
    assert cases_shown(shown) == ["case-T0001-C0001-000"]


# ---- what an admin sees -----------------------------------------------------------------------------------------


async def test_admins_see_the_channels_last_20_entries_then_the_next_20_in_place(harness: AppHarness) -> None:
    await write_rows(harness, 25)
    await write_rows(harness, 2, channel=OTHER_CHANNEL)
    first = await answer(harness, "audit", 1)
    shown = cases_shown(first)
    assert shown == [f"case-T0001-C0001-{n:03d}" for n in range(24, 4, -1)]  # newest first, this channel only
    line = text_of(first)
    assert re.search(r"<!date\^\d+\^\{date_short_pretty\} \{time\}\|20\d\d-\d\d-\d\d \d\d:\d\d UTC>", line)
    assert f"<@{MEMBER}>" in line and "support:DescribeCases" in line
    button = next_button(first)
    assert button is not None and button["text"]["text"] == "Next 20"

    await click_message(harness, AUDIT_NEXT_ACTION, button["value"], ephemeral=True)
    second = (await response_url_posts(harness, 2))[-1]
    assert second.params.get("replace_original") is True
    assert cases_shown(second) == [f"case-T0001-C0001-{n:03d}" for n in range(4, -1, -1)]
    assert next_button(second) is None  # the last page


async def test_entries_show_who_and_why_escaped(harness: AppHarness) -> None:
    await AuditRepository(harness.services.engine).record(
        AuditEvent(
            action="support:ResolveCase",
            outcome="refused",
            team_id="T0001",
            channel_id=CHANNEL,
            user_id=MEMBER,
            case_id="case-1",
            detail="<!channel> only <@U0ONCALL> & co may <https://evil.example|resolve>",
        )
    )
    shown = text_of(await answer(harness, "audit", 1))
    assert (
        "refused (&lt;!channel&gt; only &lt;@U0ONCALL&gt; &amp; co may &lt;https://evil.example|resolve&gt;)"
        in shown
    )
    assert "<!channel>" not in shown and "<https://evil" not in shown


async def test_audit_narrows_to_a_case_or_a_user(harness: AppHarness) -> None:
    await write_rows(harness, 3)
    audit = AuditRepository(harness.services.engine)
    await audit.record(
        AuditEvent(
            "support:ResolveCase",
            "ok",
            team_id="T0001",
            channel_id=CHANNEL,
            user_id=ADMIN,
            user_name="bob",
            case_id="case-T0001-C0001-001",
        )
    )
    by_case = await answer(harness, "audit case-T0001-C0001-001", 1)
    assert cases_shown(by_case) == [
        "case-T0001-C0001-001"
    ] * 2 and "for case case-T0001-C0001-001" in text_of(by_case)
    by_mention = await answer(harness, f"audit <@{ADMIN}|bob>", 2)
    assert "support:ResolveCase" in text_of(by_mention) and len(cases_shown(by_mention)) == 1
    by_id = await answer(harness, f"audit {MEMBER}", 3)
    assert len(cases_shown(by_id)) == 3 and "support:ResolveCase" not in text_of(by_id)
    by_name = await answer(harness, "audit @Bob", 4)  # the name the row recorded, in any case
    assert cases_shown(by_name) == ["case-T0001-C0001-001"]
    nothing = await answer(harness, "audit @nobody", 5)
    assert cases_shown(nothing) == [] and "No entries yet" in text_of(nothing)
    wrong = await answer(harness, "audit 12345 <script>", 6)
    assert "takes nothing" in text_of(wrong) and "case ID (case-…) or @user" in text_of(wrong)


async def test_app_home_shows_admins_the_workspaces_recent_activity(harness: AppHarness) -> None:
    await write_rows(harness, 12)
    await write_rows(harness, 1, key=WorkspaceKey("", "T0OTHER"))

    async def home_of(user_id: str, count: int) -> str:
        event = {"type": "app_home_opened", "user": user_id, "tab": "home", "channel": "D1"}
        assert (await harness.post(event_body(event))).status == 200
        return json.dumps((await harness.slack.wait_for("views.publish", count=count))[-1].params)

    home = await home_of(ADMIN, 1)
    assert "Recent activity" in home
    assert re.findall(r"case-T0001-C0001-\d+", home) == [
        f"case-T0001-C0001-{n:03d}" for n in range(11, 1, -1)
    ]
    assert f"<#{CHANNEL}>" in home and "T0OTHER" not in home
    member_home = await home_of(MEMBER, 2)
    assert "Recent activity" not in member_home and "case-T0001" not in member_home


# ---- tenants never meet -----------------------------------------------------------------------------------------


async def test_two_grid_workspaces_with_the_same_channel_id_each_see_only_their_own_rows(
    database_url: str, slack: FakeSlackApi, aws: AwsDouble
) -> None:
    one, two = WorkspaceKey("E0001", "T1001"), WorkspaceKey("E0001", "T2001")
    async with running_app(app_settings(database_url, slack), slack) as h:
        for key in (one, two):
            slack.oauth.enterprise_id, slack.oauth.team_id = key.enterprise_id, key.team_id
            await h.install()
        await write_rows(h, 2, key=one)
        await write_rows(h, 3, key=two)
        await write_rows(h, 1, key=WorkspaceKey("", "T1001"))  # the same team ID outside the org
        seen = {}
        for n, key in enumerate((one, two), start=1):
            who = {"team_id": key.team_id, "enterprise_id": key.enterprise_id, "user_id": ADMIN}
            seen[key.team_id] = cases_shown(await answer(h, "audit", n, **who))
        assert seen == {
            "T1001": ["case-T1001-C0001-001", "case-T1001-C0001-000"],
            "T2001": ["case-T2001-C0001-002", "case-T2001-C0001-001", "case-T2001-C0001-000"],
        }
        # A "Next 20" click reads the clicker's workspace, whatever page it came from.
        who = {"team_id": two.team_id, "enterprise_id": two.enterprise_id, "user_id": ADMIN}
        await click_message(h, AUDIT_NEXT_ACTION, '{"b":1000000}', ephemeral=True, **who)
        assert cases_shown((await response_url_posts(h, 3))[-1]) == seen["T2001"]


async def test_a_slack_connect_guest_is_refused_and_sees_none_of_the_configuring_workspaces_rows(
    harness: AppHarness, slack: FakeSlackApi
) -> None:
    outsider = {"user_id": "U0EXT01", "user_team_id": "T0EXT99", "is_ext_shared_channel": True}
    slack.set_user(outsider["user_id"], is_admin=True, team_id=outsider["user_team_id"])  # an admin at home
    slack.set_channel(CHANNEL, name="aws-support", is_private=True, is_shared=True, is_ext_shared=True)
    await write_rows(harness, 2)
    await click_message(harness, AUDIT_NEXT_ACTION, '{"b":1000000}', ephemeral=True, **outsider)
    refused = text_of((await response_url_posts(harness, 1))[-1])
    assert TEAM_NAME in refused and "case-T0001" not in refused
    assert cases_shown(await answer(harness, "audit", 2)) == ["case-T0001-C0001-001", "case-T0001-C0001-000"]


# ---- the export joins with CloudTrail ---------------------------------------------------------------------------


async def test_audit_list_jsonl_has_a_line_per_action_with_the_session_name_moto_recorded(
    harness: AppHarness, aws: AwsDouble
) -> None:
    roles = await configured_channel(harness, aws, {ACCOUNT: "full"})
    case = aws.support.put_case(ACCOUNT, subject="Billing question")
    ref = CaseRef(case.account_id, case.case_id, case.language).encode()
    aws.reset_records()
    await click_message(harness, SEE_DETAILS_ACTION, ref, user_id=MEMBER)
    await response_url_posts(harness, 1)
    await click_message(harness, RESOLVE_ACTION, ref, user_id=ADMIN, message_ts="1700000000.000400")
    await harness.slack.wait_for("chat.update")
    await harness.settled()

    status, out = await audit_list(harness, "--format", "jsonl")
    assert status == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(r["user_id"], r["action"], r["outcome"]) for r in lines] == [
        (ADMIN, "support:DescribeCases", "ok"),  # the resolved case, read back for its message
        (ADMIN, "support:ResolveCase", "ok"),
        (MEMBER, "support:DescribeCases", "ok"),  # See details
    ]
    sessions = {c.session_name: c for c in aws.assume_role_calls}
    for row in lines:
        assumed = sessions[row["session_name"]]  # the very RoleSessionName AWS (moto) was sent
        assert assumed.role_arn == row["role_arn"] == roles[ACCOUNT]
        assert row["session_name"] == f"T0001.{row['user_id']}"
        assert row["user_name"] == USER_NAME and row["case_id"] == case.case_id
        assert (row["enterprise_id"], row["team_id"], row["channel_id"], row["account_id"]) == (
            "",
            "T0001",
            CHANNEL,
            ACCOUNT,
        )
        assert row["aws_request_id"] and row["refusal_reason"] is None
        assert abs(utc_now() - _naive(row["time"])) < timedelta(minutes=5)
    assert set(lines[0]) == {
        "id", "time", "enterprise_id", "team_id", "channel_id", "user_id", "user_name", "account_id",
        "role_arn", "action", "case_id", "outcome", "refusal_reason", "detail", "aws_request_id",
        "session_name",
    }  # fmt: skip


def _naive(iso: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(iso).replace(tzinfo=None)
