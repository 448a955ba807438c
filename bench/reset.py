"""Time `POST /_sim/reset` as a BDD run uses it: `python3 bench/reset.py [RESETS]` (default 200).

Resets an empty simulator over HTTP, what every BDD scenario pays before it starts, and prints the wall
time a client sees and the server's own `took_ms`. The target is
under 100 ms on an empty store (issue 13). A benchmark, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from simulator.server import SimServer


def reset(base_url: str) -> tuple[float, float]:
    """One reset: (milliseconds the client waited, milliseconds the server says it took)."""
    started = time.perf_counter()
    request = urllib.request.Request(base_url + "/_sim/reset", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=30) as answer:
        took = json.load(answer)["data"]["took_ms"]
    return (time.perf_counter() - started) * 1000, took


def main(resets: int) -> None:
    with tempfile.TemporaryDirectory() as folder, SimServer(Path(folder)) as server:
        reset(server.base_url)  # the first call opens this thread's connections
        waited, took = zip(*(reset(server.base_url) for _ in range(resets)), strict=True)
        print(f"reset of an empty store, {resets} times: client median {statistics.median(waited):.2f} ms,"
              f" p95 {sorted(waited)[int(resets * 0.95) - 1]:.2f} ms, max {max(waited):.2f} ms;"
              f" server median {statistics.median(took):.2f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
