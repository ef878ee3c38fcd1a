"""What a moto extension (Support, Service Quotas) serves from: the world the `aws` fixture installed for the test."""

from __future__ import annotations

from typing import Generic
from typing import TypeVar

W = TypeVar("W")


class InstalledWorld(Generic[W]):
    """The world of one extension; `install` puts it here for the test (through monkeypatch, which takes it
    away afterwards)."""

    def __init__(self, extension: str) -> None:
        self.extension = extension
        self.world: W | None = None

    def get(self) -> W:
        if self.world is None:
            raise RuntimeError(f"the {self.extension} extension is not installed (use the `aws` fixture)")
        return self.world
