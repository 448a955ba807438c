"""The BDD harness: a real simulator on a free port, and the real connector CLI.

Step functions stay thin: they call the simulator over HTTP and WebDAV and run `sfcc-connector`
as a user would. Nothing here reaches into either side's internals.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from click.testing import CliRunner
from fixture_facts import FEED_HEADER
from lxml import etree
from pytest_bdd import given, parsers, then, when

from connector.cli import main as connector_main
from simulator.server import SimServer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SITE = FIXTURES / "sfcc"
PRODUCT_FOLDER = "src/feeds/export/social/tiktok/product"
INVENTORY_FOLDER = "src/feeds/export/social/tiktok/inventory"
DEADLINE_S = 30.0


def wait_for(condition: Callable[[], Any], what: str, timeout: float = DEADLINE_S) -> Any:
    """Poll `condition` until it returns something truthy, or fail naming what we waited for."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.02)


@dataclass
class Sim:
    """A running simulator, driven the way a connector or a QA engineer drives it."""

    server: SimServer
    tenant_id: str = "sfcc-sim-tenant"

    def _request(self, method: str, url: str, body: bytes | None = None,
                 headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def api(self, method: str, path: str, payload: Any = None) -> dict[str, Any]:
        body = None if payload is None else json.dumps(payload).encode()
        status, data = self._request(method, self.server.base_url + path, body,
                                     {"Content-Type": "application/json"})
        assert data, f"{method} {path} answered {status} with no body"
        return json.loads(data)

    def dav(self, method: str, relpath: str, body: bytes | None = None,
            headers: dict[str, str] | None = None, auth: bool = True) -> tuple[int, bytes]:
        all_headers = dict(headers or {})
        if auth:
            token = f"{self.server.dav_user}:{self.server.dav_password}".encode()
            all_headers["Authorization"] = "Basic " + base64.b64encode(token).decode()
        return self._request(method, f"{self.server.dav_url}/{relpath}", body, all_headers)

    def listing(self, folder: str) -> list[str]:
        """Names in a WebDAV folder (PROPFIND Depth 1), as any WebDAV client sees them."""
        status, body = self.dav("PROPFIND", folder + "/", headers={"Depth": "1"})
        if status == 404:
            return []
        assert status == 207, f"PROPFIND {folder} answered {status}"
        tree = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
        hrefs = [unquote(h.text.rstrip("/")) for h in tree.iter("{DAV:}href")]
        return sorted(h.rsplit("/", 1)[-1] for h in hrefs if not h.endswith(folder.rstrip("/")))

    def drop_file(self, folder: str, name: str, data: bytes) -> None:
        """PUT a file into a WebDAV folder, creating the folders first."""
        parts = folder.split("/")
        for depth in range(1, len(parts) + 1):
            self.dav("MKCOL", "/".join(parts[:depth]))
        status, _ = self.dav("PUT", f"{folder}/{name}", data)
        assert status in (200, 201, 204), f"PUT {name} answered {status}"

    def drop_product_feed(self, name: str, data: bytes) -> None:
        self.drop_file(PRODUCT_FOLDER, name, data)

    def alert(self, feed_type: str, update_type: str, folder: str | None = None,
              url: str | None = None) -> dict[str, Any]:
        folder = folder or (INVENTORY_FOLDER if feed_type == "inventory" else PRODUCT_FOLDER)
        body = {
            "business_platform": "SALESFORCE",
            "external_business_id": self.tenant_id,
            "params": {"url": url or f"{self.server.dav_url}/{folder}", "feed_type": feed_type,
                       "update_type": update_type},
        }
        return self.api("POST", "/tbp/v2.0/feed/download/", body)

    def jobs(self) -> list[dict[str, Any]]:
        return self.api("GET", "/api/jobs")["jobs"]

    def job(self, job_id: str) -> dict[str, Any]:
        return next(job for job in self.jobs() if str(job["id"]) == str(job_id))

    def wait_job(self, job_id: str) -> dict[str, Any]:
        return wait_for(lambda: (job := self.job(job_id))["state"] in ("completed", "failed") and job,
                        f"job {job_id} to finish")

    def wait_all_jobs(self) -> list[dict[str, Any]]:
        """Every job the shop has recorded, once none is still queued or running."""
        finished: list[list[dict[str, Any]]] = []

        def all_done() -> bool:
            jobs = self.jobs()
            finished[:] = [jobs]
            return all(j["state"] in ("completed", "failed") for j in jobs)

        wait_for(all_done, "every job to finish")
        return finished[0]

    def products(self, status: str | None = None) -> list[dict[str, Any]]:
        found, token = [], ""
        while True:
            answer = self.api("POST", f"/product/202312/products/search?page_size=100&page_token={token}",
                              {"status": status} if status else {})
            assert answer["code"] == 0, answer
            found += answer["data"]["products"]
            token = answer["data"].get("next_page_token") or ""
            if not token:
                return found

    def product(self, product_id: str) -> dict[str, Any]:
        return self.api("GET", f"/product/202309/products/{product_id}")

    def product_by_group(self, item_group_id: str) -> dict[str, Any]:
        matches = [p for p in self.products() if p.get("item_group_id") == item_group_id]
        assert matches, f"no product for item_group_id {item_group_id}"
        return self.product(matches[0]["id"])["data"]

    def product_by_sku(self, sku_id: str) -> dict[str, Any]:
        for product in self.products():
            if any(sku["seller_sku"] == sku_id for sku in product["skus"]):
                return self.product(product["id"])["data"]
        raise AssertionError(f"no product has seller_sku {sku_id}")


def read_feed(sim: Sim, name: str) -> list[dict[str, str]]:
    """GET a dropped feed over WebDAV and parse it as the cartridge writes it."""
    status, body = sim.dav("GET", f"{PRODUCT_FOLDER}/{name}")
    assert status == 200, f"GET {name} answered {status}"
    rows = list(csv.reader(io.StringIO(body.decode("utf-8")), delimiter="|", quotechar='"'))
    assert tuple(rows[0]) == FEED_HEADER, rows[0]
    assert all(len(row) == 15 for row in rows), "a row does not have 15 fields"
    return [dict(zip(FEED_HEADER, row, strict=True)) for row in rows[1:]]


@dataclass
class Connector:
    """Runs `sfcc-connector` in-process with the bundled fixtures, as a user would from a shell."""

    sim: Sim
    state_dir: Path
    catalogs: list[Path] = field(default_factory=lambda: [SITE / "catalog-master.xml",
                                                          SITE / "catalog-storefront.xml"])
    pricebooks: list[Path] = field(default_factory=lambda: [SITE / "pricebook-list.xml",
                                                            SITE / "pricebook-sale.xml"])
    inventories: list[Path] = field(default_factory=lambda: [SITE / "inventory.xml"])
    tiktok_url: str | None = None  # None: the simulator's own
    output: str = ""

    def inputs(self) -> list[str]:
        args: list[str] = []
        for flag, paths in (("--catalog", self.catalogs), ("--pricebook", self.pricebooks),
                            ("--inventory", self.inventories)):
            for path in paths:
                args += [flag, str(path)]
        return args

    def settings(self) -> list[str]:
        server = self.sim.server
        return ["--site-id", "RefArch", "--locale", "en_US", "--instance", server.base_url,
                "--user", server.dav_user, "--password", server.dav_password,
                "--tiktok-url", self.tiktok_url or server.base_url, "--state-dir", str(self.state_dir)]

    def run(self, *args: str, expect_ok: bool = True) -> int:
        result = CliRunner().invoke(connector_main, list(args), catch_exceptions=False)
        self.output = result.output
        if expect_ok:
            assert result.exit_code == 0, f"sfcc-connector {' '.join(args)} failed:\n{result.output}"
        return result.exit_code

    def sync(self, *mode: str, expect_ok: bool = True) -> int:
        return self.run("sync", *mode, *self.inputs(), *self.settings(), expect_ok=expect_ok)


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[Sim]:
    server = SimServer(tmp_path / "sim")
    server.start()
    try:
        yield Sim(server)
    finally:
        server.stop()


@pytest.fixture
def connector(sim: Sim, tmp_path: Path) -> Connector:
    return Connector(sim, tmp_path / "connector-state")


# --- Steps shared by every flow -------------------------------------------------------------------

@dataclass
class World:
    """What a scenario remembers between steps: the shop as it was, and the jobs seen so far."""

    statuses_before: dict[str, str] = field(default_factory=dict)
    jobs_before: int = 0
    files_before: set[str] = field(default_factory=set)
    touched_groups: set[str] = field(default_factory=set)
    values: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def world() -> World:
    return World()


def remember_shop(sim: Sim, world: World) -> None:
    """Note every product's status and the job count, to tell later what a step changed."""
    sim.wait_all_jobs()
    world.statuses_before = {p["item_group_id"]: p["status"] for p in sim.products()}
    world.jobs_before = len(sim.jobs())
    world.files_before = set(sim.listing(PRODUCT_FOLDER)) | set(sim.listing(INVENTORY_FOLDER))


def new_jobs(sim: Sim, world: World) -> list[dict[str, Any]]:
    """Jobs recorded since the shop was last remembered, oldest first, once they have finished."""
    sim.wait_all_jobs()
    return sorted(sim.jobs(), key=lambda job: int(job["id"]))[world.jobs_before:]


@given("a TikTok Shop simulator with its embedded SFCC WebDAV location")
def _simulator(sim: Sim) -> None:
    assert sim.api("GET", "/_sim/health")


@given(parsers.parse('the SFCC site "{site}" exported as the bundled fixtures'))
def _site(site: str, connector: Connector) -> None:
    assert all(path.is_file() for path in connector.catalogs + connector.pricebooks + connector.inventories)


@given("the connector has run a full sync")
def _full_sync_done(sim: Sim, connector: Connector, world: World) -> None:
    connector.sync("--full")
    remember_shop(sim, world)


@when("the connector runs a full sync")
def _full_sync(sim: Sim, connector: Connector, world: World) -> None:
    remember_shop(sim, world)
    connector.sync("--full")
    sim.wait_all_jobs()


@given("the connector runs a delta sync")
@when("the connector runs a delta sync")
def _delta_sync(sim: Sim, connector: Connector, world: World) -> None:
    remember_shop(sim, world)
    connector.sync("--delta")
    sim.wait_all_jobs()


@when("TikTok Shop is alerted again for the product folder")
def _alert_again(sim: Sim, world: World) -> None:
    remember_shop(sim, world)
    answer = sim.alert("product", "update")
    assert answer["code"] == 0, answer


@then("the new job completes without picking up any file")
def _nothing_new(sim: Sim, world: World) -> None:
    (job,) = new_jobs(sim, world)
    assert job["state"] == "completed", job
    assert job["files"] == [], job["files"]


@then("TikTok Shop was alerted with a delete alert and then an update alert for the product folder")
def _alerted_product(sim: Sim, world: World) -> None:
    product_jobs = [j for j in new_jobs(sim, world) if j["feed_type"] == "product"]
    assert [j["update_type"] for j in product_jobs] == ["delete", "update"], product_jobs
    assert all(j["url"].endswith("/Impex/" + PRODUCT_FOLDER) for j in product_jobs)


@then("no product changes status")
@then("no other product changed status")
def _no_other_change(sim: Sim, world: World) -> None:
    sim.wait_all_jobs()
    now = {p["item_group_id"]: p["status"] for p in sim.products()}
    changed = {g: (world.statuses_before.get(g), s) for g, s in now.items()
               if world.statuses_before.get(g) != s and g not in world.touched_groups}
    assert not changed, f"unexpected status changes: {changed}"
