"""The screenshots script draws every surface from the real builders, so that it cannot rot unnoticed.

Skipped locally when the preview tool (beside the project, in ../shared) or Chromium is absent; required in CI,
where `.ci/run` installs Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from docs.screenshots.__main__ import PROJECT
from docs.screenshots.__main__ import main
from docs.screenshots.__main__ import missing
from docs.screenshots.surfaces import surfaces

PNG = b"\x89PNG\r\n\x1a\n"


def test_every_surface_is_drawn_within_slacks_limits(tmp_path: Path) -> None:
    reason = missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must render the screenshots: {reason}")
        pytest.skip(reason)
    done = subprocess.run(
        [sys.executable, "-m", "docs.screenshots", "--out", str(tmp_path)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert done.returncode == 0, done.stderr  # --strict: a broken Slack limit fails the render
    names = {s.name for s in surfaces()}
    assert {p.stem for p in tmp_path.glob("*.png")} == names
    for png in tmp_path.glob("*.png"):
        assert png.read_bytes()[:8] == PNG and png.stat().st_size > 10_000


def test_without_the_preview_tool_it_says_so_and_exits_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BLOCKKIT_PREVIEW", str(tmp_path / "no-such-tool"))
    assert main(["--out", str(tmp_path)]) == 0
    assert "Screenshots not rendered: the Block Kit preview tool is not at" in capsys.readouterr().out
    assert list(tmp_path.glob("*.png")) == []


def test_the_committed_screenshots_are_the_surfaces_the_script_draws() -> None:
    committed = {p.stem for p in (PROJECT / "docs" / "screenshots").glob("*.png")}
    assert committed == {s.name for s in surfaces()}
