"""A client that drives a real SimServer over HTTP and WebDAV, and rows and feeds in the cartridge's format.

Shared by the simulator's tests and the BDD harness; it only speaks the simulator's public API.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fixtures.sample import feed_line
from simulator.feedfile import PRODUCT_COLUMNS as COLUMNS
from simulator.server import SimServer
from support.net import basic_auth, request
from support.partner import PartnerClient, for_server
from support.sfcc import INVENTORY_FOLDER, PRODUCT_FOLDER
from support.waiting import wait_for

FINISHED = ("completed", "failed")


def row(sku: str, group: str, **values: str) -> dict[str, str]:
    """A feed row that passes review unless `values` break a rule."""
    base = {
        "sku_id": sku,
        "title": f"Product {group}",
        "description": "A good product.",
        "image_urls": json.dumps(
            {"images": [f"https://img.example.com/large/{sku}.jpg"]}, separators=(",", ":")
        ),
        "landing_page_url": f"https://shop.example.com/{sku}.html",
        "product_category": "tops",
        "sale_regions": "US",
        "availability": "in stock",
        "price": "20 USD",
        "item_group_id": group,
        "variation_properties": json.dumps({"Size": sku}, separators=(",", ":")),
        "is_default_variant": "true",
        "brand": "Acme",
        "google_product_category": "Apparel & Accessories",
        "condition": "new",
    }
    return {**base, **values}


def feed(rows: list[dict[str, str]], quoted: bool = True) -> bytes:
    """A product feed as the cartridge writes it (opencsv quoting), or with bare fields."""
    lines = [feed_line(COLUMNS, quoted)] + [feed_line((r[c] for c in COLUMNS), quoted) for r in rows]
    return "".join(lines).encode()


class Client:
    """Drives a running SimServer the way a connector and a QA engineer would."""

    def __init__(self, server: SimServer, ca_file: Path | None = None) -> None:
        self.server = server
        self.ca_file = ca_file or server.ca_path  # over https, the CA that signed the server's certificate
        self._names = iter(range(1, 10**6))

    def api(self, method: str, path: str, payload: Any = None, raw: bytes | None = None) -> tuple[int, Any]:
        body = raw if raw is not None else (None if payload is None else json.dumps(payload).encode())
        headers = {"Content-Type": "application/json"}
        status, data = request(method, self.server.base_url + path, body, headers, self.ca_file)
        assert data, f"{method} {path} answered {status} with no body"
        return status, json.loads(data)

    def dav(
        self,
        method: str,
        relpath: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        auth: bool = True,
    ) -> tuple[int, bytes]:
        credentials = basic_auth(self.server.dav_user, self.server.dav_password) if auth else {}
        return request(method, f"{self.server.dav_url}/{relpath}", body, {**(headers or {}), **credentials},
                       self.ca_file)

    def drop(self, folder: str, name: str, data: bytes) -> None:
        """PUT a file, creating folders with MKCOL first; TEMP_ then MOVE as the cartridge does."""
        parts = folder.split("/")
        for depth in range(1, len(parts) + 1):
            self.dav("MKCOL", "/".join(parts[:depth]))
        status, _ = self.dav("PUT", f"{folder}/TEMP_{name}", data)
        assert status in (201, 204), status
        status, _ = self.dav(
            "MOVE",
            f"{folder}/TEMP_{name}",
            headers={"Destination": f"{self.server.dav_url}/{folder}/{name}", "Overwrite": "T"},
        )
        assert status in (201, 204), status

    def drop_feed(self, rows: list[dict[str, str]], quoted: bool = True) -> str:
        """Drop a product feed under a fresh cartridge-style name; returns the name."""
        name = f"tiktok-feed-RefArch-20261126{next(self._names):06d}-en_US.txt"
        self.drop(PRODUCT_FOLDER, name, feed(rows, quoted))
        return name

    def alert(
        self,
        feed_type: str = "product",
        update_type: str = "update",
        url: str | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        folder = INVENTORY_FOLDER if feed_type == "inventory" else PRODUCT_FOLDER
        body = {
            "business_platform": "SALESFORCE",
            "external_business_id": self.server.external_business_id,
            "params": {
                "url": url or f"{self.server.dav_url}/{folder}",
                "feed_type": feed_type,
                "update_type": update_type,
            },
            **overrides,
        }
        status, answer = self.api("POST", "/tbp/v2.0/feed/download/", body)
        assert status == 200, (status, answer)
        return answer

    def run(self, feed_type: str = "product", update_type: str = "update") -> dict[str, Any]:
        """Alert and wait until the job ends; returns the finished job."""
        answer = self.alert(feed_type, update_type)
        assert answer["code"] == 0, answer
        return self.wait_job(answer["data"]["job_id"])

    def jobs(self) -> list[dict[str, Any]]:
        return self.api("GET", "/api/jobs")[1]["jobs"]

    def wait_job(self, job_id: str) -> dict[str, Any]:
        def finished() -> dict[str, Any] | None:
            status, job = self.api("GET", f"/api/jobs/{job_id}")
            assert status == 200, job
            return job if job["state"] in FINISHED else None

        return wait_for(finished, f"job {job_id} to finish")

    @cached_property
    def partner(self) -> PartnerClient:
        """Signed Partner API calls as the server's default tenant, authorized on first use."""
        return for_server(self.server)

    def search(self, body: dict[str, Any] | None = None, page_size: int = 100, token: str = "",
               version: str = "202502") -> dict[str, Any]:
        """One page of TikTok's Search Products, signed, as the default tenant's shop."""
        query = {"page_size": str(page_size), **({"page_token": token} if token else {})}
        _, answer = self.partner.post(f"/product/{version}/products/search", body or {}, **query)
        assert answer["code"] == 0, answer
        return answer["data"]

    def tiktok_product(self, product_id: str) -> dict[str, Any]:
        """TikTok's Get Product answer (the whole envelope), signed, as the default tenant's shop."""
        return self.partner.get(f"/product/202309/products/{product_id}")[1]

    def products(self, status: str | None = None, **query: str) -> list[dict[str, Any]]:
        """Every tenant's products from the simulator's own API, with item_group_id, stock and warnings."""
        found, token = [], ""
        query = {**({"status": status} if status else {}), **query}
        while True:
            status_code, page = self.api("GET", "/_sim/products?" + urlencode({**query, "page_token": token}))
            assert status_code == 200, page
            found += page["products"]
            if not (token := page["next_page_token"]):
                return found

    def product_by_id(self, product_id: str) -> dict[str, Any]:
        """Everything the simulator knows of one product, histories included."""
        status, product = self.api("GET", f"/_sim/products/{product_id}")
        assert status == 200, product
        return product

    def product(self, group: str) -> dict[str, Any]:
        """The full product for an item_group_id."""
        (summary,) = self.products(item_group_id=group)
        return self.product_by_id(summary["id"])


@contextmanager
def running(data_dir: Path, **kwargs: Any) -> Iterator[Client]:
    """A SimServer on a free port for the duration of the block."""
    with SimServer(data_dir, **kwargs) as server:
        yield Client(server)
