"""The real `aws-support-slack serve` process, started on a free port, for end-to-end tests."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from tests.helpers.app import CLIENT_ID
from tests.helpers.app import CLIENT_SECRET
from tests.helpers.app import SIGNING_SECRET


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServedApp:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Asks the process to stop (SIGTERM: a graceful shutdown), and kills it if it has not within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


def app_env(database_url: str, slack_api_url: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "AWS_"))}
    env |= {
        "DATABASE_URL": database_url,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_API_URL": slack_api_url,
        "HOST": "127.0.0.1",
    }
    return env | dict(extra or {})


@contextmanager
def serve(
    env: Mapping[str, str], tmp_path: Path, startup_timeout: float = 30.0, command: str = "serve"
) -> Iterator[ServedApp]:
    """The `command` (serve, or socket) running until the block ends; healthy once it is yielded."""
    port = free_port()
    log_path = tmp_path / f"{command}-{port}.log"
    full_env = dict(env) | {"PORT": str(port), "APP_BASE_URL": f"http://127.0.0.1:{port}"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bolt_app.cli", command],
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    served = ServedApp(f"http://127.0.0.1:{port}", process, log_path)
    try:
        deadline = time.monotonic() + startup_timeout
        while not _healthy(served.base_url + "/healthz"):
            if process.poll() is not None:
                raise AssertionError(f"{command} exited with {process.returncode}:\n{served.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{command} did not become healthy in {startup_timeout}s:\n{served.log()}"
                )
            time.sleep(0.05)
        yield served
    finally:
        stop(process)


async def install_over_http(http: aiohttp.ClientSession, base_url: str) -> None:
    """The "Add to Slack" flow as a browser does it: the install page's state cookie, then the callback."""
    async with http.get(base_url + "/slack/install") as r:
        state = re.search(r"slack-app-oauth-state=([^;]+)", r.headers["Set-Cookie"])
        assert state
    headers = {"Cookie": f"slack-app-oauth-state={state.group(1)}"}
    async with http.get(
        f"{base_url}/slack/oauth_redirect?code=valid-code&state={state.group(1)}", headers=headers
    ) as r:
        assert r.status == 200, await r.text()
