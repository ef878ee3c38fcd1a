"""A smoke run of every benchmark scenario with tiny counts: each completes without errors and reports every
figure. No timing is asserted (timings belong to `python -m benchmarks`, not to tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.__main__ import SCENARIOS
from benchmarks.__main__ import main

FIELDS = {"throughput_rps", "p50_ms", "p95_ms", "p99_ms", "errors", "requests"}
CLASSIC = [s for s in SCENARIOS if s != "surge"]  # surge reports a table of its own (below)


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_every_scenario_runs_and_reports_its_figures(
    tmp_path: Path, database: str, request: pytest.FixtureRequest
) -> None:
    if database == "postgresql":
        request.getfixturevalue("_postgres_database")  # skips (locally) or fails (CI) without PostgreSQL
    out = tmp_path / "bench.json"
    assert (
        main(
            [
                "--scenarios",
                ",".join(CLASSIC),
                "--databases",
                database,
                "--slack-latency-ms",
                "0",
                "--count",
                "20",
                "--submit-count",
                "5",
                "--events",
                "2",
                "--channels",
                "2",
                "--concurrency",
                "4",
                "--json",
                str(out),
            ]
        )
        == 0
    )
    report = json.loads(out.read_text())
    seen = {f["scenario"] for f in report["figures"]}
    assert seen == set(CLASSIC)
    for f in report["figures"]:
        assert f.keys() >= FIELDS
        assert f["errors"] == 0, f
    assert any(r["scenario"] == "help" and r["throughput_ratio"] for r in report["ratios"])
    help_app = [f for f in report["figures"] if f["scenario"] == "help" and f["target"] == "app"]
    assert all(f["counters"]["web_api_calls"] == 0 for f in help_app)


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_the_surge_runs_every_flow_to_its_result(
    tmp_path: Path, database: str, request: pytest.FixtureRequest
) -> None:
    if database == "postgresql":
        request.getfixturevalue("_postgres_database")
    out = tmp_path / "surge.json"
    argv = [
        "--scenarios",
        "surge",
        "--databases",
        database,
        "--slack-latency-ms",
        "0",
        "--surge-scale",
        "0.05",
    ]
    assert main([*argv, "--json", str(out)]) == 0
    [surge] = json.loads(out.read_text())["surge"]
    assert set(surge["flows"]) == {"create", "search", "details", "reply", "quota"}
    for name, flow in surge["flows"].items():
        assert flow["flows"] >= 1 and flow["http_errors"] == 0 and flow["results_missing"] == 0, (name, flow)
        assert flow["option_responses_empty"] == 0, (name, flow)
    assert surge["flows"]["create"]["command_to_modal"]["n"] == surge["flows"]["create"]["flows"]
    assert surge["cases_created"] == surge["size"]["creates"]
    assert surge["duplicate_cases"] == surge["lost_cases"] == surge["throttling_shown_to_users"] == 0
    assert surge["asyncpg_concurrent_use_errors"] == 0
    assert surge["peak_rss_mib"] > 0 and surge["lower_bound_s"] > 0
