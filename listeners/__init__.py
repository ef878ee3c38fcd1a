"""Slack listeners: one sub-package per kind of Slack request, each with a `register(app)`."""

from slack_bolt.async_app import AsyncApp

from listeners import actions
from listeners import commands
from listeners import events
from listeners import options
from listeners import shortcuts
from listeners import views
from listeners.actor_home import read_actor_home


def register_listeners(app: AsyncApp) -> None:
    app.use(read_actor_home)
    commands.register(app)
    views.register(app)
    actions.register(app)
    options.register(app)
    shortcuts.register(app)
    events.register(app)
