"""Time `tiktok-sim check` on a generated feed: `python3 bench/check_bench.py [ROWS]` (default 100,000).

The feed is the cartridge's exact layout (every field quoted), products of 5 variants each, all
valid, so the figure is the cost of running every rule on every row, not of reporting.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from fixtures.sample import catalog_rows, write_feed
from simulator.check import check_file
from simulator.rules.profiles import get_profile

VARIANTS = 5


def main(rows: int = 100_000) -> None:
    with tempfile.TemporaryDirectory() as folder:
        feed = write_feed(Path(folder) / "tiktok-feed-bench.txt", catalog_rows(rows // VARIANTS, VARIANTS))
        size = feed.stat().st_size
        started = time.perf_counter()
        report = check_file(feed, get_profile("US"))
        elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    data = report.to_dict()
    print(f"{data['items_total']} rows ({size / 1e6:.1f} MB) checked in {elapsed:.2f} s "
          f"({data['items_total'] / elapsed:,.0f} rows/s), peak RSS {peak_mb:.0f} MB, "
          f"{data['items_with_errors']} with errors")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
