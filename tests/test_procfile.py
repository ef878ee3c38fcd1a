"""The Procfile: a platform that reads it migrates on release and runs the web and worker processes."""

from __future__ import annotations

import os
import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path

from bolt_app.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]


def _processes() -> dict[str, list[str]]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return {
        name.strip(): shlex.split(command)
        for name, _, command in (line.partition(":") for line in lines if line.strip())
    }


def test_the_procfile_declares_release_web_and_worker_as_cli_commands() -> None:
    processes = _processes()
    assert processes == {
        "release": ["aws-support-slack", "db", "upgrade"],
        "web": ["aws-support-slack", "serve"],
        "worker": ["aws-support-slack", "worker"],
    }
    for argv in processes.values():
        build_parser().parse_args(argv[1:])  # exits on a command the CLI does not have


def test_the_release_command_migrates_a_fresh_database(tmp_path: Path) -> None:
    database = tmp_path / "release.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    argv = _processes()["release"]
    script = Path(sys.executable).with_name(argv[0])
    done = subprocess.run([str(script), *argv[1:]], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(database) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"alembic_version", "workspaces", "slack_installations"} <= tables
