"""Peak memory under hostile input, each answered by a clear refusal or a flat read; prints one table.

    python bench/hostile_input.py [--workdir bench/out/hostile] [--put-gib 1] [--flood-mib 200]

Every figure comes from a real process, as a user runs it: `tiktok-sim serve` (peak RSS from its
`VmHWM`), `sfcc-connector export` and `tiktok-sim check` (their own `VmHWM`, and their children's).
The cases:

- an unauthenticated PUT declaring and streaming 1 GiB to the embedded WebDAV: how many bytes the
  server took before it answered and closed, and its peak RSS;
- a 500 MB alert body (declared, then streamed): the same;
- a 200 MiB flood of well-formed unknown elements in a catalog and a price book (`export --full`), in an
  inventory list (`check`), and in an inventory list the simulator picks up over WebDAV (its peak RSS).

It is a benchmark, not a test: it prints figures and asserts nothing (tests/test_sim_dav_hostile.py,
test_sim_api_limits.py and test_xml_element_flood.py assert the behaviour at a smaller scale).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import BinaryIO

from fixtures.peak import run_measured

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
MIB = 1 << 20
DAV = "/on/demandware.servlet/webdav/Sites/Impex"
INVENTORY_FOLDER = "src/feeds/export/social/tiktok/inventory"
CATALOG_NS = "http://www.demandware.com/xml/impex/catalog/2006-10-31"
PRICEBOOK_NS = "http://www.demandware.com/xml/impex/pricebook/2006-10-31"
INVENTORY_NS = "http://www.demandware.com/xml/impex/inventory/2007-05-31"
ALERT = "/tbp/v2.0/feed/download/"
FINISHED = ("completed", "failed")
AUTH = {"Authorization": "Basic " + base64.b64encode(b"bench:bench").decode()}


def write_flood(path: Path, head: str, tail: str, flood_bytes: int) -> None:
    """`head`, then `flood_bytes` of unknown empty elements in one wrapper, then `tail`."""
    chunk = "<unknown-element/>" * 4096
    with open(path, "w", encoding="utf-8") as out:
        out.write(head + "<unknown-wrapper>")
        for _ in range(flood_bytes // len(chunk)):
            out.write(chunk)
        out.write("</unknown-wrapper>\n" + tail)


def flood_files(workdir: Path, flood_bytes: int) -> dict[str, Path]:
    """A one-product catalog, price book and inventory list, each with the flood inside."""
    files = {name: workdir / f"{name}.xml" for name in ("catalog", "pricebook", "inventory")}
    declaration = '<?xml version="1.0" encoding="UTF-8"?>\n'
    write_flood(files["catalog"], f'{declaration}<catalog xmlns="{CATALOG_NS}" '
                'catalog-id="flood">\n<product product-id="S1"><display-name xml:lang="x-default">One'
                "</display-name><online-flag>true</online-flag></product>\n",
                '<category-assignment category-id="all" product-id="S1"/>\n</catalog>\n', flood_bytes)
    write_flood(files["pricebook"], f'{declaration}<pricebooks xmlns="{PRICEBOOK_NS}">\n'
                '<pricebook><header pricebook-id="usd-list"><currency>USD</currency><online-flag>true'
                '</online-flag></header><price-tables><price-table product-id="S1"><amount quantity="1">10'
                "</amount></price-table></price-tables></pricebook>\n", "</pricebooks>\n", flood_bytes)
    write_flood(files["inventory"], f'{declaration}<inventory xmlns="{INVENTORY_NS}">'
                '<inventory-list><header list-id="inventory_m"><default-instock>false</default-instock>'
                '</header><records><record product-id="S1"><allocation>3</allocation></record></records>\n',
                "</inventory-list></inventory>\n", flood_bytes)
    return files


def measured(module: str, *args: str) -> tuple[int, float, str]:
    """`python -m module args`: its exit code, peak RSS in MiB and the last line it printed."""
    code, output, peak = run_measured(module, *args, cwd=ROOT)
    said = output.strip().splitlines() or [""]
    return code, peak or 0.0, said[-1].strip()[:100]


class Simulator:
    """`tiktok-sim serve` in its own process on a free port."""

    def __init__(self, data_dir: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.proc = subprocess.Popen(
            [PY, "-c", "from simulator.cli import main; main()", "serve", "--data-dir", str(data_dir),
             "--port", str(self.port), "--dav-user", "bench", "--dav-password", "bench"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        deadline = time.monotonic() + 30
        while self.call("GET", "/_sim/health")[0] != 200:
            if time.monotonic() > deadline:
                raise SystemExit("the simulator did not start")
            time.sleep(0.1)

    def call(
        self, method: str, path: str, body: bytes | BinaryIO | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=body, method=method,
                                         headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=600) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except OSError:
            return 0, b""

    def peak_mib(self) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        match = re.search(r"VmHWM:\s+(\d+)", status)
        return int(match.group(1)) / 1024 if match else 0.0

    def stream(self, method: str, path: str, declared: int, headers: dict[str, str]) -> tuple[str, int]:
        """Send a head declaring `declared` bytes, then stream them until the server answers or closes;
        the status line and how many body bytes went out before that."""
        sent, chunk = 0, b"x" * MIB
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        with socket.create_connection(("127.0.0.1", self.port), timeout=600) as sock:
            sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {declared}\r\n{head}\r\n"
                         .encode())
            sock.setblocking(False)
            answer = b""
            while sent < declared and not answer:
                with contextlib.suppress(BlockingIOError):
                    answer = sock.recv(4096)
                try:
                    sent += sock.send(chunk[: declared - sent])
                except BlockingIOError:
                    time.sleep(0.001)
                except OSError:
                    break  # closed by the server
            sock.setblocking(True)
            answer = answer or sock.recv(4096)
        return answer.split(b"\r\n", 1)[0].decode("latin-1"), sent

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def simulator_rows(workdir: Path, put_bytes: int, inventory: Path) -> list[tuple[str, float, str]]:
    sim = Simulator(workdir / "sim")
    try:
        rows = [("simulator idle, after start", sim.peak_mib(), "")]
        status, sent = sim.stream("PUT", f"{DAV}/big.xml", put_bytes, {})
        rows.append((f"simulator, unauthenticated PUT of {put_bytes / MIB:,.0f} MiB", sim.peak_mib(),
                     f"{status}; {sent / MIB:,.1f} MiB sent first"))
        status, sent = sim.stream("POST", ALERT, 500 * 1000 * 1000, {"Content-Type": "application/json"})
        note = f"{status}; {sent / MIB:,.1f} MiB sent first"
        rows.append(("simulator, 500 MB alert body", sim.peak_mib(), note))
        parts = INVENTORY_FOLDER.split("/")
        for depth in range(1, len(parts) + 1):
            sim.call("MKCOL", f"{DAV}/{'/'.join(parts[:depth])}/", headers=AUTH)
        folder = f"{DAV}/{INVENTORY_FOLDER}"
        with open(inventory, "rb") as data:  # streamed: this script's memory stays small
            sim.call("PUT", f"{folder}/inventory-flood-20261127.xml", data,
                     {**AUTH, "Content-Length": str(inventory.stat().st_size)})
        alert = {"business_platform": "SALESFORCE", "external_business_id": "sfcc-sim-tenant",
                 "params": {"url": f"http://127.0.0.1:{sim.port}{folder}", "feed_type": "inventory",
                            "update_type": "create"}}
        job_id = json.loads(sim.call("POST", ALERT, json.dumps(alert).encode())[1])["data"]["job_id"]
        while (job := json.loads(sim.call("GET", f"/api/jobs/{job_id}")[1]))["state"] not in FINISHED:
            time.sleep(0.2)
        size = inventory.stat().st_size / MIB
        rows.append((f"simulator, pickup of a {size:,.0f} MiB element flood (inventory)", sim.peak_mib(),
                     f"job {job['state']}"))
        return rows
    finally:
        sim.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "out" / "hostile")
    parser.add_argument("--put-gib", type=float, default=1.0)
    parser.add_argument("--flood-mib", type=int, default=200)
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    files = flood_files(args.workdir, args.flood_mib * MIB)
    rows = simulator_rows(args.workdir, int(args.put_gib * (1 << 30)), files["inventory"])
    code, peak, last = measured("connector.cli", "export", "--full", "--catalog", str(files["catalog"]),
                                "--pricebook", str(files["pricebook"]), "--site-id", "S",
                                "--out", str(args.workdir / "export"))
    rows.append((f"sfcc-connector export, {args.flood_mib} MiB flood in catalog and price book", peak,
                 f"exit {code}; {last}"))
    code, peak, last = measured("simulator.cli", "check", str(files["inventory"]))
    rows.append((f"tiktok-sim check, {args.flood_mib} MiB flood in an inventory list", peak,
                 f"exit {code}; {last}"))
    print("| case | peak MiB | answer |\n|---|---:|---|")
    for what, mib, note in rows:
        print(f"| {what} | {mib:,.0f} | {note} |")


if __name__ == "__main__":
    main()
