"""Peak RSS of `tiktok-sim serve` fed a 1 GB single-line feed (issue 11, case 4): a figure, not a test.

    python bench/long_line.py [--size-mb 1024] [--workdir bench/out/long-line]

The simulator runs as its own process, as a user runs it. Two feeds are PUT on its WebDAV, streamed from
a generator so this script holds no copy: one whose second line is the whole size (a bad row: the rest of
the file is applied) and one that is one line from its first byte (no header: the file is refused as a
whole). Each is alerted and its job waited for. The simulator's peak RSS (VmHWM of its process) and each
job's outcome are printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
FOLDER = "/on/demandware.servlet/webdav/Sites/Impex/src/feeds/export/social/tiktok/product"
HEADER = (b"sku_id|title|description|image_urls|landing_page_url|product_category|sale_regions|availability|"
          b"price|item_group_id|variation_properties|is_default_variant|brand|google_product_category|condition\n")
GOOD_ROW = (b'S1|A good product title for the bench|A good product.|{"images":["https://img.example.com/a.jpg"]}|'
            b"https://shop.example.com/S1.html|tops|US|in stock|20 USD|G1|{}|true|Acme|Apparel|new\n")
CHUNK = 1 << 20
USER, PASSWORD = "bench", "bench-key"


def _chunks(head: bytes, size: int, tail: bytes) -> Iterator[bytes]:
    yield head
    block = b"x" * CHUNK
    for _ in range(size // CHUNK):
        yield block
    yield b"x" * (size % CHUNK)
    yield tail


def _put(base: str, name: str, head: bytes, size: int, tail: bytes) -> int:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    length = str(len(head) + size + len(tail))
    conn.request("PUT", f"{FOLDER}/{name}", body=_chunks(head, size, tail),
                 headers={"Authorization": f"Basic {auth}", "Content-Length": length})
    status = conn.getresponse().status
    conn.close()
    return status


def _call(base: str, method: str, path: str, body: dict | None = None) -> dict:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    conn.request(method, path, body=json.dumps(body).encode() if body else None,
                 headers={"Content-Type": "application/json"})
    answer = json.loads(conn.getresponse().read())
    conn.close()
    return answer


def _mkcol(base: str) -> None:
    parts = urlsplit(base)
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    path = ""
    for segment in FOLDER.split("/")[6:]:
        path += "/" + segment
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        conn.request("MKCOL", "/on/demandware.servlet/webdav/Sites/Impex" + path,
                     headers={"Authorization": f"Basic {auth}"})
        conn.getresponse().read()
        conn.close()


def _run_job(base: str, tenant: str) -> dict:
    alert = {"business_platform": "SALESFORCE", "external_business_id": tenant,
             "params": {"url": base + FOLDER, "feed_type": "product", "update_type": "update"}}
    job_id = _call(base, "POST", "/tbp/v2.0/feed/download/", alert)["data"]["job_id"]
    while (job := _call(base, "GET", f"/api/jobs/{job_id}"))["state"] not in ("completed", "failed"):
        time.sleep(0.5)
    return job


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc (Linux only)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "out" / "long-line")
    args = parser.parse_args()
    size = args.size_mb << 20
    shutil.rmtree(args.workdir, ignore_errors=True)
    serve = subprocess.Popen(
        [sys.executable, "-m", "simulator.cli", "serve", "--data-dir", str(args.workdir), "--port", "0",
         "--dav-user", USER, "--dav-password", PASSWORD], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert serve.stdout is not None
        lines = [serve.stdout.readline() for _ in range(5)]
        base = next(line.split()[-1] for line in lines if line.startswith("TikTok Shop API:"))
        tenant = next(line.split()[-1] for line in lines if line.startswith("Tenant:"))
        _mkcol(base)
        print(f"simulator at rest: peak RSS {_peak_rss_mib(serve.pid):.0f} MiB")
        for name, head, tail in (
            ("tiktok-feed-Bench-20261127100000-en_US.txt", HEADER + GOOD_ROW + b"S2|",
             b"\n" + GOOD_ROW.replace(b"S1", b"S3").replace(b"G1", b"G3")),
            ("tiktok-feed-Bench-20261127100100-en_US.txt", b"", b"\n"),
        ):
            started = time.monotonic()
            status = _put(base, name, head, size, tail)
            job = _run_job(base, tenant)
            issues = {group["code"]: group["examples"][0].get("line") for group in job["issues"]}
            print(f"{name}: PUT {status}, job {job['state']} in {time.monotonic() - started:.0f} s, "
                  f"records {job['counts'].get('records', 0)}, issues {issues}, error {job.get('error')}")
            print(f"  simulator peak RSS so far: {_peak_rss_mib(serve.pid):.0f} MiB")
    finally:
        serve.terminate()
        serve.wait(30)


if __name__ == "__main__":
    main()
