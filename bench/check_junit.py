"""Peak memory of `tiktok-sim check --format junit`: `python3 bench/check_junit.py [ROWS] [--workdir DIR]`.

JUnit lists one test case per SKU, so its report grows with the feed; this measures whether the
command's memory does too. The feed (default 1,000,000 rows, products of 5 variants, every 100th row
with an invalid condition so failures are written too) is generated once under the work folder and
reused. The command runs as its own process, as a user runs it; its peak RSS is `wait4`'s `ru_maxrss`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from fixtures.sample import catalog_rows, write_feed

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = 5
DEFECT_EVERY = 100


def rows_with_defects(rows: int) -> Iterator[dict]:
    for number, row in enumerate(catalog_rows(rows // VARIANTS, VARIANTS)):
        if number % DEFECT_EVERY == 0:
            row["condition"] = "mint"
        yield row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rows", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "out")
    options = parser.parse_args()
    options.workdir.mkdir(parents=True, exist_ok=True)
    feed = options.workdir / f"tiktok-feed-junit-{options.rows}.txt"
    if not feed.exists():
        write_feed(feed.with_suffix(".part"), rows_with_defects(options.rows)).rename(feed)
    report = options.workdir / f"check-junit-{options.rows}.xml"
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", "from simulator.cli import main; main()", "check",
                             str(feed), "--format", "junit", "--output", str(report)], cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    print(f"{options.rows} rows ({feed.stat().st_size / 2**20:.0f} MiB feed): `check --format junit` "
          f"exit {os.waitstatus_to_exitcode(status)} in {elapsed:.1f} s, "
          f"peak RSS {usage.ru_maxrss / 1024:.0f} MiB, report {report.stat().st_size / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
