"""The product API answers a page in well under a second however large the shop's stock table is.

A first page of `/_sim/products` once scanned the tenant's whole stock table for each product shown
(0.1 s per product at 100,000 SKUs, so a page of 10 took a second, and three under load during a review).
The shop here is written straight into SQLite: 200,000 stocked SKUs would take minutes through feeds.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.simulator_client import Client, row, running

from simulator.store import Store
from simulator.tenant import DEFAULT_TENANT_ID

PRODUCTS = 50_000
SKUS_PER_PRODUCT = 4
WAREHOUSES = ("W1",)
# The bound for an API answer during a review; a page here used to take 2 s on a quiet machine.
ANSWER_S = 1.0


def _seed(data_dir: Path) -> None:
    store = Store(data_dir)
    now = time.time()
    groups = [f"G{p:06d}" for p in range(PRODUCTS)]
    skus = [(g, f"{g}-{v}") for g in groups for v in range(SKUS_PER_PRODUCT)]
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO products (tenant, item_group_id, title, status, audit_status, created_at,"
            " updated_at) VALUES (?, ?, 'Product', 'ACTIVATE', 'APPROVED', ?, ?)",
            [(DEFAULT_TENANT_ID, g, now, now) for g in groups],
        )
        conn.executemany(
            "INSERT INTO skus (tenant, sku_id, item_group_id, line, file, row_values, updated_at)"
            " VALUES (?, ?, ?, 1, 'feed.txt', ?, ?)",
            [(DEFAULT_TENANT_ID, sku, g, json.dumps(row(sku, g)), now) for g, sku in skus],
        )
        conn.executemany(
            "INSERT INTO stock (tenant, sku_id, warehouse_id, list_id, quantity, updated_at)"
            " VALUES (?, ?, ?, 'inventory', 5, ?)",
            [(DEFAULT_TENANT_ID, sku, w, now) for _, sku in skus for w in WAREHOUSES],
        )
    store.close()


@pytest.fixture(scope="module")
def big_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    data_dir = tmp_path_factory.mktemp("sim")
    _seed(data_dir)
    with running(data_dir) as client:
        yield client


def test_a_page_of_products_with_their_stock_answers_within_a_second(big_shop: Client) -> None:
    big_shop.api("GET", "/_sim/products?page_size=1")  # the thread's connection and caches, once
    start = time.perf_counter()
    status, page = big_shop.api("GET", "/_sim/products?page_size=10")
    elapsed = time.perf_counter() - start
    assert status == 200
    assert page["total_count"] == PRODUCTS
    assert [p["item_group_id"] for p in page["products"]] == [f"G{p:06d}" for p in range(10)]
    first = page["products"][0]["skus"]
    assert [s["inventory"] for s in first] == [[{"warehouse_id": "W1", "quantity": 5}]] * SKUS_PER_PRODUCT
    assert elapsed < ANSWER_S, f"a page of 10 products took {elapsed:.2f}s"
