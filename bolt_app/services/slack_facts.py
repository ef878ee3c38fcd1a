"""What the services know of Slack users and channels (read by the Slack adapter, bolt_app/slack/directory.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SlackUser:
    id: str
    name: str
    is_admin: bool
    is_owner: bool


@dataclass(frozen=True)
class SlackChannel:
    id: str
    name: str
    is_private: bool
    is_im: bool
    is_mpim: bool
    is_member: bool
    is_archived: bool
    is_shared: bool  # Slack Connect or shared between workspaces of an org
    is_ext_shared: bool = False  # Slack Connect: members of other organizations are in it (or invited)
