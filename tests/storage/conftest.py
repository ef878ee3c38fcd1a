"""`old_database`: for a test marked `@pytest.mark.revision("0005")`, a database migrated to that revision only,
once on SQLite and once on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.databases import database_at


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "revision(name): the migration revision old_database stops at")


@pytest.fixture(params=["sqlite", "postgresql"])
def old_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    marker = request.node.get_closest_marker("revision")
    assert marker is not None, "old_database needs @pytest.mark.revision(...)"
    with database_at(request.param, tmp_path, marker.args[0]) as url:
        yield url
