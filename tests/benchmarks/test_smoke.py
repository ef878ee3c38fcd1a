"""A smoke run of every benchmark scenario with tiny counts: each completes without errors and reports every
figure. No timing is asserted (timings belong to `python -m benchmarks`, not to tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.__main__ import SCENARIOS, main

FIELDS = {"throughput_rps", "p50_ms", "p95_ms", "p99_ms", "errors", "requests"}


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
    assert seen == set(SCENARIOS)
    for f in report["figures"]:
        assert f.keys() >= FIELDS
        assert f["errors"] == 0, f
    assert any(r["scenario"] == "help" and r["throughput_ratio"] for r in report["ratios"])
    help_app = [f for f in report["figures"] if f["scenario"] == "help" and f["target"] == "app"]
    assert all(f["counters"]["web_api_calls"] == 0 for f in help_app)
