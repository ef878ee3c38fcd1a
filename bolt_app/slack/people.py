"""The Slack side of the member rules (`bolt_app.services.member_rules.SlackPeople`): who is in a user group
(`usergroups.users.list`, scope `usergroups:read`), the workspace's groups for the "Who can…" type-ahead
(`usergroups.list`) and whether a user is a workspace admin or owner (`users.info`),
asked with the bot token of the workspace whose channel configuration it is."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.errors import UserFacingError
from bolt_app.services.choice import Choice
from bolt_app.slack.authorize import TokenRotation
from storage.workspaces import WorkspaceKey


@dataclass(eq=False)
class SlackPeopleDirectory:
    client: AsyncWebClient
    rotation: TokenRotation
    bot_token: str | None = None  # Socket Mode: the one workspace's token, when nothing is stored

    async def _token(self, workspace: WorkspaceKey) -> str:
        try:
            bot = await self.rotation.stored_bot(workspace)
        except SlackTokenRotationError as e:
            raise UserFacingError("Slack did not renew the app's token; try again in a moment.") from e
        if bot is not None:
            return str(bot.bot_token)
        if self.bot_token:
            return self.bot_token
        raise UserFacingError("AWS Support is no longer installed in this workspace; reinstall it.")

    async def group_members(self, workspace: WorkspaceKey, group_id: str) -> frozenset[str]:
        try:
            response = await self.client.usergroups_users_list(
                token=await self._token(workspace), usergroup=group_id
            )
        except SlackApiError as e:
            error = e.response.get("error")
            if error == "no_such_subteam":
                return frozenset()  # a deleted group has no members: the rule naming it refuses
            raise UserFacingError(
                f"Slack did not say who is in the user group <!subteam^{group_id}> ({error}), which this "
                "channel's rules name; try again in a moment."
            ) from e
        return frozenset(str(u) for u in response.get("users") or [])

    async def is_admin_or_owner(self, workspace: WorkspaceKey, user_id: str) -> bool:
        try:
            response = await self.client.users_info(token=await self._token(workspace), user=user_id)
        except SlackApiError as e:
            raise UserFacingError(
                f"Slack did not tell the app who you are ({e.response.get('error')}); try again in a moment."
            ) from e
        user = response.get("user") or {}
        return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))

    async def groups(self, workspace: WorkspaceKey) -> list[Choice]:
        try:
            response = await self.client.usergroups_list(token=await self._token(workspace))
        except SlackApiError as e:
            raise UserFacingError(
                f"Slack did not list the workspace's user groups ({e.response.get('error')}); try again."
            ) from e
        return [
            Choice(str(g["id"]), f"@{g.get('handle') or g['id']} ({g.get('name') or ''})")
            for g in response.get("usergroups") or []
            if not g.get("date_delete")
        ]
