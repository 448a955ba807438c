"""Failures visible to the sender (issue 11): `sfcc-connector sync --wait` follows the simulator's jobs and
exits 1 when one failed, printing its issues; `tiktok-sim serve` logs each step and outcome, one line each."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.connector_servers import DAV_PASSWORD, DAV_USER, AlertServer, DavServer
from support.net import basic_auth, request
from support.sfcc import MOUNT, PRODUCT_FOLDER, write_catalog, write_pricebook
from support.simulator_client import feed, row
from support.waiting import wait_for

from connector.cli import main as connector_main

ROOT = Path(__file__).resolve().parent.parent


class Serve:
    """`tiktok-sim serve` in its own process, its console collected line by line."""

    def __init__(self, data_dir: Path, *options: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from simulator.cli import main; main()", "serve", "--data-dir",
             str(data_dir), "--port", "0", "--dav-user", "merchant", "--dav-password", "access-key",
             *options],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        banner = wait_for(lambda: next((line for line in self.lines if line.startswith("TikTok Shop API:")),
                                       None), "serve's banner")
        self.url = banner.split()[-1]

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def job_lines(self, job_id: str) -> list[str]:
        return [line.split(" ", 1)[1] for line in self.lines if f" job {job_id} " in line]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.communicate(timeout=20)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    server = Serve(tmp_path / "sim")
    yield server
    server.stop()


def _sync(tmp_path: Path, serve: Serve) -> tuple[int, str]:
    catalog = write_catalog(tmp_path / "catalog.xml", {"SIMPLE-1": "One", "SIMPLE-2": "Two"})
    prices = write_pricebook(tmp_path / "prices.xml", {"SIMPLE-1": "10", "SIMPLE-2": "12.50"})
    result = CliRunner().invoke(connector_main, [
        "sync", "--catalog", str(catalog), "--pricebook", str(prices), "--site-id", "RefArch",
        "--instance", serve.url, "--user", "merchant", "--password", "access-key", "--tiktok-url", serve.url,
        "--state-dir", str(tmp_path / "state"), "--wait", "--wait-timeout", "60"])
    return result.exit_code, result.output


def test_sync_wait_succeeds_on_completed_jobs_and_fails_on_a_failed_one(tmp_path: Path, serve: Serve) -> None:
    code, output = _sync(tmp_path, serve)
    assert code == 0, output
    assert "job 2 (product/update) completed" in output
    lines = wait_for(lambda: len(serve.job_lines("2")) == 5 and serve.job_lines("2"), "job 2's console lines")
    steps = ("pickup", "upload", "review", "publish")
    assert lines[:4] == [f"job 2 product/update: {step}" for step in steps]
    assert lines[4].startswith("job 2 product/update: completed ") and "published=2" in lines[4]

    poison = "tiktok-feed-RefArch-20000101000000-en_US.txt"  # another writer left a binary file
    status, _ = request("PUT", f"{serve.url}{MOUNT}/{PRODUCT_FOLDER}/{poison}", b"\x00\x01\x02",
                        basic_auth("merchant", "access-key"))
    assert status in (201, 204)
    code, output = _sync(tmp_path, serve)
    assert code == 1, output
    assert f"job 4 (product/update) failed: {poison}:1: " in output
    assert "error: TikTok Shop failed a job of this sync" in output
    failed = wait_for(lambda: [line for line in serve.job_lines("4") if ": failed: " in line], "job 4's end")
    assert poison in failed[0]


def test_sync_wait_with_no_job_to_follow_passes(
    tmp_path: Path, servers: tuple[DavServer, AlertServer]
) -> None:
    """An alert answer without `data.job_id` (real TikTok's) leaves nothing to wait for: the wait ends."""
    dav, alerts = servers
    catalog = write_catalog(tmp_path / "catalog.xml", {"SIMPLE-1": "One"})
    prices = write_pricebook(tmp_path / "prices.xml", {"SIMPLE-1": "10"})
    result = CliRunner().invoke(connector_main, [
        "sync", "--catalog", str(catalog), "--pricebook", str(prices), "--site-id", "S",
        "--instance", dav.url, "--user", DAV_USER, "--password", DAV_PASSWORD, "--tiktok-url", alerts.url,
        "--state-dir", str(tmp_path / "state"), "--wait"])
    assert result.exit_code == 0, result.output


def _finished(server: Serve, job_id: str) -> dict | None:
    job = json.loads(request("GET", f"{server.url}/api/jobs/{job_id}")[1])
    return job if job["state"] in ("completed", "failed") else None


def test_serve_options_reach_the_jobs(tmp_path: Path) -> None:
    """--max-line-bytes and --keep-uploads, given on the command line, are what the jobs apply."""
    server = Serve(tmp_path / "sim", "--max-line-bytes", "2048", "--keep-uploads", "1")
    try:
        code, output = _sync(tmp_path, server)
        assert code == 0, output
        long_row = row("LONG", "LONG", description="d" * 3000)
        name = "tiktok-feed-RefArch-20300101000000-en_US.txt"
        status, _ = request("PUT", f"{server.url}{MOUNT}/{PRODUCT_FOLDER}/{name}", feed([long_row]),
                            basic_auth("merchant", "access-key"))
        assert status in (201, 204)
        _, answer = request("POST", server.url + "/tbp/v2.0/feed/download/", json.dumps({
            "business_platform": "SALESFORCE", "external_business_id": "sfcc-sim-tenant",
            "params": {"url": f"{server.url}{MOUNT}/{PRODUCT_FOLDER}", "feed_type": "product",
                       "update_type": "update"}}).encode(), {"Content-Type": "application/json"})
        job_id = json.loads(answer)["data"]["job_id"]
        job = wait_for(lambda: _finished(server, job_id), f"job {job_id} to end")
        assert "FILE_ROW_TOO_LONG" in {issue["code"] for issue in job["issues"]}, job
        assert [folder.name for folder in (tmp_path / "sim" / "uploads").iterdir()] == [job_id]
    finally:
        server.stop()
