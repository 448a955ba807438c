"""`GET /api/jobs` as a user reads it: every time is whole epoch seconds, as TikTok's API gives times."""

from __future__ import annotations

import math
import time
from pathlib import Path

from support.simulator_client import row, running


def test_job_times_are_integer_epoch_seconds_in_order(tmp_path: Path) -> None:
    before = math.floor(time.time())
    with running(tmp_path / "sim") as client:
        client.drop_feed([row("MUG", "MUG")])
        client.run()
        status, answer = client.api("GET", "/api/jobs")
    after = math.ceil(time.time())
    assert status == 200
    (job,) = answer["jobs"]
    times = [job["created_at"], *(step["at"] for step in job["steps"]), job["updated_at"]]
    assert len(times) == 6 and all(type(t) is int for t in times), job
    assert before <= times[0] and times == sorted(times) and times[-1] <= after
