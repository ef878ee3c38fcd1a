"""Type-ahead options of "Authorize organization" in a workspace with more accounts than a select holds."""

from __future__ import annotations

from bolt_app.blocks.accounts import organization_account_options
from bolt_app.services.accounts import AccountService
from listeners.common import acting_user
from listeners.errors import Options
from listeners.requests import OptionsRequest
from listeners.requests import on_options


@on_options
async def organization_account_options_listener(request: OptionsRequest, accounts: AccountService) -> Options:
    rows = await accounts.organization_candidates(await acting_user(request.client, request.context))
    return organization_account_options(rows, request.typed)
