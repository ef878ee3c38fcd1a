"""A channel's case actions as one use case: the AWS change (moto with IAM enforcement), the note to
notifications, and the case's message, through recording stand-ins for the two ports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from dataclasses import field

import pytest

from bolt_app.services.cases.channel_actions import CaseActions
from bolt_app.services.cases.models import CaseNotResolved
from bolt_app.services.cases.models import CaseSummary
from bolt_app.services.cases.models import NewMessage
from bolt_app.services.context import ChannelAccount
from storage.db import create_engine
from storage.workspaces import ChannelKey
from tests.fakes.aws import AwsDouble
from tests.services.cases.test_service import ACTOR
from tests.services.cases.test_service import channel_for
from tests.services.cases.test_service import make_service
from tests.services.cases.test_service import new_case
from tests.services.cases.test_service import role


@dataclass
class Messages:
    """The channel as the use case sees it: what was posted, what was refreshed."""

    ts: str | None = "1700000000.000100"
    posted: list[tuple[str, CaseSummary]] = field(default_factory=list)
    refreshed: list[tuple[str, str | None, CaseSummary]] = field(default_factory=list)

    async def post(self, channel_id: str, case: CaseSummary) -> str | None:
        self.posted.append((channel_id, case))
        return self.ts

    async def refresh(self, channel_id: str, message_ts: str | None, case: CaseSummary) -> None:
        self.refreshed.append((channel_id, message_ts, case))


@dataclass
class OwnActions:
    fail: bool = False
    noted: list[tuple[str, str, str, str, str | None]] = field(default_factory=list)

    async def record_own_action(
        self, channel: ChannelKey, account_id: str, case_id: str, kind: str, root_ts: str | None = None
    ) -> None:
        if self.fail:
            raise RuntimeError("the notification store is down")
        channel_id = channel.channel_id
        self.noted.append((channel_id, account_id, case_id, kind, root_ts))


@pytest.fixture
async def actions(sqlite_url: str, aws: AwsDouble) -> AsyncIterator[CaseActions]:
    engine = create_engine(sqlite_url)
    yield CaseActions(make_service(engine), OwnActions())
    await engine.dispose()


@pytest.fixture
def full(aws: AwsDouble) -> ChannelAccount:
    return channel_for(role(aws))


def noted(actions: CaseActions) -> list[tuple[str, str, str, str, str | None]]:
    assert isinstance(actions.own_actions, OwnActions)
    return actions.own_actions.noted


async def test_a_created_case_is_posted_and_its_message_becomes_the_case_thread(
    actions: CaseActions, full: ChannelAccount, aws: AwsDouble
) -> None:
    messages = Messages()
    case = await actions.create(full, ACTOR, new_case(), "view-1", messages)
    assert case is not None and aws.case(case.case_id).subject == "EC2 instance unreachable"
    assert messages.posted == [("C0001", case)]
    assert noted(actions) == [
        ("C0001", full.account_id, case.case_id, "create", None),
        ("C0001", full.account_id, case.case_id, "create", "1700000000.000100"),
    ]


async def test_a_repeated_submission_opens_and_posts_nothing(
    actions: CaseActions, full: ChannelAccount, aws: AwsDouble
) -> None:
    messages = Messages()
    await actions.create(full, ACTOR, new_case(), "view-1", messages)
    assert await actions.create(full, ACTOR, new_case(), "view-1", messages) is None
    assert len(aws.cases(full.account_id)) == 1 and len(messages.posted) == 1


async def test_a_case_posted_without_a_message_ts_names_no_thread_root(
    actions: CaseActions, full: ChannelAccount
) -> None:
    case = await actions.create(full, ACTOR, new_case(), "view-1", Messages(ts=None))
    assert case is not None and [n[-2:] for n in noted(actions)] == [("create", None)]


async def test_the_action_succeeds_when_notifications_cannot_note_it(
    actions: CaseActions, full: ChannelAccount, aws: AwsDouble
) -> None:
    assert isinstance(actions.own_actions, OwnActions)
    actions.own_actions.fail = True
    messages = Messages()
    case = await actions.create(full, ACTOR, new_case(), "view-1", messages)
    assert case is not None and messages.posted == [("C0001", case)]


async def test_a_reply_refreshes_the_message_it_was_sent_from(
    actions: CaseActions, full: ChannelAccount, aws: AwsDouble
) -> None:
    case_id = aws.put_case(full.account_id, subject="Seeded")
    messages = Messages()
    sent = await actions.send_message(
        "reply", full, ACTOR, case_id, NewMessage("Logs attached."), "reply-1", messages, message_ts="1700.2"
    )
    assert sent is not None and sent.case is not None and sent.case.case_id == case_id
    assert aws.case(case_id).communications[-1].body.startswith("Logs attached.")
    assert [(c, ts, case.case_id) for c, ts, case in messages.refreshed] == [("C0001", "1700.2", case_id)]
    assert noted(actions) == [("C0001", full.account_id, case_id, "reply", None)]
    again = await actions.send_message(
        "reply", full, ACTOR, case_id, NewMessage("Logs attached."), "reply-1", messages, message_ts="1700.2"
    )
    assert again is None and len(messages.refreshed) == 1


async def test_reopening_an_open_case_is_refused_and_noted_nowhere(
    actions: CaseActions, full: ChannelAccount, aws: AwsDouble
) -> None:
    case_id = aws.put_case(full.account_id, subject="Seeded")
    messages = Messages()
    with pytest.raises(CaseNotResolved):
        await actions.send_message(
            "reopen", full, ACTOR, case_id, NewMessage("Again."), "reopen-1", messages, message_ts="1700.2"
        )
    assert noted(actions) == [] and messages.refreshed == []


async def test_a_resolve_is_noted_so_the_channel_is_not_told_of_it_again(
    actions: CaseActions, full: ChannelAccount, aws: AwsDouble
) -> None:
    case_id = aws.put_case(full.account_id, subject="Seeded")
    resolution = await actions.resolve(full, ACTOR, case_id)
    assert resolution.final_status == "resolved" and aws.case(case_id).status == "resolved"
    assert noted(actions) == [("C0001", full.account_id, case_id, "resolve", None)]
