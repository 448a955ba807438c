"""What one conformance run was asked to do, handed from the command to the scenarios' fixtures."""

from __future__ import annotations

from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Settings:
    command: str
    tls: bool
    timeout_s: float


SETTINGS = pytest.StashKey[Settings]()
