"""`python -m docs.screenshots [--out DIR] [NAME …]`: renders every surface (docs/screenshots/surfaces.py) with
the Block Kit preview tool to DIR (default docs/screenshots) as NAME.png.

The tool is the one beside the project, at ../shared/tools/blockkit-preview/preview (or $BLOCKKIT_PREVIEW). When
it or a Chromium is missing, this says so and exits 0 without drawing anything: the preview tool would otherwise
try to install Chromium with apt-get. Each render runs with --strict, so a surface that breaks a Slack limit
fails the run (exit 1)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from docs.screenshots.surfaces import NAMES
from docs.screenshots.surfaces import Surface
from docs.screenshots.surfaces import surfaces

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[1]
TOOL = PROJECT.parent / "shared" / "tools" / "blockkit-preview" / "preview"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def tool_path() -> Path:
    return Path(os.environ.get("BLOCKKIT_PREVIEW") or TOOL)


def preview_tool() -> Path | None:
    return tool_path() if tool_path().is_file() else None


def browser() -> str | None:
    return next(
        (found for name in (os.environ.get("CHROMIUM"), *BROWSERS) if name and (found := shutil.which(name))),
        None,
    )


def missing() -> str | None:
    """Why nothing can be drawn here, or None."""
    if preview_tool() is None:
        return f"the Block Kit preview tool is not at {tool_path()} (set BLOCKKIT_PREVIEW to its `preview` script)"
    if browser() is None:
        return "no Chromium found (apt-get install chromium, or set CHROMIUM)"
    return None


def render(surface: Surface, out: Path, work: Path) -> str | None:
    """Draws one surface; None when done, else what went wrong."""
    source = work / f"{surface.name}.json"
    source.write_text(json.dumps(surface.payload, ensure_ascii=False, indent=1))
    names = [option for name in NAMES for option in ("--name", name)]
    command = [str(preview_tool()), str(source), str(out / f"{surface.name}.png"), "--strict", *names]
    env = os.environ | {"CHROMIUM": browser() or ""}
    done = subprocess.run([*command, *surface.options], capture_output=True, text=True, env=env, timeout=120)
    if done.returncode != 0:
        return f"{surface.name}: exit {done.returncode}: {done.stderr.strip()[-2000:]}"
    if done.stderr.strip():
        print(f"{surface.name}: {done.stderr.strip()}", file=sys.stderr)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m docs.screenshots", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="only these surfaces (default: all)")
    parser.add_argument(
        "--out", type=Path, default=HERE, help="where the PNGs go (default: docs/screenshots)"
    )
    args = parser.parse_args(argv)
    reason = missing()
    if reason:
        print(f"Screenshots not rendered: {reason}.")
        return 0
    chosen = [s for s in surfaces() if not args.names or s.name in args.names]
    unknown = set(args.names) - {s.name for s in chosen}
    if unknown:
        parser.error(f"no such surface: {', '.join(sorted(unknown))}")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work, ThreadPoolExecutor(max_workers=2) as pool:
        failures = [f for f in pool.map(lambda s: render(s, args.out, Path(work)), chosen) if f]
    for failure in failures:
        print(failure, file=sys.stderr)
    print(f"Rendered {len(chosen) - len(failures)} of {len(chosen)} surfaces to {args.out}.")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
