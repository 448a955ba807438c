"""Fixtures several test files share; helpers that are not fixtures live in tests/support."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.connector_servers import AlertServer, DavServer


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[DavServer, AlertServer]]:
    """A WebDAV instance serving tmp_path/impex and a TikTok alert endpoint, both on free ports."""
    dav, alerts = DavServer(tmp_path / "impex"), AlertServer()
    yield dav, alerts
    dav.stop()
    alerts.stop()
