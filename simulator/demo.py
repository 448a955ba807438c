"""`tiktok-sim demo`: the whole documented lifecycle on a laptop, narrated as it really happens.

The simulator runs in-process on a free port; the connector runs as its own process (the two sides
share no code), exactly as a user would run `sfcc-connector`. Each simulator line is printed when the
simulator records that step, by following `GET /api/jobs`, not from a script.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

import click

from simulator.server import SimServer

SITE_ID = "RefArch"
JOB_DEADLINE_S = 60.0


def _get_json(url: str, payload: Any = None) -> Any:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


STEP_TEXT = {
    "pickup": "picks the new files up over WebDAV",
    "upload": "uploads them into its own store",
    "review": "reviews each product against TikTok's rules",
    "publish": "publishes: ACTIVATE when the review passed, FAILED with reasons otherwise",
    "delete": "removes the deleted SKUs from the listings",
    "verify": "verifies the inventory for accuracy and completeness",
    "integrate": "integrates the inventory into the listings",
}


def _describe(step: dict[str, Any]) -> str:
    """One readable line for a job step, in the documented flow's words."""
    return f"{step['name']:<10} {STEP_TEXT.get(step['name'], '')}".rstrip()


def _outcome(job: dict[str, Any]) -> str:
    """What a finished job did: its files and its non-zero counts, or why it failed."""
    counts = ", ".join(f"{k}={v}" for k, v in job.get("counts", {}).items() if v)
    files = ", ".join(job.get("files", [])) or "no new file"
    reason = f"  reason: {job['error']}" if job.get("error") else ""
    return f"{job['state']}  [{files}]  {counts}{reason}"


class Narrator(threading.Thread):
    """Follows the simulator's job log and prints each step the moment it is recorded."""

    def __init__(self, base_url: str) -> None:
        super().__init__(daemon=True)
        self.base_url = base_url
        self.seen: set[tuple[str, int]] = set()
        self.states: dict[str, str] = {}
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.poll()
            self.stopping.wait(0.05)
        self.poll()

    def poll(self) -> None:
        with self.lock:
            for job in _get_json(self.base_url + "/api/jobs")["jobs"]:
                key = str(job["id"])
                label = f"job {key} {job['feed_type']}/{job['update_type']}"
                for index, step in enumerate(job.get("steps", [])):
                    if (key, index) not in self.seen:
                        self.seen.add((key, index))
                        click.echo(f"  [tiktok] {label:<24} {_describe(step)}")
                if job["state"] in ("completed", "failed") and self.states.get(key) != job["state"]:
                    click.echo(f"  [tiktok] {label:<24} {_outcome(job)}")
                self.states[key] = job["state"]

    def wait_idle(self) -> None:
        """Return once every job the simulator knows of has finished."""
        deadline = time.monotonic() + JOB_DEADLINE_S
        while time.monotonic() < deadline:
            self.poll()
            if self.states and all(s in ("completed", "failed") for s in self.states.values()):
                return
            time.sleep(0.05)
        raise click.ClickException("the simulator did not finish its jobs in time")

    def stop(self) -> None:
        self.stopping.set()
        self.join()


def _run_connector(args: list[str]) -> None:
    """Run `sfcc-connector` as a separate process, echoing its lines as they come."""
    command = [sys.executable, "-c", "from connector.cli import main; main()", *args]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            click.echo(f"  [sfcc]   {line.rstrip()}")
    if proc.returncode:
        raise click.ClickException(f"sfcc-connector exited with {proc.returncode}")


@contextmanager
def _site_copy() -> Iterator[Path]:
    """A private copy of the bundled fixtures, so the demo can edit the SFCC site."""
    with as_file(files("fixtures") / "sfcc") as bundled, tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "sfcc"
        shutil.copytree(bundled, site)
        yield site


def _products(base_url: str) -> list[dict[str, Any]]:
    """Every product from the simulator's own API, which has the item_group_id TikTok's answers lack."""
    found, token = [], ""
    while True:
        answer = _get_json(f"{base_url}/_sim/products?page_size=100&page_token={token}")
        found += answer["products"]
        token = answer["next_page_token"]
        if not token:
            return found


def _wire(base_url: str, since: int) -> int:
    """What the connector's run sent to TikTok, as the simulator's request journal saw it: the WebDAV
    writes and the alerts, in order (the documented drop-then-alert sequence). Returns the last seq."""
    journal = _get_json(f"{base_url}/_sim/journal?since={since}&direction=inbound")["data"]
    click.echo("  [wire]   what reached the simulator, in order (GET /_sim/journal):")
    for entry in journal["entries"]:
        params = (entry.get("json") or {}).get("params") or {}
        if entry["method"] in ("PUT", "MOVE"):
            what = entry["path"].rsplit("/", 1)[-1]
        elif params:
            what = f"alert {params.get('feed_type')}/{params.get('update_type')}"
        else:
            continue
        click.echo(f"  [wire]     #{entry['seq']:<4} {entry['method']:<5} {what:<56} {entry['status']}")
    return int(journal["last_seq"])


def _summary(base_url: str) -> None:
    products = _products(base_url)
    click.echo("\nSummary")
    click.echo(f"  {'product':<20} {'item_group_id':<18} {'title':<36} {'status':<9} {'skus':>4} {'stock':>6}"
               "  reason")
    for product in sorted(products, key=lambda p: (p["status"], p.get("item_group_id", ""))):
        stock = sum(inv["quantity"] for sku in product["skus"] for inv in sku.get("inventory", []))
        reasons = "; ".join(r for item in product.get("audit_failed_reasons", [])
                            for r in item.get("reasons", []))
        group, title = product.get("item_group_id", ""), product["title"][:36]
        click.echo(f"  {product['id']:<20} {group:<18} {title:<36} {product['status']:<9} "
                   f"{len(product['skus']):>4} {stock:>6}  {reasons[:70]}")
    counts: dict[str, int] = {}
    for product in products:
        counts[product["status"]] = counts.get(product["status"], 0) + 1
    click.echo("  " + ", ".join(f"{status}: {n}" for status, n in sorted(counts.items())))


@click.command("demo")
@click.option("--keep", is_flag=True, help="Keep the temporary data directory and print where it is.")
@click.option("--serve", "keep_serving", is_flag=True,
              help="Keep the simulator running after the demo, for its dashboard, until Ctrl-C.")
def demo_command(keep: bool, keep_serving: bool) -> None:
    """Run the whole lifecycle on the bundled SFCC fixtures, narrating each step as it happens."""
    data_dir = Path(tempfile.mkdtemp(prefix="tiktok-sim-demo-"))
    server = SimServer(data_dir)
    server.start()
    narrator = Narrator(server.base_url)
    narrator.start()
    try:
        with _site_copy() as site, tempfile.TemporaryDirectory() as state:
            settings = ["--site-id", SITE_ID, "--locale", "en_US", "--instance", server.base_url,
                        "--user", server.dav_user, "--password", server.dav_password,
                        "--tiktok-url", server.base_url, "--state-dir", state]
            click.echo(f"TikTok Shop simulator at {server.base_url}")
            click.echo(f"SFCC WebDAV at {server.dav_url}/ (user {server.dav_user})\n")

            click.echo("1. Initial catalog sync (onboarding) and inventory sync")
            _run_connector(["sync", "--full", *_inputs(site), *settings])
            narrator.wait_idle()
            seen = _wire(server.base_url, 0)

            click.echo("\n2. Ongoing catalog sync: a title changed, a product added, a product deleted")
            changes = site / "changes"
            _run_connector(["sync", "--delta", *_inputs(site, changes), *settings])
            narrator.wait_idle()
            _wire(server.base_url, seen)
            _summary(server.base_url)
        if keep_serving:
            _serve_on(server)
    finally:
        narrator.stop()
        server.stop()
        if keep:
            click.echo(f"\nData kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


def _serve_on(server: SimServer) -> None:
    """Leave the shop the demo built open in the browser until Ctrl-C (or a service manager's stop)."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    click.echo(f"\nDashboard: {server.base_url}/")
    click.echo(f"WebDAV user {server.dav_user}, access key {server.dav_password}")
    try:
        click.echo("The simulator keeps running; press Ctrl-C to stop.")
        threading.Event().wait()
    except KeyboardInterrupt:
        click.echo("Stopping...")


def _inputs(site: Path, changes: Path | None = None) -> list[str]:
    """The connector's input flags; `changes` swaps in the edited master catalog and list prices."""
    folder, suffix = (changes, "-changed") if changes else (site, "")
    return ["--catalog", str(folder / f"catalog-master{suffix}.xml"),
            "--catalog", str(folder / f"catalog-storefront{suffix}.xml"),
            "--pricebook", str(folder / f"pricebook-list{suffix}.xml"),
            "--pricebook", str(site / "pricebook-sale.xml"),
            "--inventory", str(site / "inventory.xml")]
