from slack_bolt.async_app import AsyncApp

from bolt_app.blocks.accounts import EDIT_ACCOUNT_NAME_ACTION, REMOVE_ACCOUNT_ACTION
from listeners.actions.accounts import edit_account_name_clicked, remove_account_clicked


def register(app: AsyncApp) -> None:
    app.action(EDIT_ACCOUNT_NAME_ACTION)(edit_account_name_clicked)
    app.action(REMOVE_ACCOUNT_ACTION)(remove_account_clicked)
