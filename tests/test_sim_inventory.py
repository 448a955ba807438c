"""Inventory alerts on a real server: pickup, upload, verify, integrate, and what never changes stock."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.sfcc import INVENTORY_FOLDER, inventory_xml
from support.simulator_client import Client, row, running

LIST = "inventory_m"
SKUS = ["A1", "A2", "B1"]
_names = itertools.count(1)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    """A shop with products A (A1, A2) and B (B1), published."""
    with running(tmp_path / "sim") as sim:
        sim.drop_feed(
            [
                row("A1", "A", variation_properties='{"Size":"1"}'),
                row("A2", "A", variation_properties='{"Size":"2"}', is_default_variant="false"),
                row("B1", "B", availability="out of stock"),
            ]
        )
        assert sim.run()["state"] == "completed"
        yield sim


def stock(client: Client) -> dict[str, dict[str, int]]:
    """Each SKU's quantity per warehouse, as the product API shows it."""
    return {
        sku["seller_sku"]: {inv["warehouse_id"]: inv["quantity"] for inv in sku["inventory"]}
        for product in client.products()
        for sku in product["skus"]
    }


def sync(client: Client, data: bytes) -> dict:
    name = f"inventory-RefArch-20261126{next(_names):09d}.xml"
    client.drop(INVENTORY_FOLDER, name, data)
    job = client.run("inventory", "create")
    assert job["files"] == [name], job
    return job


def test_inventory_is_verified_and_integrated(client: Client) -> None:
    assert client.product("B")["stock_status"] == "OUT_OF_STOCK"  # from the feed's availability until stock
    job = sync(
        client,
        inventory_xml(
            [
                ("A1", "<allocation>5</allocation><ats>7</ats>"),
                ("A2", "<allocation>5</allocation>"),
                ("B1", "<allocation>0</allocation><perpetual>true</perpetual>"),
            ]
        ),
    )
    assert job["state"] == "completed", job
    assert [s["name"] for s in job["steps"]] == ["pickup", "upload", "verify", "integrate"]
    report = job["report"]
    assert {
        k: report[k] for k in ("read", "applied", "unknown", "duplicate", "capped", "missing", "errors")
    } == {"read": 3, "applied": 3, "unknown": 0, "duplicate": 0, "capped": 0, "missing": 0, "errors": 0}
    assert stock(client) == {"A1": {LIST: 7}, "A2": {LIST: 5}, "B1": {LIST: 99999}}
    b = client.product("B")
    assert b["stock_status"] == "IN_STOCK" and b["skus"][0]["stock_status"] == "IN_STOCK"


def test_record_level_findings_are_reported_and_skipped(client: Client) -> None:
    sync(client, inventory_xml([(sku, "<allocation>10</allocation>") for sku in SKUS]))
    job = sync(
        client,
        inventory_xml(
            [
                ("A1", "<allocation>250000</allocation>"),
                ("A1", "<allocation>3</allocation>"),
                ("A2", "<allocation>0</allocation><ats>-3</ats>"),
                ("GHOST", "<allocation>4</allocation>"),
            ]
        ),
    )
    assert job["state"] == "completed", job
    report = job["report"]
    assert (
        report["read"],
        report["applied"],
        report["capped"],
        report["duplicate"],
        report["errors"],
        report["unknown"],
        report["missing"],
    ) == (4, 1, 1, 1, 1, 1, 1), report
    assert report["examples"]["unknown"] == ["GHOST"] and report["examples"]["missing"] == ["B1"]
    assert stock(client) == {"A1": {LIST: 99999}, "A2": {LIST: 10}, "B1": {LIST: 10}}
    codes = {issue["code"] for issue in job["issues"]}
    assert {"INVENTORY_UNKNOWN_SKU", "INVENTORY_MISSING_SKU", "INVENTORY_QUANTITY_CAPPED"} <= codes


def test_lists_are_warehouses(client: Client) -> None:
    data = inventory_xml([("A1", "<allocation>2</allocation>")], "store-1")
    data = data.replace(
        b"</inventory>",
        inventory_xml([("A1", "<allocation>0</allocation>")], "store-2")
        .split(b"<inventory xmlns", 1)[1]
        .split(b">", 1)[1],
    )
    job = sync(client, data)
    assert job["state"] == "completed", job
    assert stock(client)["A1"] == {"store-1": 2, "store-2": 0}
    sync(
        client,
        inventory_xml(
            [
                (
                    "A1",
                    "<allocation>0</allocation><preorder-backorder-handling>preorder"
                    "</preorder-backorder-handling><preorder-backorder-allocation>6"
                    "</preorder-backorder-allocation><in-stock-date>2026-12-24</in-stock-date>",
                )
            ],
            "store-2",
        ),
    )
    (a1,) = [sku for sku in client.product("A")["skus"] if sku["seller_sku"] == "A1"]
    assert a1["inventory"][1] == {
        "warehouse_id": "store-2",
        "quantity": 0,
        "preorder_backorder_handling": "preorder",
        "preorder_backorder_allocation": 6,
        "in_stock_date": "2026-12-24",
    }
    assert client.product("A")["skus"][0]["stock_status"] == "IN_STOCK"


@pytest.mark.parametrize(
    "broken",
    [
        b"not xml at all",
        inventory_xml([(sku, "<allocation>1</allocation>") for sku in SKUS])[:-40],
        inventory_xml([("A1", "<allocation>1</allocation>")]).replace(b"2007-05-31", b"2099-01-01"),
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><inventory>&e;</inventory>',
    ],
    ids=["not-xml", "truncated", "wrong-namespace", "external-entity"],
)
def test_a_broken_file_changes_no_stock(client: Client, broken: bytes) -> None:
    sync(client, inventory_xml([(sku, "<allocation>10</allocation>") for sku in SKUS]))
    before = stock(client)
    job = sync(client, broken)
    assert job["state"] == "failed" and job["files"][0] in job["error"], job
    assert stock(client) == before
    again = client.run("inventory", "create")  # recorded as failed: it no longer wedges the flow
    assert again["state"] == "completed" and again["files"] == [], again
    fixed = inventory_xml([(sku, "<allocation>7</allocation>") for sku in SKUS])
    client.drop(INVENTORY_FOLDER, job["files"][0], fixed)  # the same name, changed: tried again
    assert client.run("inventory", "create")["state"] == "completed"
    assert {sku: lists[LIST] for sku, lists in stock(client).items()} == dict.fromkeys(SKUS, 7)


def test_realert_applies_nothing_twice(client: Client) -> None:
    sync(client, inventory_xml([(sku, "<allocation>10</allocation>") for sku in SKUS]))
    again = client.run("inventory", "create")
    assert again["state"] == "completed" and again["files"] == [] and again["report"]["applied"] == 0


def test_a_deleted_sku_loses_its_stock(client: Client) -> None:
    sync(client, inventory_xml([(sku, "<allocation>10</allocation>") for sku in SKUS]))
    client.drop("src/feeds/export/social/tiktok/product", "delete-feed-RefArch-20261126120000.txt", b"B1\n")
    assert client.run("product", "delete")["counts"]["deleted"] == 1
    client.drop_feed([row("B1", "B")])
    client.run()
    assert stock(client)["B1"] == {}
    job = sync(client, inventory_xml([(sku, "<allocation>1</allocation>") for sku in ["A1", "A2", "B1"]]))
    assert job["report"]["unknown"] == 0 and stock(client)["B1"] == {LIST: 1}
