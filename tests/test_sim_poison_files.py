"""Poison files (issue 11, case 1): a file that cannot be read as a whole fails its job, naming the file
and the line, is recorded as processed-with-failure, and no longer wedges its flow; a bad row sinks only
itself."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.sfcc import INVENTORY_FOLDER, PRODUCT_FOLDER, inventory_xml
from support.simulator_client import Client, feed, row, running

from simulator.job import Limits

POISON = "tiktok-feed-RefArch-20261127090000-en_US.txt"
GOOD = feed([row("OK", "OK")])
POISONS = {
    "binary": b"\x00\x01\x02\x89PNG\x00\x00",
    "utf-16": GOOD.decode().encode("utf-16"),
    "utf-16-without-bom": GOOD.decode().encode("utf-16-le"),
    "not-a-feed": b"just|some|text\n",
}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    with running(tmp_path / "sim") as sim:
        yield sim


@pytest.mark.parametrize("poison", POISONS.values(), ids=POISONS.keys())
def test_a_poison_feed_fails_once_and_the_good_feeds_after_it_publish(client: Client, poison: bytes) -> None:
    client.drop(PRODUCT_FOLDER, POISON, poison)
    job = client.run()
    assert job["state"] == "failed" and f"{POISON}:1: " in job["error"], job
    assert "tried again only once the file changes" in job["error"]
    assert job["report"]["rejected_files"][0]["file"] == POISON and client.products() == []
    for n in range(3):
        name = client.drop_feed([row(f"G{n}", f"G{n}")])
        job = client.run()
        assert job["state"] == "completed" and job["files"] == [name], job
    assert {p["item_group_id"]: p["status"] for p in client.products()} == dict.fromkeys(
        ("G0", "G1", "G2"), "ACTIVATE")
    client.drop(PRODUCT_FOLDER, POISON, feed([row("FIXED", "FIXED")]))  # changed: tried again
    job = client.run()
    assert job["state"] == "completed" and job["files"] == [POISON], job
    assert client.product("FIXED")["status"] == "ACTIVATE"


def test_a_poison_feed_among_good_ones_in_one_job_applies_the_good_ones(client: Client) -> None:
    first = client.drop_feed([row("A", "A")])
    client.drop(PRODUCT_FOLDER, POISON, POISONS["binary"])
    last = client.drop_feed([row("B", "B")])
    job = client.run()
    assert job["state"] == "failed" and POISON in job["error"], job
    assert set(job["files"]) == {first, POISON, last}
    assert {p["item_group_id"] for p in client.products()} == {"A", "B"}


def test_one_unreadable_row_among_ten_thousand_sinks_only_itself(client: Client) -> None:
    data = bytearray(feed([row(f"S{n:05d}", f"G{n:05d}") for n in range(10_000)]))
    at = data.index(b"S05000")
    data[at:at + 1] = b"\xff"  # one byte that is not UTF-8, on the row of SKU S05000 (line 5002)
    data[data.index(b"S07000"):data.index(b"S07000") + 1] = b"\x00"  # and a NUL on line 7002
    client.drop(PRODUCT_FOLDER, POISON, bytes(data))
    job = client.run()
    assert job["state"] == "completed", job
    found = {issue["code"]: issue["examples"][0] for issue in job["issues"]}
    assert (found["FILE_ROW_NOT_UTF8"]["line"], found["FILE_ROW_BINARY"]["line"]) == (5002, 7002)
    assert found["FILE_ROW_NOT_UTF8"]["file"] == POISON
    assert job["counts"]["records"] == 9_998 and job["counts"]["published"] == 9_998


def test_a_line_over_the_limit_is_a_row_error(tmp_path: Path) -> None:
    with running(tmp_path / "sim", limits=Limits(max_line=2048)) as client:
        rows = [row("A", "A"), row("LONG", "LONG", description="d" * 3000), row("B", "B")]
        client.drop(PRODUCT_FOLDER, POISON, feed(rows))
        job = client.run()
        assert job["state"] == "completed", job
        (long_row,) = [issue for issue in job["issues"] if issue["code"] == "FILE_ROW_TOO_LONG"]
        assert long_row["examples"][0]["line"] == 3 and "2048 bytes" in long_row["examples"][0]["value"]
        assert {p["item_group_id"] for p in client.products()} == {"A", "B"}


def test_a_malformed_inventory_file_fails_once_and_the_next_one_applies(client: Client) -> None:
    client.drop_feed([row("A1", "A")])
    client.run()
    broken = "inventory-RefArch-20261127090000.xml"
    client.drop(INVENTORY_FOLDER, broken, inventory_xml([("A1", "<allocation>3</allocation>")])[:-30])
    job = client.run("inventory", "create")
    assert job["state"] == "failed" and f"{broken}:" in job["error"] and "truncated" in job["error"], job
    client.drop(INVENTORY_FOLDER, "inventory-RefArch-20261127090100.xml",
                inventory_xml([("A1", "<allocation>5</allocation>")]))
    job = client.run("inventory", "create")
    assert job["state"] == "completed" and job["report"]["applied"] == 1, job
    (sku,) = client.product("A")["skus"]
    assert sku["inventory"][0]["quantity"] == 5


def test_a_data_folder_from_before_failure_marks_takes_them(tmp_path: Path) -> None:
    """A shop.sqlite3 whose processed_files has no failure column gains it at start, keeping its rows."""
    data = tmp_path / "old"
    data.mkdir()
    old = sqlite3.connect(data / "shop.sqlite3")
    old.execute("CREATE TABLE processed_files (tenant TEXT NOT NULL, href TEXT NOT NULL, size INTEGER,"
                " etag TEXT, job_id INTEGER NOT NULL, processed_at REAL NOT NULL)")
    old.execute("INSERT INTO processed_files VALUES ('sfcc-sim-tenant', '/x', 1, NULL, 1, 0)")
    old.commit()
    old.close()
    with running(data) as client:
        client.drop(PRODUCT_FOLDER, POISON, POISONS["binary"])
        assert client.run()["state"] == "failed"
        rows = client.server.store.connection().execute(
            "SELECT href, failure FROM processed_files ORDER BY rowid").fetchall()
        assert rows[0][0] == "/x" and rows[0][1] is None
        assert rows[1][0].endswith(POISON) and rows[1][1].startswith(f"{POISON}:1: ")
