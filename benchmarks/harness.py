"""Everything a benchmark run starts on 127.0.0.1 and stops afterwards: the fake Slack Web API and moto from the
test package, the app (`aws-support-slack serve`) on SQLite or PostgreSQL, the bare Bolt baseline, and the load
generator process."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer
from prometheus_client.parser import text_string_to_metric_families

from storage.crypto import generate_key
from tests.fakes.aws import AwsDouble
from tests.fakes.aws import MotoServerHandle
from tests.fakes.slack_api import FakeSlackApi
from tests.helpers.postgres import scratch_database
from tests.helpers.process import free_port
from tests.helpers.process import stop

SIGNING_SECRET = "bench-signing-secret"
CLIENT_ID, CLIENT_SECRET = "111.222", "bench-client-secret"
AWS_KINDS = ("instant", "realistic")
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass
class Process:
    name: str
    base_url: str
    popen: subprocess.Popen[bytes]
    started_at: float
    log: Path
    healthy_at: float = 0.0

    def rss_peak_kib(self) -> int:
        """VmHWM: the peak resident set size of the process so far."""
        status = Path(f"/proc/{self.popen.pid}/status").read_text()
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        return int(match.group(1)) if match else 0

    def rss_kib(self) -> int:
        status = Path(f"/proc/{self.popen.pid}/status").read_text()
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        return int(match.group(1)) if match else 0

    def metrics(self) -> dict[str, float]:
        """The app's counters by short name (`db_statements`), summed over their labels."""
        with urllib.request.urlopen(self.base_url + "/metrics", timeout=5) as r:
            text = r.read().decode()
        counters: dict[str, float] = {}
        for family in text_string_to_metric_families(text):
            if family.type == "counter":
                name = family.name.removeprefix("aws_support_slack_")
                counters[name] = sum(s.value for s in family.samples if s.name.endswith("_total"))
        return counters


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


def _wait_healthy(process: Process, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not _healthy(process.base_url + "/healthz"):
        if process.popen.poll() is not None:
            raise RuntimeError(f"{process.name} exited with {process.popen.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{process.name} did not become healthy in {timeout}s")
        time.sleep(0.01)
    process.healthy_at = time.monotonic()


@contextmanager
def _process(name: str, argv: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[Process]:
    with log.open("wb") as out:
        popen = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    process = Process(name, f"http://127.0.0.1:{port}", popen, time.monotonic(), log)
    try:
        _wait_healthy(process)
        yield process
    finally:
        stop(popen)


class Bench:
    """One benchmark environment: fake Slack (with a response latency), moto, and helpers to start processes."""

    def __init__(self, workdir: Path, slack_latency: float, aws: str = "instant") -> None:
        """`aws`: "instant" (moto as fast as it goes, never throttled) or "realistic" (AWS's latencies and
        throttling, tests/fakes/aws_realism.py)."""
        if aws not in AWS_KINDS:
            raise ValueError(f"unknown AWS double {aws!r}: {', '.join(AWS_KINDS)}")
        self.aws_kind = aws
        self.workdir = workdir
        self.stack = ExitStack()
        self.slack = FakeSlackApi(latency=slack_latency)
        self.mp = pytest.MonkeyPatch()
        self.key = generate_key()

    def __enter__(self) -> Bench:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.slack.start_in_thread()
        self.stack.callback(self.slack.stop_thread)
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        moto.start()
        self.stack.callback(moto.stop)
        host, port = moto.get_host_and_port()
        self.aws = AwsDouble.start(MotoServerHandle.for_url(f"http://{host}:{port}"), self.mp)
        self.stack.callback(self.mp.undo)
        self.stack.callback(self.aws.stop)
        if self.aws_kind == "realistic":
            self.aws.realistic()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stack.close()

    # ---- databases ---------------------------------------------------------------------------------------

    def database(self, kind: str) -> str:
        if kind == "sqlite":
            return f"sqlite+aiosqlite:///{self.workdir}/bench-{uuid.uuid4().hex[:8]}.db"
        return self.stack.enter_context(scratch_database(POSTGRES_ADMIN_URL, "aws_support_slack_bench"))

    # ---- processes ---------------------------------------------------------------------------------------

    def app_env(self, database_url: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "AWS_"))}
        return (
            env
            | self.aws.env
            | {
                "DATABASE_URL": database_url,
                "TOKEN_ENCRYPTION_KEY": self.key,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_CLIENT_ID": CLIENT_ID,
                "SLACK_CLIENT_SECRET": CLIENT_SECRET,
                "SLACK_API_URL": self.slack.base_url,
                "HOST": "127.0.0.1",
                "METRICS_ENABLED": "1",
            }
        )

    @contextmanager
    def app(self, database_url: str) -> Iterator[Process]:
        env = self.app_env(database_url)
        subprocess.run(
            [sys.executable, "-m", "bolt_app.cli", "--log-level", "ERROR", "db", "upgrade"],
            env=env,
            check=True,
            capture_output=True,
        )
        port = free_port()
        env |= {"PORT": str(port), "APP_BASE_URL": f"http://127.0.0.1:{port}"}
        argv = [sys.executable, "-m", "bolt_app.cli", "--log-level", "WARNING", "serve"]
        with _process("app", argv, env, port, self.workdir / f"app-{port}.log") as process:
            yield process

    @contextmanager
    def baseline(self) -> Iterator[Process]:
        port = free_port()
        argv = [
            sys.executable,
            "-m",
            "benchmarks.baseline",
            "--port",
            str(port),
            "--signing-secret",
            SIGNING_SECRET,
        ]
        with _process(
            "baseline", argv, dict(os.environ), port, self.workdir / f"baseline-{port}.log"
        ) as process:
            yield process

    def install(self, app: Process) -> None:
        """The "Add to Slack" flow over HTTP, as a browser does it."""
        with urllib.request.urlopen(app.base_url + "/slack/install", timeout=10) as r:
            state = re.search(r"slack-app-oauth-state=([^;]+)", r.headers["Set-Cookie"])
        assert state, "no state cookie"
        query = urllib.parse.urlencode({"code": "valid-code", "state": state.group(1)})
        request = urllib.request.Request(
            f"{app.base_url}/slack/oauth_redirect?{query}",
            headers={"Cookie": f"slack-app-oauth-state={state.group(1)}"},
        )
        with urllib.request.urlopen(request, timeout=10) as r:
            assert r.status == 200

    # ---- load --------------------------------------------------------------------------------------------

    def load(
        self,
        url: str,
        bodies: list[str],
        concurrency: int,
        content_type: str,
        deadline_s: float = 120,
        at: list[float] | None = None,
    ) -> list[dict[str, Any]]:
        """Sends `bodies` `concurrency` at a time, or each at its time `at` (seconds after the start)."""
        job: dict[str, Any] = {
            "url": url,
            "signing_secret": SIGNING_SECRET,
            "content_type": content_type,
            "bodies": bodies,
            "concurrency": concurrency,
            "timeout_s": 10,
            "deadline_s": deadline_s,
        }
        if at is not None:
            job["at"] = at
        result = subprocess.run(
            [sys.executable, "-m", "benchmarks.loadgen"],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            timeout=deadline_s + 60,
        )
        if result.returncode != 0:
            raise RuntimeError(f"load generator failed: {result.stderr[-2000:]}")
        return json.loads(result.stdout)
