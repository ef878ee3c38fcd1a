"""`aws-support-slack cases deferred` as an operator runs it: what waits, per workspace, in every format, and never
a case's description or attachments."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from pathlib import Path

import pytest

from bolt_app.cases_cli import run_case_command
from bolt_app.cli import build_parser
from bolt_app.settings import Mode
from bolt_app.settings import load_settings
from storage.deferred_cases import DeferredCaseRepository
from storage.workspaces import WorkspaceKey
from tests.helpers.databases import opened
from tests.helpers.installed import operator_env
from tests.storage.test_deferred_cases import deferral
from tests.test_cli import cli

ONE, TWO = WorkspaceKey("", "T0000000001"), WorkspaceKey("", "T0000000002")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return operator_env(tmp_path, (ONE, "Acme"), (TWO, "Beta"))


async def save(url: str, *keys: tuple[str, WorkspaceKey]) -> None:
    async with opened(url) as engine:
        repo = DeferredCaseRepository(engine)
        for key, workspace in keys:
            assert await repo.save(deferral(key, workspace, files=1))


def deferred(env: dict[str, str], *args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = run_case_command(
            load_settings(Mode.ADMIN, env), build_parser().parse_args(["cases", "deferred", *args])
        )
    assert status == 0
    return out.getvalue()


def test_the_waiting_deferred_cases_are_listed_per_workspace_without_bodies(env: dict[str, str]) -> None:
    assert deferred(env).strip() == "no deferred cases are waiting"
    asyncio.run(save(env["DATABASE_URL"], ("view-1", ONE), ("view-2", TWO)))
    everything = json.loads(deferred(env, "--format", "json"))
    assert [(r["team_id"], r["subject"], r["state"]) for r in everything] == [
        ("T0000000001", "Subject of view-1", "waiting"),
        ("T0000000002", "Subject of view-2", "waiting"),
    ]
    assert "it broke" not in json.dumps(everything) and "file-0.log" not in json.dumps(everything)
    assert [r["subject"] for r in json.loads(deferred(env, "--team", "T0000000002", "--format", "json"))] == [
        "Subject of view-2"
    ]
    [line] = deferred(env, "--team", "T0000000001", "--format", "jsonl").splitlines()
    assert json.loads(line)["reason"] == "limit"
    table = deferred(env).splitlines()
    assert table[0].split()[:3] == ["SUBMITTED", "AT", "TEAM"] and len(table) == 3
    assert "Subject of view-1" in table[1] and "limit" in table[1]


def test_the_command_runs_as_a_process(env: dict[str, str]) -> None:
    done = cli(env, "cases", "deferred", "--format", "json")
    assert done.returncode == 0 and json.loads(done.stdout) == [], done.stderr
