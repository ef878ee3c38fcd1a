"""`python -m benchmarks`: runs the scenarios against the app and the bare Bolt baseline, prints a table, and
writes JSON with `--json FILE`."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.harness import AWS_KINDS
from benchmarks.harness import Bench
from benchmarks.scenarios import Figures
from benchmarks.scenarios import run_create_open
from benchmarks.scenarios import run_create_submit
from benchmarks.scenarios import run_fanout
from benchmarks.scenarios import run_help
from benchmarks.scenarios import run_search
from benchmarks.scenarios import run_startup
from benchmarks.scenarios import seed_channel
from benchmarks.surge import SurgeSize
from benchmarks.surge import run_surge
from benchmarks.surge import surge_table

SCENARIOS = ("help", "create-open", "create-submit", "search", "fanout", "startup", "surge")


def _table(rows: list[Figures]) -> str:
    header = f"{'scenario':<12} {'target':<9} {'db':<10} {'slack':>6} {'reqs':>6} {'conc':>5} {'err':>4} {'rps':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  counters"
    lines = [header, "-" * len(header)]
    for f in rows:
        counters = ", ".join(f"{k}={v}" for k, v in f.counters.items())
        lines.append(
            f"{f.scenario:<12} {f.target:<9} {f.database:<10} {f.slack_latency_ms:>4}ms {f.requests:>6} {f.concurrency:>5} "
            f"{f.errors:>4} {f.throughput_rps:>8} {f.p50_ms:>8} {f.p95_ms:>8} {f.p99_ms:>8}  {counters}"
        )
    return "\n".join(lines)


def ratios(rows: list[Figures]) -> list[dict[str, object]]:
    """App against baseline, per (database, Slack latency), for the scenarios that have a baseline."""
    out = []
    keys = {(f.scenario, f.database, f.slack_latency_ms) for f in rows if f.target == "baseline"}
    for scenario, db, latency in sorted(keys):
        app = [
            f
            for f in rows
            if (f.scenario, f.database, f.slack_latency_ms, f.target) == (scenario, db, latency, "app")
        ]
        base = [
            f
            for f in rows
            if (f.scenario, f.database, f.slack_latency_ms, f.target) == (scenario, db, latency, "baseline")
        ]
        app_rps = sum(f.throughput_rps for f in app) / len(app)
        base_rps = sum(f.throughput_rps for f in base) / len(base)
        app_p99 = sum(f.p99_ms for f in app) / len(app)
        base_p99 = sum(f.p99_ms for f in base) / len(base)
        out.append(
            {
                "scenario": scenario,
                "database": db,
                "slack_latency_ms": latency,
                "throughput_ratio": round(app_rps / base_rps, 2) if base_rps else None,
                "p99_ratio": round(app_p99 / base_p99, 2) if base_p99 else None,
                "targets": "throughput >= 0.7x, p99 <= 1.5x",
            }
        )
    return out


@contextmanager
def _workdir(keep: Path | None) -> Iterator[str]:
    if keep is None:
        with tempfile.TemporaryDirectory(prefix="aws-support-slack-bench-") as tmp:
            yield tmp
    else:
        keep.mkdir(parents=True, exist_ok=True)
        yield str(keep)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--scenarios", default=",".join(SCENARIOS), help=f"comma-separated: {', '.join(SCENARIOS)}"
    )
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite, postgresql or both")
    parser.add_argument(
        "--slack-latency-ms", default="0,50", help="fake Slack response latencies to run with"
    )
    parser.add_argument("--count", type=int, default=2000, help="requests per run")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--submit-count", type=int, default=200, help="create-submit: cases to open (moto is slow)"
    )
    parser.add_argument("--events", type=int, default=10, help="fanout: events (each to every channel)")
    parser.add_argument(
        "--channels", type=int, default=10, help="fanout: channels configured for the account"
    )
    parser.add_argument(
        "--aws",
        choices=AWS_KINDS,
        default="instant",
        help="the AWS double: instant moto, or realistic (AWS's latencies and throttling)",
    )
    parser.add_argument(
        "--surge-scale", type=float, default=1.0, help="surge: fraction of its users, flows and window"
    )
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    parser.add_argument(
        "--keep-logs", type=Path, help="run in this directory and keep the processes' logs (app-PORT.log)"
    )
    args = parser.parse_args(argv)
    scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = set(scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    rows: list[Figures] = []
    surges: list[dict[str, object]] = []
    with _workdir(args.keep_logs) as tmp:
        for db in args.databases.split(","):
            for latency_ms in (int(x) for x in args.slack_latency_ms.split(",")):
                with Bench(Path(tmp), latency_ms / 1000, args.aws) as bench:
                    if "surge" in scenarios:  # its own app process: its peak memory is the surge's
                        surge_db = bench.database(db)
                        with bench.app(surge_db) as app:
                            bench.install(app)
                            size = SurgeSize().scaled(args.surge_scale)
                            surges.append(run_surge(bench, app, surge_db, db, latency_ms, size))
                    if not set(scenarios) - {"surge"}:
                        continue
                    database_url = bench.database(db)
                    if "startup" in scenarios and latency_ms == 0:
                        rows += run_startup(bench, bench.database(db), db)
                    with bench.app(database_url) as app, bench.baseline() as baseline:
                        bench.install(app)
                        seed_channel(bench, database_url)
                        if "help" in scenarios:
                            rows += run_help(
                                bench, app, baseline, db, latency_ms, args.count, args.concurrency
                            )
                        if "create-open" in scenarios:
                            rows += run_create_open(bench, app, db, latency_ms, args.count, args.concurrency)
                        if "create-submit" in scenarios:
                            rows += run_create_submit(
                                bench, app, db, latency_ms, args.submit_count, args.concurrency
                            )
                        if "search" in scenarios:
                            rows += run_search(bench, app, db, latency_ms, args.count, args.concurrency)
                        if "fanout" in scenarios and latency_ms == 0:
                            rows += run_fanout(bench, app, database_url, db, args.events, args.channels)
    if rows:
        print(_table(rows))
    for report in surges:
        print(surge_table(report))
    compared = ratios(rows)
    for r in compared:
        print(
            f"{r['scenario']} on {r['database']}, Slack {r['slack_latency_ms']} ms: throughput {r['throughput_ratio']}x baseline, p99 {r['p99_ratio']}x baseline"
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "aws": args.aws,
                    "figures": [f.as_dict() for f in rows],
                    "ratios": compared,
                    "surge": surges,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
