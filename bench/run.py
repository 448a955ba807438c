"""Benchmark the whole lifecycle at 10k, 100k and 1M SKUs and print one table.

    python bench/run.py [--sizes 10000,100000,1000000] [--workdir bench/out] [--seed 1]

Every figure comes from a real run: the connector and the simulator run as their own processes on
127.0.0.1, exactly as a user runs them. Each row gives wall time, throughput and peak RSS; the ratio
column is against the floor: the fastest bare streaming pass over the same master catalog (lxml
iterparse stopping only on <product>, clearing each and dropping its previous siblings), timed in the
same run; MB/s is of the files each step reads. While the
simulator ingests, a probe calls `/_sim/health` and `/_sim/products` and records the slowest answer.
This is a benchmark, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PROBES = (("/_sim/health", None), ("/_sim/products?page_size=10", None))
PRODUCT_TAG = "{http://www.demandware.com/xml/impex/catalog/2006-10-31}product"
# The floor every ratio is against: the fastest bare pass over the catalog that still streams, stopping
# only on products and freeing each one and everything before it (issue 16).
FLOOR_PARSE = (
    "import sys\nfrom lxml import etree\n"
    "for _, el in etree.iterparse(sys.argv[1], tag=sys.argv[2], resolve_entities=False, no_network=True):\n"
    "    el.clear()\n"
    "    while el.getprevious() is not None:\n"
    "        del el.getparent()[0]\n"
)
# The floor of the tables before issue 16, shown for continuity only: it visits every element.
OLD_FLOOR_PARSE = (
    "import sys\nfrom lxml import etree\n"
    "for _, el in etree.iterparse(sys.argv[1], resolve_entities=False, no_network=True):\n"
    "    el.clear()\n"
)
FLOOR = "floor: iterparse tag=product, clear + drop siblings"


@dataclass
class Row:
    size: int
    what: str
    seconds: float
    items: int
    peak_mib: float
    note: str = ""
    input_bytes: int = 0  # what the step reads (or sends), for its MB/s


def run_measured(args: list[str], ok_codes: tuple[int, ...] = (0,)) -> tuple[float, float, str]:
    """Run a command to the end; return wall seconds, peak RSS in MiB and its output."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=ROOT)
    output = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in ok_codes:
        raise SystemExit(f"{' '.join(args)} failed ({status}):\n{output[-3000:]}")
    return seconds, usage.ru_maxrss / 1024, output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str, payload: Any = None, timeout: float = 30) -> Any:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return json.load(answer)


class Simulator:
    """`tiktok-sim serve` in its own process, with a probe that times its answers while it works."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [PY, "-c", "from simulator.cli import main; main()", "serve", "--data-dir", str(data_dir),
             "--port", str(self.port), "--dav-user", "bench", "--dav-password", "bench"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        self.slowest = 0.0
        self._probing = threading.Event()
        # job id -> perf_counter when the job was first seen, and when it was first seen finished
        self.seen: dict[str, float] = {}
        self.finished: dict[str, float] = {}
        self._watching = threading.Event()
        self._watcher: threading.Thread | None = None
        deadline = time.monotonic() + 30
        while True:
            try:
                get_json(self.base + "/_sim/health", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the simulator did not start") from None
                time.sleep(0.1)

    def peak_mib(self) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024

    def _probe(self) -> None:
        while self._probing.is_set():
            for path, payload in PROBES:
                start = time.perf_counter()
                get_json(self.base + path, payload)
                self.slowest = max(self.slowest, time.perf_counter() - start)
            time.sleep(0.2)

    def watch_jobs(self) -> None:
        """Poll the job list every 0.05 s from before the alert, timing each job to that resolution:
        the job's own step stamps are whole seconds."""
        self._watching.set()
        self._watcher = threading.Thread(target=self._watch, daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        while self._watching.is_set():
            jobs = get_json(self.base + "/api/jobs")["jobs"]
            now = time.perf_counter()
            for job in jobs:
                self.seen.setdefault(job["id"], now)
                if job["state"] in ("completed", "failed"):
                    self.finished.setdefault(job["id"], now)
            time.sleep(0.05)

    def job_seconds(self, job_id: str) -> float:
        """From the first sighting of a job (its alert) to the first sighting of it finished."""
        return self.finished[job_id] - self.seen[job_id]

    def wait_jobs(self, count: int, timeout: float = 3600) -> list[dict[str, Any]]:
        """Wait until `count` jobs exist and all have finished, probing responsiveness meanwhile."""
        self._probing.set()
        probe = threading.Thread(target=self._probe, daemon=True)
        probe.start()
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                jobs = get_json(self.base + "/api/jobs")["jobs"]
                if len(jobs) >= count and all(j["state"] in ("completed", "failed") for j in jobs):
                    return jobs
                time.sleep(0.05)
            raise SystemExit("jobs did not finish in time")
        finally:
            self._probing.clear()
            probe.join()
            if self._watcher is not None:
                self._watching.clear()
                self._watcher.join()
                self._watcher = None

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def site_files(site: Path) -> dict[str, list[Path]]:
    return {
        "catalog": sorted(site.glob("catalog-*.xml")),
        "pricebook": sorted(site.glob("pricebook-*.xml")),
        "inventory": sorted(site.glob("inventory*.xml")),
    }


def change_one_percent(pricebook: Path, out: Path) -> int:
    """Copy a price book, raising every 100th amount by 1: 1% of SKUs change their feed row."""
    changed = 0
    with open(pricebook, encoding="utf-8") as src, open(out, "w", encoding="utf-8") as dst:
        for index, line in enumerate(src):
            match = re.search(r"(<amount quantity=\"1\">)([0-9.]+)(</amount>)", line)
            if match and index % 100 == 0:
                line = line.replace(match.group(0),
                                    f"{match.group(1)}{float(match.group(2)) + 1:.2f}{match.group(3)}")
                changed += 1
            dst.write(line)
    return changed


def bench_size(size: int, workdir: Path, seed: int) -> list[Row]:
    site = workdir / f"site-{size}"
    if not (site / "catalog-master.xml").exists():
        run_measured([PY, "-m", "fixtures.generate", str(size), str(site), "--seed", str(seed)])
    for stale in ("export", "sim", "state"):  # a reused simulator would count the last run's jobs as done
        shutil.rmtree(workdir / f"{stale}-{size}", ignore_errors=True)
    files = site_files(site)
    master = site / "catalog-master.xml"
    rows: list[Row] = []
    catalog_bytes = master.stat().st_size

    seconds, peak, _ = run_measured([PY, "-c", FLOOR_PARSE, str(master), PRODUCT_TAG])
    rows.append(Row(size, FLOOR, seconds, size, peak, "", catalog_bytes))
    seconds, peak, _ = run_measured([PY, "-c", OLD_FLOOR_PARSE, str(master)])
    rows.append(Row(size, "old floor: iterparse of every element", seconds, size, peak,
                    "continuity only", catalog_bytes))

    product_inputs = flags("catalog", files["catalog"]) + flags("pricebook", files["pricebook"])
    inventory_inputs = flags("inventory", files["inventory"])
    inputs = product_inputs + inventory_inputs
    product_bytes = total_bytes(files["catalog"] + files["pricebook"])
    inventory_bytes = total_bytes(files["inventory"])
    connector = [PY, "-c", "from connector.cli import main; main()"]
    out = workdir / f"export-{size}"
    seconds, peak, _ = run_measured([*connector, "export", "--full", *inputs, "--site-id", "RefArch",
                                     "--out", str(out)])
    rows.append(Row(size, "sfcc-connector export --full", seconds, size, peak, "",
                    product_bytes + inventory_bytes))
    feed = max(out.glob("tiktok-feed-*.txt"), key=lambda p: p.stat().st_mtime)
    feed_bytes = feed.stat().st_size

    sim = Simulator(workdir / f"sim-{size}")
    try:
        seconds = put_file(sim, feed)
        rows.append(Row(size, "WebDAV upload (PUT of the feed)", seconds, size, 0.0,
                        f"{feed_bytes / 2**20:.0f} MiB", feed_bytes))
        state = workdir / f"state-{size}"
        settings = ["--site-id", "RefArch", "--instance", sim.base, "--user", "bench", "--password", "bench",
                    "--tiktok-url", sim.base, "--state-dir", str(state)]
        sim.watch_jobs()
        start = time.perf_counter()
        _, peak, _ = run_measured([*connector, "sync", "--full", *product_inputs, *settings])
        jobs = sim.wait_jobs(2)
        seconds = time.perf_counter() - start
        update = next(j for j in jobs if j["update_type"] == "update")
        rows.append(Row(size, "simulator pickup -> every product published", sim.job_seconds(update["id"]),
                        size, sim.peak_mib(), f"slowest API answer {sim.slowest:.2f}s", feed_bytes))
        rows.append(Row(size, "full sync end to end", seconds, size, peak, "peak RSS: connector",
                        product_bytes))

        start = time.perf_counter()
        _, peak, _ = run_measured([*connector, "sync", "--inventory-only", *inventory_inputs, *settings])
        sim.wait_jobs(3)
        rows.append(Row(size, "inventory sync end to end", time.perf_counter() - start, size, peak, "",
                        inventory_bytes))

        changed_book = workdir / f"pricebook-changed-{size}.xml"
        change_one_percent(site / "pricebook-list.xml", changed_book)
        list_book = str(site / "pricebook-list.xml")
        delta_inputs = [str(changed_book) if a == list_book else a for a in product_inputs]
        start = time.perf_counter()
        _, peak, _ = run_measured([*connector, "sync", "--delta", *delta_inputs, *settings])
        jobs = sim.wait_jobs(5)
        delta = max((j for j in jobs if j["update_type"] == "update"), key=lambda j: int(j["id"]))
        rows.append(Row(size, "delta sync, 1% changed, end to end", time.perf_counter() - start, size, peak,
                        f"{delta['counts']['records']} SKUs in the delta feed", product_bytes))
        rows[-1].note += f"; simulator peak {sim.peak_mib():.0f} MiB"
    finally:
        sim.stop()

    seconds, peak, _ = run_measured([PY, "-c", "from simulator.cli import main; main()", "check",
                                     str(feed), "--format", "json"], ok_codes=(0, 1))
    rows.append(Row(size, "tiktok-sim check", seconds, size, peak, "exit 1: the generated defects",
                    feed_bytes))
    return rows


def flags(name: str, paths: list[Path]) -> list[str]:
    """`--name path` for each path, as the connector's CLI takes repeated inputs."""
    return [arg for path in paths for arg in (f"--{name}", str(path))]


def total_bytes(paths: list[Path]) -> int:
    return sum(path.stat().st_size for path in paths)


def put_file(sim: Simulator, path: Path) -> float:
    """PUT a file into the simulator's WebDAV (a scratch folder), streamed from disk."""
    auth = "Basic " + base64.b64encode(b"bench:bench").decode()
    conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=600)
    start = time.perf_counter()
    with open(path, "rb") as body:
        conn.request("PUT", f"/on/demandware.servlet/webdav/Sites/Impex/{path.name}", body=body,
                     headers={"Authorization": auth, "Content-Length": str(path.stat().st_size)})
        answer = conn.getresponse()
        answer.read()
    conn.close()
    if answer.status not in (200, 201, 204):
        raise SystemExit(f"PUT answered {answer.status}")
    return time.perf_counter() - start


def print_table(rows: list[Row]) -> None:
    """Ratios are against the floor of the same size; MB/s is of what each step reads (10^6 bytes)."""
    floor = {row.size: row.seconds for row in rows if row.what == FLOOR}
    print(f"{'SKUs':>9}  {'what':<52} {'wall s':>8} {'SKU/s':>9} {'MB/s':>7} {'x floor':>8} "
          f"{'peak MiB':>9}  note")
    for row in rows:
        ratio = row.seconds / floor[row.size] if floor.get(row.size) else 0.0
        rate = row.items / row.seconds if row.seconds else 0.0
        mb_rate = row.input_bytes / 1e6 / row.seconds if row.seconds else 0.0
        peak = f"{row.peak_mib:9.0f}" if row.peak_mib else f"{'':9}"
        print(f"{row.size:>9}  {row.what:<52} {row.seconds:8.2f} {rate:9.0f} {mb_rate:7.1f} {ratio:8.2f} "
              f"{peak}  {row.note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    options.workdir.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    for size in (int(s) for s in options.sizes.split(",")):
        rows += bench_size(size, options.workdir, options.seed)
        print_table(rows)
        print(flush=True)


if __name__ == "__main__":
    main()
