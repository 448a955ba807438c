"""Steps for the ongoing (delta) catalog sync: the merchant edits SFCC exports, the connector syncs."""

from __future__ import annotations

import copy
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    DEADLINE_S,
    PRODUCT_FOLDER,
    Connector,
    Sim,
    World,
    new_jobs,
    read_feed,
    remember_shop,
    wait_for,
)
from fixture_facts import SIMPLE_SKUS, SITE
from lxml import etree
from pytest_bdd import given, scenarios, then, when

scenarios("delta_catalog_sync.feature")

CATALOG_NS = "http://www.demandware.com/xml/impex/catalog/2006-10-31"
PRICEBOOK_NS = "http://www.demandware.com/xml/impex/pricebook/2006-10-31"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SAFE = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)


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


@pytest.fixture
def site(connector: Connector, tmp_path: Path) -> SiteEditor:
    return SiteEditor(connector, tmp_path / "site")


def newest(sim: Sim, world: World, prefix: str) -> str:
    (name,) = [n for n in sim.listing(PRODUCT_FOLDER) if n.startswith(prefix) and n not in world.files_before]
    return name


def update_job(sim: Sim, world: World) -> dict[str, Any]:
    (job,) = [j for j in new_jobs(sim, world) if j["feed_type"] == "product" and j["update_type"] == "update"]
    assert job["state"] == "completed", job
    return job


@given("the merchant changes the title of a simple product in SFCC")
@when("the merchant changes the title of a simple product in SFCC")
def _change_title(site: SiteEditor, world: World) -> None:
    world.values["sku"] = SIMPLE_SKUS[0]
    world.values["title"] = "Renamed In SFCC Classic Tee"
    world.touched_groups.add(SIMPLE_SKUS[0])
    site.set_title(SIMPLE_SKUS[0], world.values["title"])


@when("the merchant adds a new priced product in SFCC")
def _add(site: SiteEditor, world: World) -> None:
    world.values["sku"] = "NEW-SIMPLE-001"
    world.touched_groups.add("NEW-SIMPLE-001")
    site.add_copy(SIMPLE_SKUS[0], "NEW-SIMPLE-001", "A Product Added In SFCC")


@when("the merchant deletes a simple product in SFCC")
def _delete(site: SiteEditor, world: World) -> None:
    world.values["sku"] = SIMPLE_SKUS[1]
    world.touched_groups.add(SIMPLE_SKUS[1])
    site.remove(SIMPLE_SKUS[1])


@when("the merchant gives a live simple product a price of 9999 USD in SFCC")
def _overprice(site: SiteEditor, world: World) -> None:
    world.values["sku"] = SIMPLE_SKUS[2]
    world.touched_groups.add(SIMPLE_SKUS[2])
    site.set_price(SIMPLE_SKUS[2], "9999.00")


@then("the newest product feed holds exactly that product's SKU")
@then("the newest product feed holds exactly the new product's SKU")
def _feed_holds_sku(sim: Sim, world: World) -> None:
    rows = read_feed(sim, newest(sim, world, "tiktok-feed-"))
    assert [row["sku_id"] for row in rows] == [world.values["sku"]]


@then("the newest product feed holds only the header row")
def _header_only(sim: Sim, world: World) -> None:
    assert read_feed(sim, newest(sim, world, "tiktok-feed-")) == []


@then("the newest delete feed is empty")
def _delete_feed_empty(sim: Sim, world: World) -> None:
    status, body = sim.dav("GET", f"{PRODUCT_FOLDER}/{newest(sim, world, 'delete-feed-')}")
    assert (status, body) == (200, b"")


@then("the newest delete feed lists exactly that product's SKU")
def _delete_feed_lists(sim: Sim, world: World) -> None:
    status, body = sim.dav("GET", f"{PRODUCT_FOLDER}/{newest(sim, world, 'delete-feed-')}")
    assert (status, body.decode()) == (200, world.values["sku"] + "\n")


@then("TikTok Shop picked up, uploaded and reviewed the delta feed")
def _delta_processed(sim: Sim, world: World) -> None:
    job = update_job(sim, world)
    assert job["files"] == [newest(sim, world, "tiktok-feed-")], job["files"]
    assert job["counts"]["records"] == 1, job["counts"]
    assert [s["name"] for s in job["steps"]] == ["pickup", "upload", "review", "publish"]


@then("the product went back to review and is published again with the new title")
def _republished(sim: Sim, world: World) -> None:
    product = sim.product_by_sku(world.values["sku"])
    assert (product["title"], product["status"]) == (world.values["title"], "ACTIVATE"), product
    statuses = [entry.get("status") for entry in product["status_history"]]
    assert statuses[-3:] == ["ACTIVATE", "PENDING", "ACTIVATE"], product["status_history"]


@then("the product's history names the feed file that changed its title")
def _history(sim: Sim, world: World) -> None:
    product = sim.product_by_sku(world.values["sku"])
    feed = newest(sim, world, "tiktok-feed-")
    assert any(h["file"] == feed and "title" in h["fields"] for h in product["history"]), product["history"]


@then("the new product is published as ACTIVATE with audit status APPROVED")
def _new_published(sim: Sim, world: World) -> None:
    product = sim.product_by_sku(world.values["sku"])
    assert (product["status"], product["audit"]["status"]) == ("ACTIVATE", "APPROVED"), product


@then("TikTok Shop picked up the delete feed")
def _delete_picked(sim: Sim, world: World) -> None:
    (job,) = [j for j in new_jobs(sim, world) if j["update_type"] == "delete"]
    assert job["state"] == "completed" and job["files"] == [newest(sim, world, "delete-feed-")], job


@then("the deleted product is DELETED and still visible in the product API")
def _deleted(sim: Sim, world: World) -> None:
    product = sim.product_by_group(world.values["sku"])
    assert product["status"] == "DELETED", product
    assert [p["id"] for p in sim.products("DELETED")] == [product["id"]]


@then("that product is FAILED with a reason naming the price field")
def _failed_price(sim: Sim, world: World) -> None:
    product = sim.product_by_sku(world.values["sku"])
    assert product["status"] == "FAILED", product
    assert any("price" in reason["position"] for reason in product["audit_failed_reasons"]), product


@when("the connector runs a delta sync while TikTok Shop cannot be reached")
def _sync_unreachable(sim: Sim, connector: Connector, world: World) -> None:
    remember_shop(sim, world)
    with socket.socket() as probe:  # a port that was just free: nothing answers there
        probe.bind(("127.0.0.1", 0))
        connector.tiktok_url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    world.values["exit"] = connector.sync("--delta", expect_ok=False)
    connector.tiktok_url = None


@when("the connector is killed while it alerts TikTok Shop, after dropping the feed")
def _killed_mid_alert(sim: Sim, connector: Connector, world: World) -> None:
    remember_shop(sim, world)
    with socket.socket() as silent:  # accepts the alert's connection and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        connector.tiktok_url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        command = [sys.executable, "-m", "connector.cli", "sync", "--delta", *connector.inputs(),
                   *connector.settings()]
        connector.tiktok_url = None
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        silent.settimeout(DEADLINE_S)
        try:
            alert, _ = silent.accept()  # the drop is done: the connector is now alerting
        finally:
            proc.kill()
            proc.wait(timeout=10)
        alert.close()


@then("the connector reports that the run waits in its outbox")
def _waits(connector: Connector, world: World) -> None:
    assert world.values["exit"] == 1, connector.output
    assert "outbox" in connector.output, connector.output


@then("the delta feed was dropped but TikTok Shop recorded no job")
def _dropped_not_alerted(sim: Sim, world: World) -> None:
    assert newest(sim, world, "tiktok-feed-")
    assert len(sim.jobs()) == world.jobs_before


@then("the product is published with the new title")
def _published_title(sim: Sim, world: World) -> None:
    product = sim.product_by_sku(world.values["sku"])
    assert (product["title"], product["status"]) == (world.values["title"], "ACTIVATE"), product


@then("the title change was applied once")
def _applied_once(sim: Sim, world: World) -> None:
    history = sim.product_by_sku(world.values["sku"])["history"]
    assert [h["fields"] for h in history[1:]] == [["title"]], history


@pytest.fixture
def watcher(connector: Connector, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """`sfcc-connector watch` as its own process, over a folder holding the site's exports."""
    folder = tmp_path / "exports"
    folder.mkdir()
    for path in connector.catalogs + connector.pricebooks + connector.inventories:
        shutil.copy(path, folder / path.name)
    command = [sys.executable, "-m", "connector.cli", "watch", str(folder), *connector.settings(),
               "--debounce", "0.2"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        yield {"folder": folder, "proc": proc, "lines": lines}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        reader.join(timeout=10)


@given("the connector is watching the folder where the SFCC exports land")
def _watching(sim: Sim, world: World, watcher: dict[str, Any]) -> None:
    remember_shop(sim, world)
    wait_for(lambda: any(line.startswith("watching ") for line in watcher["lines"]) or watcher["proc"].poll(),
             "the watcher to start")
    assert watcher["proc"].poll() is None, "".join(watcher["lines"])


@when("a catalog export with a changed title is renamed into the watched folder")
def _renamed_in(site: SiteEditor, watcher: dict[str, Any], world: World) -> None:
    world.values["sku"], world.values["title"] = SIMPLE_SKUS[0], "Renamed While Watched"
    world.touched_groups.add(SIMPLE_SKUS[0])
    site.set_title(SIMPLE_SKUS[0], world.values["title"])
    master = site.master_catalog()
    part = watcher["folder"] / (master.name + ".part")
    shutil.copy(master, part)
    part.rename(watcher["folder"] / master.name)


@then("the shop shows the new title without any other command")
def _title_arrives(sim: Sim, world: World, watcher: dict[str, Any]) -> None:
    try:
        wait_for(lambda: sim.product_by_sku(world.values["sku"])["title"] == world.values["title"],
                 "the watched change to reach the shop")
    except AssertionError as error:
        raise AssertionError(f"{error}; the watcher said:\n{''.join(watcher['lines'])}") from None
    sim.wait_all_jobs()


EDIT_SESSION = {"renamed": "KIT-BOTTLE-750", "added": "KIT-MUG-02", "removed": "ACC-TOTE-01"}


@when("the merchant's edit session renames one product, adds one and removes one in SFCC")
def _edit_session(connector: Connector, world: World) -> None:
    changes = SITE / "changes"  # fixtures/README.md describes this edit session
    connector.catalogs = [changes / "catalog-master-changed.xml", changes / "catalog-storefront-changed.xml"]
    connector.pricebooks = [changes / "pricebook-list-changed.xml", SITE / "pricebook-sale.xml"]
    world.touched_groups.update(EDIT_SESSION.values())


@then("the newest product feed holds exactly the renamed and the added SKUs")
def _renamed_and_added(sim: Sim, world: World) -> None:
    rows = read_feed(sim, newest(sim, world, "tiktok-feed-"))
    assert sorted(row["sku_id"] for row in rows) == sorted([EDIT_SESSION["renamed"], EDIT_SESSION["added"]])


@then("the newest delete feed lists exactly the removed SKU")
def _removed_listed(sim: Sim, world: World) -> None:
    status, body = sim.dav("GET", f"{PRODUCT_FOLDER}/{newest(sim, world, 'delete-feed-')}")
    assert (status, body.decode()) == (200, EDIT_SESSION["removed"] + "\n")


@then("the shop shows the new title, the added product ACTIVATE and the removed product DELETED")
def _shop_after_session(sim: Sim) -> None:
    renamed = sim.product_by_sku(EDIT_SESSION["renamed"])
    new_title = "Insulated Steel Water Bottle, 25 oz"  # its en-US display name in the edit session
    assert (renamed["title"], renamed["status"]) == (new_title, "ACTIVATE"), renamed
    assert sim.product_by_sku(EDIT_SESSION["added"])["status"] == "ACTIVATE"
    assert sim.product_by_group(EDIT_SESSION["removed"])["status"] == "DELETED"
