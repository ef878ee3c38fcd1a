"""The scenarios: each runs its load against the app (and the baseline where it applies) and returns figures."""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from typing import Any

from benchmarks.harness import Bench
from benchmarks.harness import Process
from bolt_app.app import build_services
from bolt_app.services.context import Actor
from bolt_app.settings import Settings
from storage.channels import ChannelConfigRow
from storage.channels import Notifications
from storage.workspaces import WorkspaceKey
from tests.fakes.slack_api import Call
from tests.helpers import scenario
from tests.helpers.scenario import view_of
from tests.helpers.scenario import with_values
from tests.helpers.slack_requests import slash_command_body
from tests.helpers.slack_requests import view_submission_body
from tests.helpers.slack_requests import view_submission_payload

FORM = "application/x-www-form-urlencoded"
ACCOUNT = "210987654321"
TEAM = WorkspaceKey("", "T0001")
CHANNEL = "C0001"


@dataclass
class Figures:
    scenario: str
    target: str  # "app" or "baseline"
    database: str
    slack_latency_ms: int
    requests: int
    concurrency: int
    errors: int
    throughput_rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    counters: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def figures(
    name: str,
    target: str,
    db: str,
    latency_ms: int,
    results: list[dict[str, Any]],
    ends: dict[int, float],
    concurrency: int,
) -> Figures:
    """`ends` maps a request to when it was done: its ack, or the Slack call the scenario waits for. Throughput
    counts requests done over the time from the first one sent to the last one done."""
    done = [r for r in results if r["i"] in ends]
    errors = sum(1 for r in results if r["status"] != 200) + len(results) - len(done)
    ms = [(ends[r["i"]] - r["sent"]) * 1000 for r in done]
    span = (max(ends[r["i"]] for r in done) - min(r["sent"] for r in results)) if done else 0.0
    return Figures(
        scenario=name,
        target=target,
        database=db,
        slack_latency_ms=latency_ms,
        requests=len(results),
        concurrency=concurrency,
        errors=errors,
        throughput_rps=round(len(done) / span, 1) if span else 0.0,
        p50_ms=round(statistics.median(ms), 2) if ms else 0.0,
        p95_ms=round(_percentile(ms, 0.95), 2),
        p99_ms=round(_percentile(ms, 0.99), 2),
    )


def _commands(text: str, count: int, user_id: str = "U0001") -> list[str]:
    return [
        slash_command_body(text=text, trigger_id=f"bench.{i}.trigger", user_id=user_id, channel_id=CHANNEL)
        for i in range(count)
    ]


def _db_per_request(app: Process, before: dict[str, int], requests: int) -> float:
    after = app.metrics()
    return round((after.get("db_statements", 0) - before.get("db_statements", 0)) / max(requests, 1), 2)


def run_help(
    bench: Bench,
    app: Process,
    baseline: Process,
    db: str,
    latency_ms: int,
    count: int,
    concurrency: int,
    rounds: int = 2,
) -> list[Figures]:
    """`/aws-support help`: ack only. App and baseline alternate (A/B) so drift hits both alike."""
    out: list[Figures] = []
    bench.load(
        app.base_url + "/slack/events", _commands("help", min(count, 200)), concurrency, FORM
    )  # warm-up
    bench.load(baseline.base_url + "/slack/events", _commands("help", min(count, 200)), concurrency, FORM)
    for _ in range(rounds):
        for target, process in (("app", app), ("baseline", baseline)):
            before = app.metrics() if target == "app" else {}
            calls_before = len(bench.slack.calls())
            results = bench.load(
                process.base_url + "/slack/events", _commands("help", count), concurrency, FORM
            )
            acked = {r["i"]: r["done"] for r in results if r["status"] == 200}
            f = figures("help", target, db, latency_ms, results, acked, concurrency)
            if target == "app":
                f.counters = {
                    "web_api_calls": len(bench.slack.calls()) - calls_before,
                    "db_round_trips_per_request": _db_per_request(app, before, len(results)),
                }
            out.append(f)
    return out


def seed_channels(
    bench: Bench,
    database_url: str,
    accounts: dict[str, str],
    channels: dict[str, tuple[str, str]],
    policy: str = "full",
) -> dict[str, str]:
    """The workspace authorizes each of `accounts` (ID -> name) with a role that trusts its External ID, and
    each of `channels` (ID -> (name, account)) is configured with its account; returns the roles by account."""

    async def seed() -> dict[str, str]:
        services = await build_services(
            Settings(database_url=database_url, token_encryption_keys=(bench.key,))
        )
        try:
            workspace = await services.workspaces.get(TEAM)
            assert workspace is not None, "install first"
            admin = Actor.member(TEAM, "U0001", slack_admin=True)
            roles: dict[str, str] = {}
            for account, name in accounts.items():
                roles[account] = bench.aws.create_role(
                    account, external_id=workspace.external_id, policy=policy
                )
                await services.accounts.authorize(admin, roles[account], name)
            for channel, (name, account) in channels.items():
                row = ChannelConfigRow(
                    TEAM, channel, name, account, None, roles[account], Notifications(), "bench"
                )
                await services.channels.repository.save(row, per_account=100, per_channel=100)
            return roles
        finally:
            await services.close()

    return asyncio.run(seed())


def seed_channel(bench: Bench, database_url: str, policy: str = "full") -> str:
    """ACCOUNT authorized and CHANNEL configured with it; returns its role."""
    return seed_channels(bench, database_url, {ACCOUNT: "Bench"}, {CHANNEL: ("bench", ACCOUNT)}, policy)[
        ACCOUNT
    ]


class _Cost:
    """What the requests sent after it was made cost: STS and AWS calls, database statements."""

    def __init__(self, bench: Bench, app: Process) -> None:
        bench.slack.clear()
        self.bench, self.app = bench, app
        self.sts, self.aws, self.metrics = bench.aws.assume_role_count, len(bench.aws.calls), app.metrics()

    def load(
        self, bodies: list[str], concurrency: int, until: str, where: Callable[[Call], bool] | None = None
    ) -> tuple[list[dict[str, Any]], list[Call]]:
        """Sends `bodies` to the app, then waits (bounded) for one Slack call `until` (matching `where`) each."""
        results = self.bench.load(self.app.base_url + "/slack/events", bodies, concurrency, FORM)
        ends = self.bench.slack.wait_for_blocking(until, count=len(results), timeout=120, where=where)
        return results, ends

    def counters(self, requests: int) -> dict[str, Any]:
        return {
            "sts_assume_role_calls": self.bench.aws.assume_role_count - self.sts,
            "aws_calls_per_request": round((len(self.bench.aws.calls) - self.aws) / max(requests, 1), 2),
            "db_round_trips_per_request": _db_per_request(self.app, self.metrics, requests),
        }


def run_create_open(
    bench: Bench, app: Process, db: str, latency_ms: int, count: int, concurrency: int
) -> list[Figures]:
    """`/aws-support create-case` up to `views.open` received by the fake Slack."""
    cost = _Cost(bench, app)
    results, calls = cost.load(_commands("create-case", count), concurrency, "views.open")
    opened = {c.params.get("trigger_id"): c for c in calls}
    ends = {r["i"]: opened[key].at for r in results if (key := f"bench.{r['i']}.trigger") in opened}
    f = figures("create-open", "app", db, latency_ms, results, ends, concurrency)
    other_calls = [c.method for c in bench.slack.calls() if c.method != "views.open"]
    f.counters = {
        "views_open_received": len(ends),
        "web_api_calls_besides_views_open": len(other_calls),
        "distinct_role_user_pairs": 1,
        **cost.counters(len(results)),
    }
    return [f]


def run_startup(bench: Bench, database_url: str, db: str) -> list[Figures]:
    """Process start to /healthz 200, and resident memory idle and under load."""
    with bench.app(database_url) as app:
        startup_s = app.healthy_at - app.started_at
        idle = app.rss_kib()
        bench.install(app)
        bench.load(app.base_url + "/slack/events", _commands("help", 2000), 50, FORM)
        peak = app.rss_peak_kib()
    f = Figures("startup", "app", db, 0, 1, 1, 0, 0.0, round(startup_s * 1000, 1), 0.0, 0.0)
    f.counters = {
        "startup_ms": round(startup_s * 1000, 1),
        "rss_idle_mib": round(idle / 1024, 1),
        "rss_peak_under_load_mib": round(peak / 1024, 1),
    }
    return [f]


def _seed_fanout(bench: Bench, database_url: str, channels: int) -> tuple[str, str]:
    """`channels` channels configured for the account (all notifications), and its events token."""

    async def seed() -> tuple[str, str]:
        services = await build_services(
            Settings(database_url=database_url, token_encryption_keys=(bench.key,))
        )
        try:
            role = (await services.channels.for_channel(TEAM, CHANNEL))[0].role_arn
            everything = Notifications("all", True, True, True)
            for i in range(channels):
                row = ChannelConfigRow(
                    TEAM, f"CFAN{i:04d}", f"fanout-{i}", ACCOUNT, None, role, everything, "bench"
                )
                await services.channels.repository.save(row, per_account=1000, per_channel=100)
            token = await services.notifications.issue_events_token(ACCOUNT, "bench")
            return role, token
        finally:
            await services.close()

    return asyncio.run(seed())


def _event(case_id: str, display_id: str) -> bytes:
    return json.dumps(
        {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Support Case Update",
            "source": "aws.support",
            "account": ACCOUNT,
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": "us-east-1",
            "resources": [],
            "detail": {"case-id": case_id, "display-id": display_id, "event-name": "CreateCase"},
        }
    ).encode()


def run_fanout(
    bench: Bench, app: Process, database_url: str, db: str, events: int, channels: int, rate: float = 1.0
) -> list[Figures]:
    """E CreateCase events × M channels through POST /aws/events and the delivery loop, with the fake Slack
    refusing more than `rate` posts per second per channel (429 + Retry-After)."""
    _, token = _seed_fanout(bench, database_url, channels)
    cases = [bench.aws.put_case(ACCOUNT, subject=f"fanout {i}", severity_code="high") for i in range(events)]
    display = {c: bench.aws.case(c).display_id for c in cases}
    bench.slack.clear()
    bench.slack.rate_limit_per_channel(rate, retry_after=1)
    started = time.monotonic()
    statuses = []
    for case_id in cases:
        request = urllib.request.Request(
            app.base_url + "/aws/events",
            data=_event(case_id, display[case_id]),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as r:
            statuses.append(r.status)
    expected = events * channels
    accepted = bench.slack.wait_for_blocking(
        "chat.postMessage",
        count=expected,
        timeout=events / rate * 3 + 30,
        where=lambda c: not c.failed and str(c.params.get("channel", "")).startswith("CFAN"),
    )
    total = max(c.at for c in accepted) - started
    bench.slack.rate_limit_per_channel(None)
    per_pair: dict[tuple[str, str], int] = {}
    for c in accepted:
        text = json.dumps(c.params)
        case = next((k for k, d in display.items() if d in text), "?")
        per_pair[(str(c.params.get("channel")), case)] = (
            per_pair.get((str(c.params.get("channel")), case), 0) + 1
        )
    bound = events / rate  # the busiest channel gets every event, one post per second
    f = Figures(
        "fanout",
        "app",
        db,
        0,
        events * channels,
        1,
        sum(1 for s in statuses if s != 200),
        round(expected / total, 1) if total else 0.0,
        0.0,
        0.0,
        0.0,
    )
    f.counters = {
        "events": events,
        "channels": channels,
        "total_s": round(total, 2),
        "bound_s": round(bound, 2),
        "ratio_to_bound": round(total / bound, 2),
        "duplicates": sum(n - 1 for n in per_pair.values() if n > 1),
        "losses": sum(
            1 for ch in range(channels) for case in cases if (f"CFAN{ch:04d}", case) not in per_pair
        ),
        "rate_limited_posts": sum(1 for c in bench.slack.calls("chat.postMessage") if c.failed),
    }
    return [f]


def _completed_create_view(bench: Bench, app: Process) -> dict[str, Any]:
    """The create-case modal as the app completes it (severities and languages from AWS)."""
    bench.slack.clear()
    bench.load(app.base_url + "/slack/events", _commands("create-case", 1), 1, FORM)
    call = bench.slack.wait_for_blocking("views.update", count=1, timeout=30)[-1]
    return view_of(call)


def case_form(subject: str) -> dict[str, Any]:
    """A valid "Create a support case" form of normal severity (block id -> value, as `with_values` takes it)."""
    return scenario.case_form(
        subject=subject, description="Opened by the benchmark.", severity=("option", "normal")
    )


def run_create_submit(
    bench: Bench, app: Process, db: str, latency_ms: int, count: int, concurrency: int
) -> list[Figures]:
    """The create-case submission up to the case message posted in the channel (AWS and Slack included)."""
    view = _completed_create_view(bench, app)
    bodies = []
    for i in range(count):
        values = case_form(f"bench case {i:05d}")
        submitted = with_values(view | {"id": f"VBENCH{i:05d}", "hash": "h"}, values)
        bodies.append(view_submission_body(view_submission_payload(submitted)))
    cost = _Cost(bench, app)
    results, posts = cost.load(
        bodies, concurrency, "chat.postMessage", lambda c: "bench case" in json.dumps(c.params)
    )
    posted_at = {}
    for c in posts:
        match = re.search(r"bench case (\d{5})", json.dumps(c.params))
        if match:
            posted_at.setdefault(int(match.group(1)), c.at)
    f = figures("create-submit", "app", db, latency_ms, results, posted_at, concurrency)
    f.counters = {
        "cases_posted": len(posted_at),
        **cost.counters(len(results)),
    }
    return [f]


def run_search(
    bench: Bench, app: Process, db: str, latency_ms: int, count: int, concurrency: int
) -> list[Figures]:
    """`/aws-support search-case <id>` up to the results shown (the ephemeral answer through response_url)."""
    case = bench.aws.case(bench.aws.put_case(ACCOUNT, subject="searched by the benchmark"))
    bodies = [
        slash_command_body(
            text=f"search-case {case.display_id}",
            trigger_id=f"bench.{i}.search",
            channel_id=CHANNEL,
            response_url=f"{bench.slack.origin}/actions/T0001/{i}/search",
        )
        for i in range(count)
    ]
    cost = _Cost(bench, app)
    results, shown = cost.load(
        bodies, concurrency, "response_url", lambda c: "/search" in str(c.params.get("_path"))
    )
    shown_at = {int(str(c.params["_path"]).split("/")[3]): c.at for c in shown}
    f = figures("search", "app", db, latency_ms, results, shown_at, concurrency)
    f.counters = {
        "results_shown": len(shown_at),
        "found": sum(1 for c in shown if case.display_id in json.dumps(c.params)),
        **cost.counters(len(results)),
    }
    return [f]
