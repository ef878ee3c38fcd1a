"""Slack listeners: one sub-package per kind of Slack request, each with a `register(app)`."""

from slack_bolt.async_app import AsyncApp

from listeners import commands, events


def register_listeners(app: AsyncApp) -> None:
    commands.register(app)
    events.register(app)
