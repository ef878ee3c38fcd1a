"""`workspaces list`'s query on SQLite and PostgreSQL: installed workspaces only, each counting its own rows."""

from __future__ import annotations

from storage.workspace_summaries import installed_workspaces
from storage.workspaces import WorkspaceKey
from storage.workspaces import WorkspaceRepository
from tests.helpers.databases import opened
from tests.helpers.installed import configure_workspace


async def test_each_installed_workspace_counts_its_own_accounts_and_channels(database_url: str) -> None:
    one, org, same_team_in_org, gone = (
        WorkspaceKey("", "T0000000001"),
        WorkspaceKey("E0000000009", ""),
        WorkspaceKey("E0000000009", "T0000000001"),
        WorkspaceKey("", "T0000000003"),
    )
    async with opened(database_url) as engine:
        repo = WorkspaceRepository(engine)
        for i, key in enumerate((one, org, same_team_in_org, gone)):
            await repo.record_install(key, f"W{i}", None, f"external-{i}")
        await repo.mark_uninstalled(gone)
    await configure_workspace(database_url, one, accounts=2, channels=3)
    await configure_workspace(database_url, same_team_in_org, accounts=1, channels=1)
    async with opened(database_url) as engine:
        listed = await installed_workspaces(engine)
    assert [(w.key, w.name, w.accounts, w.channels) for w in listed] == [
        (one, "W0", 2, 3),
        (org, "W1", 0, 0),
        (same_team_in_org, "W2", 1, 1),
    ]
