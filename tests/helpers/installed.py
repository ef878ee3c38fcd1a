"""Workspaces as the install flow and the configuration leave them, written straight to a database (for tests
of what reads them: the command line, listings)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from pathlib import Path

from slack_sdk.oauth.installation_store import Installation

from storage import db
from storage.crypto import configure_token_cipher
from storage.crypto import generate_key
from storage.installation_store import InstallationStore
from storage.tables import channel_configurations
from storage.tables import workspace_authorizations
from storage.workspaces import WorkspaceKey
from storage.workspaces import WorkspaceRepository
from tests.helpers.databases import opened
from tests.helpers.process import app_env


async def install_workspaces(url: str, key: str, *workspaces: tuple[WorkspaceKey, str]) -> None:
    """Workspaces as the install flow leaves them: a row with a stored (encrypted) bot token each."""
    configure_token_cipher([key])
    async with opened(url) as engine:
        store = InstallationStore("client-id", engine)
        for ws, name in workspaces:
            await WorkspaceRepository(engine).record_install(ws, name, "U0000000001", uuid.uuid4().hex)
            await store.async_save(
                Installation(
                    app_id="A0000000001",
                    enterprise_id=ws.enterprise_id or None,
                    team_id=ws.team_id or None,
                    is_enterprise_install=not ws.team_id,
                    user_id="U0000000001",
                    bot_token=f"xoxb-{uuid.uuid4().hex}",
                    bot_id="B0000000001",
                    bot_user_id="U0000000002",
                    installed_at=datetime.now().timestamp(),
                )
            )


async def configure_workspace(url: str, ws: WorkspaceKey, accounts: int, channels: int) -> None:
    engine = db.create_engine(url)
    key = {"enterprise_id": ws.enterprise_id, "team_id": ws.team_id}
    try:
        async with engine.begin() as conn:
            for i in range(accounts):
                await conn.execute(
                    workspace_authorizations.insert().values(
                        account_id=f"{i:012d}", state="authorized", **key
                    )
                )
            await conn.execute(  # pending consents count for nothing
                workspace_authorizations.insert().values(account_id="999999999999", state="pending", **key)
            )
            for c in range(channels):
                for i in range(accounts):  # a channel with two accounts is still one channel
                    await conn.execute(
                        channel_configurations.insert().values(
                            channel_id=f"C{c:010d}", account_id=f"{i:012d}", role_arn="arn:aws:iam::x", **key
                        )
                    )
    finally:
        await engine.dispose()


def operator_env(tmp_path: Path, *workspaces: tuple[WorkspaceKey, str]) -> dict[str, str]:
    """The environment an operator command runs in: a migrated SQLite database with `workspaces` installed."""
    env = app_env(f"sqlite+aiosqlite:///{tmp_path}/app.db", "http://127.0.0.1:9/api/")
    env["TOKEN_ENCRYPTION_KEY"] = generate_key()
    db.upgrade(env["DATABASE_URL"])
    asyncio.run(install_workspaces(env["DATABASE_URL"], env["TOKEN_ENCRYPTION_KEY"], *workspaces))
    return env
