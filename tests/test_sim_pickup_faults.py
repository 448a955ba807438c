"""Pickup from a WebDAV host that lies (issue 11, cases 2 and 3): a short download is tried again and never
applied in part; a file still being written or locked is not taken; a cut delete line deletes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cartridge import AUTH_CALLBACK, call, callback_body, external_data
from support.lying_dav import LyingDav
from support.sfcc import PRODUCT_FOLDER
from support.simulator_client import Client, feed, row, running
from support.waiting import wait_for

from simulator.job import Limits

FEED = "tiktok-feed-RefArch-20261127101500-en_US.txt"
DELETE = "delete-feed-RefArch-20261127101600.txt"
# small waits keep the tests quick; the behaviour is the same at the defaults
LIMITS = Limits(settle_s=0.1, retries=2, backoff_s=0.01)


@pytest.fixture
def dav() -> Iterator[LyingDav]:
    host = LyingDav(PRODUCT_FOLDER).serve()
    yield host
    host.stop()


@pytest.fixture
def sim(tmp_path: Path, dav: LyingDav) -> Iterator[Client]:
    """The simulator, with its default tenant onboarded onto the lying host."""
    with running(tmp_path / "sim", limits=LIMITS) as client:
        onboard(client, dav)
        yield client


def onboard(client: Client, dav: LyingDav) -> None:
    """Move the simulator's default tenant onto the lying host, as the cartridge's auth callback does."""
    signed = external_data(client.server.external_business_id, client.server.external_data_key)
    body = callback_body(client.server.external_business_id, dav.url, "merchant", "key")
    status, answer = call(client.server.base_url, "POST", AUTH_CALLBACK, signed, body)
    assert (status, answer["code"]) == (200, 0), answer


def run(sim: Client, dav: LyingDav, update_type: str = "update") -> dict:
    answer = sim.alert("product", update_type, url=dav.folder_url)
    assert answer["code"] == 0, answer
    return sim.wait_job(answer["data"]["job_id"])


def skus(sim: Client) -> set[str]:
    return {sku["seller_sku"] for p in sim.products() if p["status"] != "DELETED" for sku in p["skus"]}


HUNDRED = [row(f"S{n:03d}", f"G{n:03d}") for n in range(100)]


def test_a_download_cut_short_is_tried_again_and_applied_whole(sim: Client, dav: LyingDav) -> None:
    dav.put(FEED, feed(HUNDRED))
    dav.short_gets = 1  # the first GET declares 100 SKUs' worth and sends half
    job = run(sim, dav)
    assert job["state"] == "completed", job
    assert dav.requests["GET"] == 2 and job["counts"]["download_retries"] == 1
    assert len(skus(sim)) == 100


def test_a_download_short_every_time_fails_applies_nothing_and_stays_new(sim: Client, dav: LyingDav) -> None:
    """Case 2: 100 SKUs declared, half sent. Not 49 SKUs applied and the file marked processed."""
    dav.put(FEED, feed(HUNDRED))
    dav.short_gets = LIMITS.retries + 1
    job = run(sim, dav)
    assert job["state"] == "failed" and "incomplete after 3 tries" in job["error"], job
    assert FEED in job["error"] and "the next alert fetches it again" in job["error"]
    assert dav.requests["GET"] == 3 and skus(sim) == set()
    again = run(sim, dav)  # the network is fine again: the re-alert fetches the file
    assert again["state"] == "completed" and again["files"] == [FEED], again
    assert len(skus(sim)) == 100


def test_a_file_still_growing_is_taken_only_once_it_settled(sim: Client, dav: LyingDav) -> None:
    """Case 3: a delete feed written in place while the alert is processed. Its cut last line `PX-16` (of
    `PX-16372`) must not delete SKU PX-16, which the feed never listed."""
    dav.put(FEED, feed([row("PX-16", "PX-16"), row("PX-16372", "PX-16372"), row("PX-1", "PX-1")]))
    assert run(sim, dav)["state"] == "completed"
    dav.put(DELETE, b"PX-1\nPX-16")
    dav.grow_after_listing = [(DELETE, b"372\n")]  # the writer goes on while pickup waits
    listed_before = dav.requests["PROPFIND"]
    job = run(sim, dav, "delete")
    assert job["state"] == "completed" and job["counts"]["deleted"] == 2, job
    assert dav.requests["PROPFIND"] - listed_before == 3  # listed, grown, then held still: taken
    assert skus(sim) == {"PX-16"}


def test_a_cut_last_line_is_never_applied(sim: Client, dav: LyingDav) -> None:
    """Even when the writer stalls longer than the settle interval, `PX-16` without its LF deletes nothing."""
    dav.put(FEED, feed([row("PX-16", "PX-16"), row("PX-16372", "PX-16372"), row("PX-1", "PX-1")]))
    assert run(sim, dav)["state"] == "completed"
    dav.put(DELETE, b"PX-1\nPX-16")
    job = run(sim, dav, "delete")
    assert job["state"] == "completed", job
    (cut,) = [issue for issue in job["issues"] if issue["code"] == "DELETE_ID_UNTERMINATED"]
    assert cut["examples"][0]["line"] == 2 and cut["examples"][0]["value"] == "PX-16"
    assert skus(sim) == {"PX-16", "PX-16372"}


def test_a_locked_file_waits_until_its_lock_is_gone(sim: Client, dav: LyingDav) -> None:
    dav.put(FEED, feed([row("L1", "L1")]), locked=True)
    answer = sim.alert("product", "update", url=dav.folder_url)
    wait_for(lambda: dav.requests["PROPFIND"] >= 4, "pickup to look again while the file is locked")
    assert dav.requests["GET"] == 0 and skus(sim) == set()
    dav.unlock(FEED)
    job = sim.wait_job(answer["data"]["job_id"])
    assert job["state"] == "completed" and job["files"] == [FEED], job
    assert skus(sim) == {"L1"}


def test_a_file_over_the_download_limit_is_recorded_failed_and_not_fetched_again(
    tmp_path: Path, dav: LyingDav
) -> None:
    with running(tmp_path / "small", limits=Limits(settle_s=0.05, max_download=2000)) as client:
        onboard(client, dav)
        dav.put(FEED, feed(HUNDRED))
        job = run(client, dav)
        assert job["state"] == "failed", job
        assert "larger than the maximum download size of 2000" in job["error"]
        assert dav.requests["GET"] == 0  # the listed size said so: nothing fetched
        assert run(client, dav)["files"] == []


def test_a_listing_that_is_not_xml_fails_the_job_saying_so(sim: Client, dav: LyingDav) -> None:
    dav.put(FEED, feed(HUNDRED))
    dav.broken_listing = True
    job = run(sim, dav)
    assert job["state"] == "failed" and "answered unreadable XML" in job["error"], job
    assert dav.requests["GET"] == 0 and skus(sim) == set()
