"""The review's checks in worker processes: the same results as in the job's own process, no hang when a
worker dies, no worker left behind, and a `kill -9` of `tiktok-sim serve` mid-review then a restart gives
the clean run's products."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from support.simulator_client import Client, row
from support.waiting import wait_for

from simulator.review import PARALLEL_AT, Batch, check_batch
from simulator.tenant import DEFAULT_TENANT_ID
from simulator.workers import WORKERS, WorkerPool

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = 4
# a product of each kind the review decides differently: published, failed, published with a warning
DEFECTS = ({}, {"price": "0 USD"}, {"image_urls": '{"images":[]}'}, {"description": ""})
CHECK = partial(check_batch, "US")
SERVER_TIMEOUT_S = 120.0


def _rows(products: int) -> list[dict[str, str]]:
    rows = []
    for p in range(products):
        group = f"G{p:05d}"
        for v in range(VARIANTS):
            values = DEFECTS[p % len(DEFECTS)] if v == 0 else {}
            rows.append(row(f"{group}-{v}", group, variation_properties=f'{{"Size":"{v}"}}',
                            is_default_variant=str(v == 0).lower(), **values))
    return rows


def _batches(products: int, size: int = 50) -> list[Batch]:
    stored = [(line, json.dumps(r), r["sku_id"], "feed.txt") for line, r in enumerate(_rows(products), 2)]
    groups = [(f"G{p:05d}", stored[p * VARIANTS:(p + 1) * VARIANTS]) for p in range(products)]
    return [groups[i:i + size] for i in range(0, len(groups), size)]


def checked_in_order(pool: WorkerPool, batches: list[Batch]) -> Iterator[Any]:
    """The batches' checks through the pool's workers, in order, as the review hands them over."""
    handed = pool.in_order(CHECK)
    for batch in batches:
        while handed.full():
            yield handed.take()
        handed.put(batch)
    while handed:
        yield handed.take()


def _parents() -> dict[int, int]:
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                found[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
    return found


def _workers(pid: int) -> set[int]:
    """The processes two levels below `pid`: what the forkserver forked (`pid`'s own children are the
    forkserver and multiprocessing's resource tracker)."""
    parents = _parents()
    children = {child for child, parent in parents.items() if parent == pid}
    return {child for child, parent in parents.items() if parent in children}


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_workers_find_what_the_job_process_finds_in_the_same_order() -> None:
    batches = _batches(400)
    pool = WorkerPool()
    try:
        assert list(checked_in_order(pool, batches)) == list(map(CHECK, batches))
        assert _workers(os.getpid())  # the checks really ran elsewhere
    finally:
        pool.close()


def test_a_worker_that_dies_costs_time_only() -> None:
    batches = _batches(400)
    expected = list(map(CHECK, batches))
    pool = WorkerPool()
    try:
        checked = checked_in_order(pool, batches)
        found = [next(checked)]
        workers = _workers(os.getpid())
        assert workers
        for pid in workers:  # batches are still out with them
            os.kill(pid, signal.SIGKILL)
        found += list(checked)  # finishes, in this process, with the same results
        assert found == expected
        assert list(checked_in_order(pool, batches)) == expected  # the next review starts new workers
    finally:
        pool.close()


def test_chunks_handed_over_one_at_a_time_come_back_in_order() -> None:
    batches = _batches(400)
    pool = WorkerPool()
    try:
        handed = pool.in_order(CHECK)
        found = []
        for batch in batches:
            while handed.ready():  # never waits: taken only once a worker is done with it
                found.append(handed.take())
            if handed.full():
                found.append(handed.take())
            handed.put(batch)
        while handed:
            found.append(handed.take())
        assert found == list(map(CHECK, batches))
    finally:
        pool.close()


def test_warmed_workers_start_before_any_work_is_handed_over() -> None:
    pool = WorkerPool()
    try:
        pool.warm(CHECK, [])
        wait_for(lambda: len(_workers(os.getpid())) == WORKERS, "every worker to start")
        batches = _batches(100)
        assert list(checked_in_order(pool, batches)) == list(map(CHECK, batches))
    finally:
        pool.close()


def test_closing_the_pool_ends_its_workers() -> None:
    pool = WorkerPool()
    list(checked_in_order(pool, _batches(100)))
    workers = _workers(os.getpid())
    assert workers
    pool.close()
    wait_for(lambda: not any(_alive(pid) for pid in workers), "the workers to end")
    assert list(checked_in_order(pool, _batches(10))) == list(map(CHECK, _batches(10)))  # in this process


# --- `tiktok-sim serve` killed mid-review -------------------------------------------------------------


@dataclass
class _Serve:
    """Enough of a SimServer for the test client: a `tiktok-sim serve` process of our own."""

    base_url: str
    dav_user: str = "u"
    dav_password: str = "p"
    external_business_id: str = DEFAULT_TENANT_ID
    ca_path: Path | None = None

    @property
    def dav_url(self) -> str:
        return self.base_url + "/on/demandware.servlet/webdav/Sites/Impex"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def _serve(data_dir: Path, port: int) -> Iterator[tuple[subprocess.Popen[bytes], Client]]:
    command = [sys.executable, "-c", "from simulator.cli import main; main()", "serve", "--data-dir",
               str(data_dir), "--port", str(port), "--dav-user", "u", "--dav-password", "p"]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = Client(_Serve(f"http://127.0.0.1:{port}"))  # type: ignore[arg-type]
        wait_for(lambda: _answers(client), "serve to answer", SERVER_TIMEOUT_S)
        yield proc, client
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(SERVER_TIMEOUT_S)


def _answers(client: Client) -> bool:
    try:
        return client.api("GET", "/_sim/health")[0] == 200
    except OSError:
        return False


def _products(client: Client) -> dict[str, Any]:
    """Every product as the simulator shows it, without what differs between runs (ids and times)."""
    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items() if k != "id" and not k.endswith("time")}
        return [plain(v) for v in value] if isinstance(value, list) else value

    return {p["item_group_id"]: plain(p) for p in client.products()}


def _step(client: Client, job_id: str) -> str:
    steps = client.api("GET", f"/api/jobs/{job_id}")[1]["steps"]
    return steps[-1]["name"] if steps else ""


def test_serve_killed_mid_review_then_restarted_gives_the_clean_runs_products(tmp_path: Path) -> None:
    rows = _rows(PARALLEL_AT + 1000)  # five batches: the workers are still busy when serve is killed
    with _serve(tmp_path / "clean", _free_port()) as (_, clean):
        clean.drop_feed(rows)
        assert clean.run()["state"] == "completed"
        expected = _products(clean)
    port = _free_port()  # the restart keeps the port, so the job's URL still works
    with _serve(tmp_path / "killed", port) as (proc, first):
        first.drop_feed(rows)
        job_id = first.alert()["data"]["job_id"]
        wait_for(lambda: _step(first, job_id) == "review", "the job to reach its review")
        workers = wait_for(lambda: _workers(proc.pid), "the review's worker processes")
        assert first.api("GET", f"/api/jobs/{job_id}")[1]["state"] == "running"
        proc.send_signal(signal.SIGKILL)
        proc.wait(SERVER_TIMEOUT_S)
    wait_for(lambda: not any(_alive(pid) for pid in workers), "the killed server's workers to end")
    with _serve(tmp_path / "killed", port) as (_, second):
        job = second.wait_job(job_id)
        assert job["state"] == "completed" and job["report"]["requeued_after_restart"], job
        assert _products(second) == expected
