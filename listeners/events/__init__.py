from slack_bolt.async_app import AsyncApp

from listeners.events.app_home import app_home_opened_callback
from listeners.events.uninstall import app_uninstalled_callback
from listeners.events.uninstall import tokens_revoked_callback
from listeners.events.usergroups import subteam_members_changed_callback
from listeners.events.usergroups import subteam_updated_callback


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(app_home_opened_callback)
    app.event("app_uninstalled")(app_uninstalled_callback)
    app.event("tokens_revoked")(tokens_revoked_callback)
    app.event("subteam_members_changed")(subteam_members_changed_callback)
    app.event("subteam_updated")(subteam_updated_callback)
