"""Time the product API on a big shop: `python3 bench/product_api.py [SKUS]` (default 1,000,000).

The shop's tables are filled straight from generated feed rows (5 variants a product, all published),
which takes a minute instead of the pipeline's many; then the unmodified PyPI client `tiktok-shop-api`
(a test dependency) calls Search Products and Get Product as an app would, and each call is timed.
This is a benchmark, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tiktok_shop_api import TikTokShop, TikTokShopAuth
from tiktok_shop_api.generated.models.search_products_request import SearchProductsRequest

from fixtures.sample import catalog_rows
from simulator.server import SimServer
from simulator.store import BATCH, Store
from simulator.tenant import DEFAULT_TENANT_ID

VARIANTS = 5
REPEAT = 5


def fill(data_dir: Path, skus: int) -> float:
    """Every row as a published SKU of the default tenant, products a second apart; the last one's time."""
    store = Store(data_dir)
    count = skus // VARIANTS
    now = time.time()
    products: list[tuple] = []
    rows: list[tuple] = []
    index, previous = 0, None
    with store.transaction() as conn:
        for line, values in enumerate(catalog_rows(count, VARIANTS), 2):
            group = values["item_group_id"]
            if group != previous:
                at = now - count + index
                index, previous = index + 1, group
                products.append((DEFAULT_TENANT_ID, group, values["title"], "ACTIVATE", "APPROVED", at, at))
            rows.append((DEFAULT_TENANT_ID, values["sku_id"], group, line, "bench.txt", json.dumps(values),
                         now))
            if len(rows) >= BATCH:
                _insert(conn, products, rows)
        _insert(conn, products, rows)
    store.close()
    return now


def _insert(conn: Any, products: list[tuple], rows: list[tuple]) -> None:
    conn.executemany(
        "INSERT INTO products (tenant, item_group_id, title, status, audit_status, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        products,
    )
    conn.executemany(
        "INSERT INTO skus (tenant, sku_id, item_group_id, line, file, row_values, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    products.clear()
    rows.clear()


def timed(what: str, call: Callable[[], Any]) -> Any:
    """The best of REPEAT calls, printed in milliseconds."""
    best, answer = float("inf"), None
    for _ in range(REPEAT):
        started = time.perf_counter()
        answer = call()
        best = min(best, time.perf_counter() - started)
    print(f"  {what:<58} {best * 1000:8.1f} ms")
    return answer


def main(skus: int = 1_000_000) -> None:
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        started = time.perf_counter()
        last = fill(data_dir, skus)
        print(f"filled {skus:,} SKUs in {skus // VARIANTS:,} products: {time.perf_counter() - started:.0f} s")
        with SimServer(data_dir) as server:
            request = urllib.request.Request(f"{server.base_url}/_sim/shops/{DEFAULT_TENANT_ID}/auth_code",
                                             method="POST")
            with urllib.request.urlopen(request) as answer:
                code = json.load(answer)["code"]
            auth = TikTokShopAuth(server.app_key, server.app_secret, base_url=server.base_url)
            client = TikTokShop(server.app_key, server.app_secret, base_url=server.base_url,
                                access_token=auth.exchange_code(code).access_token)
            (shop,) = client.authorization.get_authorized_shops().data.shops
            api = client.with_shop(shop_cipher=shop.cipher).products

            def search(page_size: int = 100, token: str | None = None, **body: Any) -> Any:
                extra = {"page_token": token} if token else {}
                return api.search_products(page_size=page_size, body=SearchProductsRequest.from_dict(body),
                                           **extra).data

            first = timed("search, no filter, first page of 100", search)
            token = first.next_page_token
            for _ in range(98):
                token = search(token=token).next_page_token
                assert token, "a shop this size has fewer than 10,000 products: give more SKUs"
            timed("search, no filter, 100th page (results 9,901-10,000)", lambda: search(token=token))
            timed("search, status ACTIVATE, first page of 100", lambda: search(status="ACTIVATE"))
            wanted = [f"{p.skus[0].seller_sku}" for p in first.products[:10]]
            timed("search, 10 seller_skus", lambda: search(seller_skus=wanted))
            timed("search, update_time_ge = the last 60 products",
                  lambda: search(update_time_ge=int(last) - 60))
            timed("search, create_time_le = the first 60 products",
                  lambda: search(create_time_le=int(last) - skus // VARIANTS + 60))
            product_id = first.products[0].id
            timed("get product (5 SKUs)", lambda: api.get_product(product_id))
            print(f"  total_count {first.total_count:,}; peak RSS of this process (server included) "
                  f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
