"""The real `aws-support-slack` command as an operator runs it: listings, choosing the workspace, and every
failure as one line on stderr with a non-zero exit."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from storage import db
from storage.crypto import generate_key
from storage.workspaces import WorkspaceKey
from tests.conftest import POSTGRES_ADMIN_URL
from tests.conftest import _postgres_available
from tests.conftest import postgres_database
from tests.helpers.installed import configure_workspace
from tests.helpers.installed import install_workspaces
from tests.helpers.process import app_env
from tests.helpers.process import free_port

ONE = WorkspaceKey("", "T0000000001")
ORG = WorkspaceKey("E0000000009", "")


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bolt_app.cli", *args], env=env, capture_output=True, text=True, timeout=60
    )


def assert_one_line_failure(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode != 0, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr and lines[0].startswith("aws-support-slack: ")
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    key = generate_key()
    env = app_env(f"sqlite+aiosqlite:///{tmp_path}/cli.db", "http://127.0.0.1:9/api/")
    env["TOKEN_ENCRYPTION_KEY"] = key
    assert cli(env, "db", "upgrade").returncode == 0
    return env


def test_workspaces_list_shows_each_installed_workspace_with_its_accounts_and_channels(
    env: dict[str, str],
) -> None:
    url, key = env["DATABASE_URL"], env["TOKEN_ENCRYPTION_KEY"]
    asyncio.run(install_workspaces(url, key, (ONE, "Acme"), (ORG, "Acme Group")))
    asyncio.run(configure_workspace(url, ONE, accounts=2, channels=3))
    done = cli(env, "workspaces", "list", "--format", "json")
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert [(w["team"], w["enterprise"], w["name"], w["accounts"], w["channels"]) for w in listed] == [
        ("T0000000001", "", "Acme", 2, 3),
        ("", "E0000000009", "Acme Group", 0, 0),
    ]
    assert all(datetime.fromisoformat(w["installed_at"]) for w in listed)
    table = cli(env, "workspaces", "list").stdout.splitlines()
    assert table[0].split() == ["TEAM", "ENTERPRISE", "NAME", "INSTALLED", "AT", "ACCOUNTS", "CHANNELS"]
    assert table[1].split()[:3] == ["T0000000001", "-", "Acme"] and table[1].split()[-2:] == ["2", "3"]


def test_team_may_be_left_out_with_one_workspace_and_must_be_named_with_two(env: dict[str, str]) -> None:
    url, key = env["DATABASE_URL"], env["TOKEN_ENCRYPTION_KEY"]
    asyncio.run(install_workspaces(url, key, (ONE, "Acme")))
    asyncio.run(configure_workspace(url, ONE, accounts=1, channels=1))
    done = cli(env, "channels", "list", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["workspaces"][0]["team"] == "T0000000001"

    asyncio.run(install_workspaces(url, key, (ORG, "Acme Group")))
    refused = cli(env, "channels", "list")
    assert_one_line_failure(refused, "2 workspaces", "--team T0000000001 (Acme)", "--enterprise E0000000009")
    named = cli(env, "channels", "list", "--team", "T0000000001", "--format", "json")
    assert json.loads(named.stdout)["workspaces"][0]["team"] == "T0000000001"
    for org in (["--enterprise", "E0000000009"], ["--team", "E0000000009"]):  # the org-wide install
        done = cli(env, "accounts", "list", *org, "--format", "json")
        assert done.returncode == 0 and json.loads(done.stdout) == [], done.stderr


def test_admin_commands_print_their_answer_without_alembic_lines_and_db_downgrade_exists(
    tmp_path: Path,
) -> None:
    env = app_env(f"sqlite+aiosqlite:///{tmp_path}/fresh.db", "http://127.0.0.1:9/api/")
    env["TOKEN_ENCRYPTION_KEY"] = generate_key()
    up = cli(env, "db", "upgrade")
    head = db.head_revision()
    assert (up.returncode, up.stdout.strip(), up.stderr) == (
        0,
        f"the database is at revision {head} (head)",
        "",
    )
    down = cli(env, "db", "downgrade", "0001")
    assert down.returncode == 0 and "revision 0001 (head is" in down.stdout, down.stderr
    assert down.stderr == ""
    listed = cli(env, "workspaces", "list", "--format", "json")  # migrates back up on SQLite, quietly
    assert (listed.returncode, listed.stdout.strip(), listed.stderr) == (0, "[]", "")


async def _postgres_or_skip() -> str:
    if not await _postgres_available():
        pytest.skip("PostgreSQL is not reachable (set TEST_POSTGRES_URL)")
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)


@pytest.mark.parametrize("command", [["workspaces", "list"], ["db", "upgrade"], ["serve"]])
def test_an_unreachable_database_is_one_line(env: dict[str, str], command: list[str]) -> None:
    env["DATABASE_URL"] = f"postgresql+asyncpg://app:secret@127.0.0.1:{free_port()}/app"
    done = cli(env, *command)
    assert_one_line_failure(done, "cannot reach the database 'app' on 127.0.0.1:")
    assert "secret" not in done.stderr


@pytest.mark.parametrize("command", [["workspaces", "list"], ["db", "upgrade"]])
def test_an_unknown_database_is_one_line(env: dict[str, str], command: list[str]) -> None:
    base = asyncio.run(_postgres_or_skip())
    env["DATABASE_URL"] = f"{base}/no_such_database_{uuid.uuid4().hex[:8]}"
    assert_one_line_failure(cli(env, *command), "does not exist")


@pytest.mark.parametrize("url", ["mysql://app@127.0.0.1/app", "postgresql+psycopg2://app@127.0.0.1/app"])
def test_an_unsupported_database_url_scheme_is_one_line(env: dict[str, str], url: str) -> None:
    env["DATABASE_URL"] = url
    assert_one_line_failure(cli(env, "workspaces", "list"), "is not supported", "postgresql+asyncpg://")


def test_a_plain_postgres_url_as_hosting_platforms_give_it_is_served_by_asyncpg(env: dict[str, str]) -> None:
    with postgres_database("cli_plain_url") as url:
        asyncio.run(install_workspaces(url, env["TOKEN_ENCRYPTION_KEY"], (ONE, "Acme")))
        env["DATABASE_URL"] = url.replace("postgresql+asyncpg://", "postgres://", 1)
        done = cli(env, "workspaces", "list", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert [w["name"] for w in json.loads(done.stdout)] == ["Acme"]


@pytest.mark.parametrize(
    "command", [["workspaces", "list"], ["accounts", "list", "--team", "T0000000001"], ["db", "reencrypt"]]
)
def test_a_wrong_token_encryption_key_is_one_line(env: dict[str, str], command: list[str]) -> None:
    asyncio.run(install_workspaces(env["DATABASE_URL"], env["TOKEN_ENCRYPTION_KEY"], (ONE, "Acme")))
    env["TOKEN_ENCRYPTION_KEY"] = generate_key()
    assert_one_line_failure(cli(env, *command), "TOKEN_ENCRYPTION_KEY cannot decrypt")


def test_serve_refuses_to_start_when_the_key_cannot_decrypt_a_stored_token(env: dict[str, str]) -> None:
    asyncio.run(install_workspaces(env["DATABASE_URL"], env["TOKEN_ENCRYPTION_KEY"], (ONE, "Acme")))
    env |= {"TOKEN_ENCRYPTION_KEY": generate_key(), "PORT": str(free_port())}
    done = cli(env, "--log-level", "WARNING", "serve")  # returns: it never starts serving
    assert_one_line_failure(done, "TOKEN_ENCRYPTION_KEY cannot decrypt")


def test_an_unknown_migration_revision_is_one_line(env: dict[str, str]) -> None:
    assert_one_line_failure(cli(env, "db", "downgrade", "0099"), "0099")


def test_channels_apply_errors_use_the_files_values(env: dict[str, str], tmp_path: Path) -> None:
    asyncio.run(install_workspaces(env["DATABASE_URL"], env["TOKEN_ENCRYPTION_KEY"], (ONE, "Acme")))
    file = tmp_path / "channels.yml"
    file.write_text(
        "workspaces:\n- team: T0000000001\n  channels:\n  - channel: C0000000001\n    account: '123456789012'\n"
        "    notifications: {severity: high}\n"
    )
    done = cli(env, "channels", "apply", "-f", str(file))
    assert_one_line_failure(done, "line 6", "with severity high", "new_and_reopened")
    assert "High-severity" not in done.stderr
