from slack_bolt.async_app import AsyncApp

from listeners.shortcuts.cases import CREATE_CASE_FROM_MESSAGE
from listeners.shortcuts.cases import create_case_from_message_shortcut


def register(app: AsyncApp) -> None:
    app.message_shortcut(CREATE_CASE_FROM_MESSAGE)(create_case_from_message_shortcut)
