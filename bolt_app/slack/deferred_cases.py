"""The Slack side of deferred case creations (`DeferredSlack` of bolt_app/services/cases/deferred.py): outside any
request, as the workspace's bot (its stored token, rotated when due), the case is posted like an interactive create
and its submitter told, in the channel or, when they left it, by direct message."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bolt_app.errors import UserFacingError
from bolt_app.services.notifications.outcomes import RetryDelivery
from bolt_app.services.notifications.outcomes import SkipDelivery
from bolt_app.slack.case_messages import SlackCaseMessages
from bolt_app.slack.delivery import SlackDelivery
from storage.workspaces import WorkspaceKey

log = logging.getLogger(__name__)

# The user cannot be reached in the channel: a direct message from the app instead.
_NOT_THERE = frozenset({"user_not_in_channel", "channel_not_found", "not_in_channel", "is_archived"})


class SlackDeferredCases:
    def __init__(self, delivery: SlackDelivery) -> None:
        self.delivery = delivery  # finds each workspace's bot token, as notifications do

    async def _token(self, workspace: WorkspaceKey) -> str:
        try:
            return (await self.delivery.for_workspace(workspace)).token
        except SkipDelivery as e:
            raise UserFacingError(
                f"the app can no longer post in this workspace (Slack: {e}); reinstall it"
            ) from e

    async def messages(self, workspace: WorkspaceKey) -> SlackCaseMessages:
        return SlackCaseMessages(self.delivery.client, await self._token(workspace))

    async def tell(self, workspace: WorkspaceKey, channel_id: str, user_id: str, text: str) -> None:
        try:
            token = await self._token(workspace)
        except (UserFacingError, RetryDelivery):
            log.warning("no token to tell %s about a deferred case: %s", user_id, text)
            return
        client = self.delivery.client
        try:
            await client.chat_postEphemeral(token=token, channel=channel_id, user=user_id, text=text)
            return
        except SlackApiError as e:
            if e.response.get("error") not in _NOT_THERE:
                raise
        await client.chat_postMessage(token=token, channel=user_id, text=text)
