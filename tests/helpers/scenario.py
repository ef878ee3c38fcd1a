"""Steps that scenario tests repeat: open a modal with a command, submit it, read what the app showed."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from bolt_app.services.cases import fields
from tests.fakes.slack_api import RESPONSE_URL
from tests.fakes.slack_api import Call
from tests.helpers.app import AppHarness
from tests.helpers.slack_requests import SignedResponse
from tests.helpers.slack_requests import block_actions_body
from tests.helpers.slack_requests import block_actions_payload
from tests.helpers.slack_requests import block_suggestion_body
from tests.helpers.slack_requests import block_suggestion_payload
from tests.helpers.slack_requests import view_submission_body
from tests.helpers.slack_requests import view_submission_payload

Json = dict[str, Any]


def case_form(**changes: Any) -> Json:
    """A valid "Create a support case" form (block id -> value, as `with_values` takes it); a change of None
    leaves that field out."""
    values: Json = {
        fields.SUBJECT_BLOCK: "EC2 instance unreachable",
        fields.DESCRIPTION_BLOCK: "i-0123 stopped answering at 10:00 UTC.",
        fields.ISSUE_TYPE_BLOCK: ("option", "technical"),
        fields.SERVICE_BLOCK: ("option", "amazon-elastic-compute-cloud-linux", "EC2 - Linux"),
        fields.CATEGORY_BLOCK: ("option", "instance-issue", "Instance Issue"),
        fields.SEVERITY_BLOCK: ("option", "high"),
        fields.LANGUAGE_BLOCK: ("option", "en"),
    }
    return {k: v for k, v in (values | changes).items() if v is not None}


def view_of(call: Call) -> Json:
    view = call.params["view"]
    return json.loads(view) if isinstance(view, str) else view


def blocks_of(call: Call) -> list[Json]:
    blocks = call.params.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def text_of(call: Call) -> str:
    """Everything a message or view shows, as one string (text, blocks), to assert on words."""
    params = dict(call.params)
    for key in ("blocks", "view"):
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return json.dumps(params, ensure_ascii=False)  # words as Slack shows them (–, …, ·)


async def open_modal(h: AppHarness, command_text: str, **kwargs: Any) -> Json:
    """Runs the command and returns the view the app opened (with an id, like Slack's)."""
    before = len(h.slack.calls("views.open"))
    response = await h.command(command_text, **kwargs)
    assert response.status == 200
    calls = await h.slack.wait_for("views.open", count=before + 1)
    view = view_of(calls[-1])
    return view | {"id": f"V{before + 1:08d}", "hash": "h", "state": {"values": {}}}


def with_values(view: Json, values: dict[str, Any]) -> Json:
    """The view as Slack submits it: `values` maps block id to a text value or, for selects, ("option", value)
    (or ("option", value, shown text)); ("date", "2024-05-01") for a datepicker, ("files", [slack_file(...)])
    for a file input."""
    state: Json = {}
    for block_id, value in values.items():
        if isinstance(value, tuple) and value[0] == "files":
            state[block_id] = {"value": {"type": "file_input", "files": list(value[1])}}
        elif isinstance(value, tuple) and value[0] == "date":
            state[block_id] = {"value": {"type": "datepicker", "selected_date": value[1]}}
        elif isinstance(value, tuple):
            shown = value[2] if len(value) > 2 else value[1]
            option = {"value": value[1], "text": {"type": "plain_text", "text": shown}}
            state[block_id] = {"value": {"type": "static_select", "selected_option": option}}
        else:
            state[block_id] = {"value": {"type": "plain_text_input", "value": value}}
    return view | {"state": {"values": state}}


def slack_file(file_id: str, name: str, size: int) -> Json:
    """A file as a file_input's state shows it (Slack tells its size before anything is downloaded)."""
    return {"id": file_id, "name": name, "title": name, "size": size, "mimetype": "application/octet-stream"}


async def submit(h: AppHarness, view: Json, values: dict[str, Any], **who: Any) -> SignedResponse:
    return await h.post(view_submission_body(view_submission_payload(with_values(view, values), **who)))


async def click(
    h: AppHarness, action_id: str, value: str, *, view: Json | None = None, **who: Any
) -> SignedResponse:
    action = {"action_id": action_id, "block_id": "b", "value": value, "type": "button", "action_ts": "1.1"}
    return await h.post(block_actions_body(block_actions_payload(action, view=view, **who)))


async def click_message(
    h: AppHarness,
    action_id: str,
    value: str,
    *,
    ephemeral: bool = False,
    message_ts: str | None = None,
    **who: Any,
) -> SignedResponse:
    """A button clicked in a message of the channel (or, `ephemeral`, in a message only the user sees)."""
    action = {"action_id": action_id, "block_id": "b", "value": value, "type": "button", "action_ts": "1.1"}
    payload = block_actions_payload(action, message_ts=message_ts, **who)
    payload["container"]["is_ephemeral"] = ephemeral
    if ephemeral:
        payload.pop("message", None)  # Slack does not echo ephemeral messages
    return await h.post(block_actions_body(payload))


async def choose_in_modal(
    h: AppHarness, view: Json, block_id: str, action_id: str, values: dict[str, Any], **who: Any
) -> SignedResponse:
    """A dispatching select of a modal changed to the value `values[block_id]` gives."""
    current = with_values(view, values)
    selected = current["state"]["values"][block_id]["value"]
    action = {"action_id": action_id, "block_id": block_id, "action_ts": "1.2"} | selected
    return await h.post(block_actions_body(block_actions_payload(action, view=current, **who)))


async def suggest(
    h: AppHarness, view: Json, action_id: str, block_id: str, query: str, values: dict[str, Any] | None = None
) -> list[Json]:
    """The options an external select offers while the user types `query`."""
    payload = block_suggestion_payload(
        action_id, query, block_id=block_id, view=with_values(view, values or {})
    )
    response = await h.post(block_suggestion_body(payload))
    assert response.status == 200, response.text
    return list(response.json()["options"])


async def last_view_update(h: AppHarness, count: int) -> str:
    calls = await h.slack.wait_for("views.update", count=count)
    return text_of(calls[-1])


async def replies(h: AppHarness, count: int = 1) -> list[str]:
    """What the app said through response URLs (ephemeral replies to commands and buttons)."""
    return [text_of(c) for c in await h.slack.wait_for(RESPONSE_URL, count=count)]


async def response_url_posts(h: AppHarness, count: int = 1, within: float = 5.0) -> list[Call]:
    """The first `count` posts to response URLs, once that many arrived (bounded). Polls the record: the fake
    records a response_url post without notifying waiters (it answers that post with a 500 meanwhile), so
    `slack.wait_for(RESPONSE_URL)` only returns at its timeout when it starts waiting first."""
    deadline = time.monotonic() + within
    while len(posts := h.slack.calls(RESPONSE_URL)) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"expected {count} response_url post(s) within {within}s, got {len(posts)}")
        await asyncio.sleep(0.01)
    return posts


async def configured_channel_of(database_url: str, slack: Any, aws: Any, accounts: dict[str, str]) -> None:
    """`configured_channel` for an app served in processes of its own: straight into its database."""
    from types import SimpleNamespace

    from bolt_app.app import build_services
    from tests.helpers.app import app_settings

    services = await build_services(app_settings(database_url, slack))
    try:
        await configured_channel(SimpleNamespace(services=services), aws, accounts)  # type: ignore[arg-type]
    finally:
        await services.close()


async def configured_channel(
    h: AppHarness,
    aws: Any,
    accounts: dict[str, str],
    channel_id: str = "C0001",
    team_id: str = "T0001",
    notifications: Any = None,
) -> dict[str, str]:
    """Authorizes each account (id -> role policy, e.g. "full" or "readonly") for the workspace with a role that
    trusts its External ID, and attaches it to the channel. Returns account id -> role ARN."""
    from sqlalchemy import text as sql

    from bolt_app.services.context import Actor
    from storage.channels import ChannelConfigRow
    from storage.channels import Notifications
    from storage.workspaces import WorkspaceKey

    key = WorkspaceKey("", team_id)
    async with h.services.engine.connect() as conn:
        query = sql("SELECT external_id FROM workspaces WHERE team_id = :t")
        external_id = str((await conn.execute(query, {"t": team_id})).scalar_one())
    roles = {}
    for account_id, policy in accounts.items():
        role = aws.create_role(account_id, f"Slack{channel_id}", external_id=external_id, policy=policy)
        await h.services.accounts.authorize(
            Actor.member(key, "U0001", slack_admin=True), role, f"Acct{account_id[-4:]}"
        )
        row = ChannelConfigRow(
            key, channel_id, "aws-support", account_id, None, role, notifications or Notifications(), "U0001"
        )
        await h.services.channels.repository.save(row, per_account=20, per_channel=100)
        roles[account_id] = role
    return roles


def cases_a_second_apart(aws: Any, account_id: str, prefix: str, count: int) -> list[Any]:
    """`count` open cases of the account, each created a second after the last (a search lists newest first)."""
    cases = []
    for n in range(count):
        cases.append(aws.support.put_case(account_id, subject=f"{prefix} {n}"))
        aws.advance_time(1)
    return cases


async def channel_with_open_and_resolved_case(
    h: AppHarness, aws: Any, account_id: str, policy: str, subject: str
) -> tuple[Any, Any]:
    """The channel configured with one account (its role `policy`), which has an open case and a resolved one."""
    await configured_channel(h, aws, {account_id: policy})
    return (
        aws.support.put_case(account_id, subject=subject),
        aws.support.put_case(account_id, subject="Done", status="resolved"),
    )


async def channel_with_case_awaiting_an_answer(h: AppHarness, aws: Any, account_id: str) -> Any:
    """The channel configured with one account (full access), whose open case AWS asked a question on."""
    await configured_channel(h, aws, {account_id: "full"})
    case = aws.support.put_case(account_id, subject="Slow EBS volume")
    aws.add_aws_reply(case.case_id, "Which volume?")
    return case


async def create_modals_open(
    h: AppHarness, aws: Any, account_id: str, tag: str, count: int
) -> tuple[list[str], list[Json]]:
    """The channel configured with one account (full access), where `count` users (IDs ending in `tag`) each
    opened the create-case modal in turn, each waiting until its choices were filled in: (users, modals)."""
    await configured_channel(h, aws, {account_id: "full"})
    users = [f"U{n:04d}{tag}" for n in range(count)]
    modals = []
    for user in users:
        updates = len(h.slack.calls("views.update"))
        modals.append(await open_modal(h, "create-case", user_id=user))
        await h.slack.wait_for("views.update", count=updates + 1)
    return users, modals


async def submit_cases_at_once(h: AppHarness, modals: list[Json], users: list[str]) -> None:
    """Every user submits their modal at the same moment, each a case named for them; Slack hears 200 from all."""
    responses = await asyncio.gather(
        *(
            submit(h, view, case_form() | {fields.SUBJECT_BLOCK: f"Case of {user}"}, user_id=user)
            for view, user in zip(modals, users, strict=True)
        )
    )
    assert [r.status for r in responses] == [200] * len(users)
