"""Waiting on a condition with a deadline: tests synchronise with servers and processes this way only."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

DEADLINE_S = 30.0
POLL_S = 0.02


def wait_for(condition: Callable[[], Any], what: str, timeout: float = DEADLINE_S) -> Any:
    """Poll `condition` until it returns something truthy and return that; fail naming `what`.

    A slow machine only makes a passing test slower; a broken one fails at the deadline, saying why."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(POLL_S)
    return result
