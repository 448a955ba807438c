"""Time the dashboard's feed viewer on a large feed: `python3 bench/dashboard_viewer.py [ROWS]` (100,000).

The feed (the cartridge's layout, every field quoted) is dropped in the embedded WebDAV, then opened in the
viewer over HTTP as a browser would: the first page (the line index is built then), a page in the middle
and the last page, and the first page again. Each figure is one GET, request to last byte. Issue 15 asks
that a 100,000-row feed open in under 1 s. A benchmark: it prints figures and asserts nothing.
"""

from __future__ import annotations

import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from fixtures.sample import catalog_rows, write_feed
from simulator.dashboard.feedview import PAGE_ROWS
from simulator.dav import impex_root
from simulator.server import SimServer

VARIANTS = 5
FOLDER = "src/feeds/export/social/tiktok/product"


def _open(url: str) -> tuple[float, int]:
    """Seconds to fetch the page whole, and its size in bytes."""
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as answer:
        body = answer.read()
    return time.perf_counter() - started, len(body)


def main(rows: int = 100_000) -> None:
    with tempfile.TemporaryDirectory() as folder, SimServer(Path(folder) / "sim") as sim:
        target = impex_root(sim.data_dir) / FOLDER
        target.mkdir(parents=True)
        feed = write_feed(target / "tiktok-feed-bench.txt", catalog_rows(rows // VARIANTS, VARIANTS))
        url = f"{sim.base_url}/dashboard/webdav/{FOLDER}/{feed.name}"
        pages = -(-rows // PAGE_ROWS)
        print(f"{rows} rows ({feed.stat().st_size / 1e6:.1f} MB), {pages} pages of {PAGE_ROWS} rows")
        for label, query in (("first open (builds the line index)", "?page=1"),
                             ("middle page", f"?page={pages // 2}"), ("last page", f"?page={pages}"),
                             ("first page again", "?page=1")):
            took, size = _open(url + query)
            print(f"  {label:<36} {took * 1000:7.1f} ms  ({size / 1e3:.0f} kB of HTML)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
