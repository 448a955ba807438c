"""Time a large WebDAV PUT with and without the request journal: `python3 bench/journal.py [MB] [ROUNDS]`.

The journal counts and hashes every body as it streams (issue 13 asks that it not slow the WebDAV data
path noticeably). Each round starts one simulator with the journal and one without it (its middleware
replaced by the bare dispatcher), PUTs the same body into each, and the medians of all rounds are
printed. A benchmark, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import base64
import http.client
import statistics
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

from simulator import journal
from simulator.dav import DAV_MOUNT
from simulator.server import SimServer


def put_seconds(body: bytes, journaled: bool) -> float:
    """Seconds one PUT of `body` takes on a fresh simulator, from the first byte sent to the answer."""
    bare = mock.patch.object(journal, "middleware", lambda app, *args, **kwargs: app)
    with tempfile.TemporaryDirectory() as folder:
        if not journaled:
            bare.start()
        try:
            with SimServer(Path(folder)) as sim:
                token = base64.b64encode(f"{sim.dav_user}:{sim.dav_password}".encode()).decode()
                conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=300)
                started = time.perf_counter()
                conn.request("PUT", f"{DAV_MOUNT}/big.bin", body, {"Authorization": f"Basic {token}"})
                answer = conn.getresponse()
                answer.read()
                took = time.perf_counter() - started
                conn.close()
                assert answer.status in (201, 204), answer.status
                return took
        finally:
            if not journaled:
                bare.stop()


def main(megabytes: int, rounds: int) -> None:
    body = b"x" * (megabytes << 20)
    times: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(rounds):
        for journaled in (True, False):
            times[journaled].append(put_seconds(body, journaled))
    with_journal, without = statistics.median(times[True]), statistics.median(times[False])
    print(f"PUT of {megabytes} MB, median of {rounds}: with the journal {with_journal:.3f} s"
          f" ({megabytes / with_journal:.0f} MB/s), without {without:.3f} s ({megabytes / without:.0f} MB/s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100, int(sys.argv[2]) if len(sys.argv) > 2 else 5)
