"""Real clients nobody here wrote (litmus, rclone), which CI installs with apt in .ci/run."""

from __future__ import annotations

import os
import shutil

import pytest


def real_peer(command: str) -> str:
    """Where `command` is; without it the test skips on a laptop but fails in CI, where it must run."""
    path = shutil.which(command)
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{command} is not on PATH; CI must install it (apt-get install {command}), "
                        "see .ci/run")
        pytest.skip(f"{command} is not installed; install it with `apt-get install {command}` "
                    "to run this test")
    return path
