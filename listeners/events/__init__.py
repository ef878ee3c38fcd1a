from slack_bolt.async_app import AsyncApp

from listeners.events.uninstall import app_uninstalled_callback, tokens_revoked_callback


def register(app: AsyncApp) -> None:
    app.event("app_uninstalled")(app_uninstalled_callback)
    app.event("tokens_revoked")(tokens_revoked_callback)
