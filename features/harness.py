"""The BDD harness: the simulator driven over HTTP and WebDAV, the real `sfcc-connector`, and the merchant's
edits to the SFCC exports.

Step functions stay thin: they call these helpers, which only do what a connector, a merchant or a QA
engineer can do; nothing here reaches into either side's internals.
"""

from __future__ import annotations

import copy
import csv
import io
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from click.testing import CliRunner
from fixture_facts import FEED_HEADER, SITE
from lxml import etree
from support.sfcc import CATALOG_NS, INVENTORY_FOLDER, PRICEBOOK_NS, PRODUCT_FOLDER
from support.simulator_client import FINISHED, Client
from support.waiting import wait_for

from connector.cli import main as connector_main

SAFE = etree.XMLParser(resolve_entities=False, no_network=True)


class Sim(Client):
    """A running simulator, with the questions the scenarios ask of the shop as a whole."""

    def listing(self, folder: str) -> list[str]:
        """Names in a WebDAV folder (PROPFIND Depth 1), as any WebDAV client sees them."""
        status, body = self.dav("PROPFIND", folder + "/", headers={"Depth": "1"})
        if status == 404:
            return []
        assert status == 207, f"PROPFIND {folder} answered {status}"
        hrefs = [unquote(h.text.rstrip("/")) for h in etree.fromstring(body, SAFE).iter("{DAV:}href")]
        return sorted(h.rsplit("/", 1)[-1] for h in hrefs if not h.endswith(folder.rstrip("/")))

    def reset(self) -> None:
        """Empty the shop, its jobs, faults and WebDAV tree, once the jobs a previous scenario left finish."""
        wait_for(lambda: self.api("POST", "/_sim/reset")[0] == 200, "a reset no running job refuses")

    def wait_all_jobs(self) -> list[dict[str, Any]]:
        """Every job the shop has recorded, once none is still queued or running."""
        jobs: list[dict[str, Any]] = []

        def all_finished() -> bool:
            jobs[:] = self.jobs()
            return all(job["state"] in FINISHED for job in jobs)

        wait_for(all_finished, "every job to finish")
        return jobs

    def product_by_sku(self, sku_id: str) -> dict[str, Any]:
        for product in self.products():
            if any(sku["seller_sku"] == sku_id for sku in product["skus"]):
                return self.product_by_id(product["id"])
        raise AssertionError(f"no product has seller_sku {sku_id}")


@dataclass(frozen=True)
class ShopBefore:
    """The shop just before a step acted, to tell afterwards what that step changed."""

    products: list[dict[str, Any]]
    jobs: int
    files: frozenset[str]

    @property
    def statuses(self) -> dict[str, str]:
        return {p["item_group_id"]: p["status"] for p in self.products}


def remember_shop(sim: Sim) -> ShopBefore:
    """Wait for the shop to settle, then note its products, job count and dropped files."""
    sim.wait_all_jobs()
    return ShopBefore(
        products=sim.products(),
        jobs=len(sim.jobs()),
        files=frozenset(sim.listing(PRODUCT_FOLDER)) | frozenset(sim.listing(INVENTORY_FOLDER)),
    )


def synced(connector: Connector, *mode: str) -> ShopBefore:
    """Run one `sfcc-connector sync` and let the shop settle; returns the shop as it was before it."""
    before = remember_shop(connector.sim)
    connector.sync(*mode)
    connector.sim.wait_all_jobs()
    return before


def new_jobs(sim: Sim, before: ShopBefore) -> list[dict[str, Any]]:
    """Jobs recorded since `before`, oldest first, once they have finished."""
    return sorted(sim.wait_all_jobs(), key=lambda job: int(job["id"]))[before.jobs:]


def update_job(sim: Sim, before: ShopBefore) -> dict[str, Any]:
    """The one product update job since `before`, which must have completed."""
    (job,) = [j for j in new_jobs(sim, before) if (j["feed_type"], j["update_type"]) == ("product", "update")]
    assert job["state"] == "completed", job
    return job


def new_files(sim: Sim, before: ShopBefore, folder: str) -> list[str]:
    """Files in `folder` that were not there `before`."""
    return [name for name in sim.listing(folder) if name not in before.files]


@dataclass(frozen=True)
class Edit:
    """What the merchant changed in SFCC: the products allowed to change status, the SKU to follow."""

    groups: frozenset[str] = frozenset()
    sku: str = ""
    title: str = ""


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
    """Runs `sfcc-connector` with the bundled fixtures, as a user would from a shell."""

    sim: Sim
    state_dir: Path
    catalogs: list[Path] = field(default_factory=lambda: [SITE / "catalog-master.xml",
                                                          SITE / "catalog-storefront.xml"])
    pricebooks: list[Path] = field(default_factory=lambda: [SITE / "pricebook-list.xml",
                                                            SITE / "pricebook-sale.xml"])
    inventories: list[Path] = field(default_factory=lambda: [SITE / "inventory.xml"])
    tiktok_url: str | None = None  # None: the simulator's own
    output: str = ""  # what the last in-process run printed
    exit_code: int | None = None  # and how it exited

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
                "--tiktok-url", self.tiktok_url or server.base_url, "--state-dir", str(self.state_dir),
                *(["--ca-file", str(server.ca_path)] if server.ca_path else [])]

    def command(self, *args: str) -> list[str]:
        """The command line that runs `sfcc-connector` as its own process."""
        return [sys.executable, "-m", "connector.cli", *args]

    def run(self, *args: str, expect_ok: bool = True) -> int:
        """Run in-process (fast), keeping the output and exit code for later steps to check."""
        result = CliRunner().invoke(connector_main, list(args), catch_exceptions=False)
        self.output, self.exit_code = result.output, result.exit_code
        if expect_ok:
            assert result.exit_code == 0, f"sfcc-connector {' '.join(args)} failed:\n{result.output}"
        return result.exit_code

    def sync(self, *mode: str, expect_ok: bool = True) -> int:
        return self.run("sync", *mode, *self.inputs(), *self.settings(), expect_ok=expect_ok)


class Watcher:
    """`sfcc-connector watch` running as its own process over `folder`, its output collected as it comes."""

    def __init__(self, connector: Connector, folder: Path) -> None:
        self.folder = folder
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            connector.command("watch", str(folder), *connector.settings(), "--debounce", "0.2"),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self._reader = threading.Thread(target=lambda: self.lines.extend(iter(self.proc.stdout.readline, "")),
                                        daemon=True)
        self._reader.start()

    def said(self) -> str:
        return "".join(self.lines)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self._reader.join(timeout=10)


class SiteEditor:
    """Edits private copies of the SFCC exports the way a merchant's change would show up in them."""

    def __init__(self, connector: Connector, workdir: Path) -> None:
        workdir.mkdir()
        self.connector = connector
        for paths in (connector.catalogs, connector.pricebooks):
            for index, path in enumerate(paths):
                paths[index] = workdir / path.name
                paths[index].write_bytes(path.read_bytes())

    def _edit(self, path: Path) -> etree._ElementTree:
        return etree.parse(str(path), SAFE)

    def product(self, tree: etree._ElementTree, product_id: str) -> etree._Element:
        (element,) = tree.xpath("//c:product[@product-id=$id]", namespaces={"c": CATALOG_NS}, id=product_id)
        return element

    def master_catalog(self) -> Path:
        return self.connector.catalogs[0]

    def set_title(self, product_id: str, title: str) -> None:
        tree = self._edit(self.master_catalog())
        names = self.product(tree, product_id).findall(f"{{{CATALOG_NS}}}display-name")
        assert names, f"{product_id} has no display-name"
        for name in names:
            name.text = title
        tree.write(str(self.master_catalog()), xml_declaration=True, encoding="UTF-8")

    def remove(self, product_id: str) -> None:
        tree = self._edit(self.master_catalog())
        element = self.product(tree, product_id)
        element.getparent().remove(element)
        tree.write(str(self.master_catalog()), xml_declaration=True, encoding="UTF-8")

    def add_copy(self, template_id: str, new_id: str, title: str) -> None:
        """A new product made like an existing one: same category, its own price and title."""
        tree = self._edit(self.master_catalog())
        template = self.product(tree, template_id)
        new = copy.deepcopy(template)
        new.set("product-id", new_id)
        template.addnext(new)
        tree.write(str(self.master_catalog()), xml_declaration=True, encoding="UTF-8")
        self.set_title(new_id, title)
        for catalog in self.connector.catalogs:
            tree = self._edit(catalog)
            for assignment in tree.xpath("//c:category-assignment[@product-id=$id]",
                                         namespaces={"c": CATALOG_NS}, id=template_id):
                added = copy.deepcopy(assignment)
                added.set("product-id", new_id)
                assignment.addnext(added)
            tree.write(str(catalog), xml_declaration=True, encoding="UTF-8")
        self.set_price(template_id, None, copy_to=new_id)

    def set_price(self, product_id: str, amount: str | None, copy_to: str | None = None) -> None:
        """Set `product_id`'s price in every book, or copy its price tables to `copy_to`."""
        for book in self.connector.pricebooks:
            tree = self._edit(book)
            for table in tree.xpath("//p:price-table[@product-id=$id]", namespaces={"p": PRICEBOOK_NS},
                                    id=product_id):
                if copy_to:
                    added = copy.deepcopy(table)
                    added.set("product-id", copy_to)
                    table.addnext(added)
                else:
                    for price in table.findall(f"{{{PRICEBOOK_NS}}}amount"):
                        price.text = amount
            tree.write(str(book), xml_declaration=True, encoding="UTF-8")
