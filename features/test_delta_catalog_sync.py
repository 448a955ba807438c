"""Steps for the ongoing (delta) catalog sync: the merchant edits SFCC exports, the connector syncs."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixture_facts import SIMPLE_SKUS, SITE
from harness import (
    Connector,
    Edit,
    ShopBefore,
    Sim,
    SiteEditor,
    Watcher,
    new_files,
    new_jobs,
    read_feed,
    remember_shop,
    update_job,
)
from pytest_bdd import given, scenarios, then, when
from support.sfcc import PRODUCT_FOLDER
from support.waiting import DEADLINE_S, wait_for

scenarios("delta_catalog_sync.feature")

RENAMED_TITLE = "Renamed In SFCC Classic Tee"
EDIT_SESSION = {"renamed": "KIT-BOTTLE-750", "added": "KIT-MUG-02", "removed": "ACC-TOTE-01"}


def newest(sim: Sim, before: ShopBefore, prefix: str) -> str:
    (name,) = [n for n in new_files(sim, before, PRODUCT_FOLDER) if n.startswith(prefix)]
    return name


@given("the merchant changes the title of a simple product in SFCC", target_fixture="edit")
@when("the merchant changes the title of a simple product in SFCC", target_fixture="edit")
def _change_title(site: SiteEditor) -> Edit:
    site.set_title(SIMPLE_SKUS[0], RENAMED_TITLE)
    return Edit(frozenset({SIMPLE_SKUS[0]}), SIMPLE_SKUS[0], RENAMED_TITLE)


@when("the merchant adds a new priced product in SFCC", target_fixture="edit")
def _add(site: SiteEditor) -> Edit:
    site.add_copy(SIMPLE_SKUS[0], "NEW-SIMPLE-001", "A Product Added In SFCC")
    return Edit(frozenset({"NEW-SIMPLE-001"}), "NEW-SIMPLE-001")


@when("the merchant deletes a simple product in SFCC", target_fixture="edit")
def _delete(site: SiteEditor) -> Edit:
    site.remove(SIMPLE_SKUS[1])
    return Edit(frozenset({SIMPLE_SKUS[1]}), SIMPLE_SKUS[1])


@when("the merchant gives a live simple product a price of 9999 USD in SFCC", target_fixture="edit")
def _overprice(site: SiteEditor) -> Edit:
    site.set_price(SIMPLE_SKUS[2], "9999.00")
    return Edit(frozenset({SIMPLE_SKUS[2]}), SIMPLE_SKUS[2])


@then("the newest product feed holds exactly that product's SKU")
@then("the newest product feed holds exactly the new product's SKU")
def _feed_holds_sku(sim: Sim, before: ShopBefore, edit: Edit) -> None:
    rows = read_feed(sim, newest(sim, before, "tiktok-feed-"))
    assert [row["sku_id"] for row in rows] == [edit.sku]


@then("the newest product feed holds only the header row")
def _header_only(sim: Sim, before: ShopBefore) -> None:
    assert read_feed(sim, newest(sim, before, "tiktok-feed-")) == []


@then("the newest delete feed is empty")
def _delete_feed_empty(sim: Sim, before: ShopBefore) -> None:
    status, body = sim.dav("GET", f"{PRODUCT_FOLDER}/{newest(sim, before, 'delete-feed-')}")
    assert (status, body) == (200, b"")


@then("the newest delete feed lists exactly that product's SKU")
def _delete_feed_lists(sim: Sim, before: ShopBefore, edit: Edit) -> None:
    status, body = sim.dav("GET", f"{PRODUCT_FOLDER}/{newest(sim, before, 'delete-feed-')}")
    assert (status, body.decode()) == (200, edit.sku + "\n")


@then("TikTok Shop picked up, uploaded and reviewed the delta feed")
def _delta_processed(sim: Sim, before: ShopBefore) -> None:
    job = update_job(sim, before)
    assert job["files"] == [newest(sim, before, "tiktok-feed-")], job["files"]
    assert job["counts"]["records"] == 1, job["counts"]
    assert [s["name"] for s in job["steps"]] == ["pickup", "upload", "review", "publish"]


@then("the product went back to review and is published again with the new title")
def _republished(sim: Sim, edit: Edit) -> None:
    product = sim.product_by_sku(edit.sku)
    assert (product["title"], product["status"]) == (edit.title, "ACTIVATE"), product
    statuses = [entry.get("status") for entry in product["status_history"]]
    assert statuses[-3:] == ["ACTIVATE", "PENDING", "ACTIVATE"], product["status_history"]


@then("the product's history names the feed file that changed its title")
def _history(sim: Sim, before: ShopBefore, edit: Edit) -> None:
    product = sim.product_by_sku(edit.sku)
    feed = newest(sim, before, "tiktok-feed-")
    assert any(h["file"] == feed and "title" in h["fields"] for h in product["history"]), product["history"]


@then("the new product is published as ACTIVATE with audit status APPROVED")
def _new_published(sim: Sim, edit: Edit) -> None:
    product = sim.product_by_sku(edit.sku)
    assert (product["status"], product["audit"]["status"]) == ("ACTIVATE", "APPROVED"), product


@then("TikTok Shop picked up the delete feed")
def _delete_picked(sim: Sim, before: ShopBefore) -> None:
    (job,) = [j for j in new_jobs(sim, before) if j["update_type"] == "delete"]
    assert job["state"] == "completed" and job["files"] == [newest(sim, before, "delete-feed-")], job


@then("the deleted product is DELETED and still visible in the product API")
def _deleted(sim: Sim, edit: Edit) -> None:
    product = sim.product(edit.sku)
    assert product["status"] == "DELETED", product
    assert [p["id"] for p in sim.products("DELETED")] == [product["id"]]


@then("that product is FAILED with a reason naming the price field")
def _failed_price(sim: Sim, edit: Edit) -> None:
    product = sim.product_by_sku(edit.sku)
    assert product["status"] == "FAILED", product
    assert any("price" in reason["position"] for reason in product["audit_failed_reasons"]), product


@when("the connector runs a delta sync while TikTok Shop cannot be reached", target_fixture="before")
def _sync_unreachable(sim: Sim, connector: Connector) -> ShopBefore:
    before = remember_shop(sim)
    with socket.socket() as probe:  # a port that was just free: nothing answers there
        probe.bind(("127.0.0.1", 0))
        connector.tiktok_url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    connector.sync("--delta", expect_ok=False)
    connector.tiktok_url = None
    return before


@when("the connector is killed while it alerts TikTok Shop, after dropping the feed", target_fixture="before")
def _killed_mid_alert(sim: Sim, connector: Connector) -> ShopBefore:
    before = remember_shop(sim)
    with socket.socket() as silent:  # accepts the alert's connection and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        connector.tiktok_url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        command = connector.command("sync", "--delta", *connector.inputs(), *connector.settings())
        connector.tiktok_url = None
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        silent.settimeout(DEADLINE_S)
        try:
            alert, _ = silent.accept()  # the drop is done: the connector is now alerting
        finally:
            proc.kill()
            proc.wait(timeout=10)
        alert.close()
    return before


@then("the connector reports that the run waits in its outbox")
def _waits(connector: Connector) -> None:
    assert connector.exit_code == 1, connector.output
    assert "outbox" in connector.output, connector.output


@then("the delta feed was dropped but TikTok Shop recorded no job")
def _dropped_not_alerted(sim: Sim, before: ShopBefore) -> None:
    assert newest(sim, before, "tiktok-feed-")
    assert len(sim.jobs()) == before.jobs


@then("the product is published with the new title")
def _published_title(sim: Sim, edit: Edit) -> None:
    product = sim.product_by_sku(edit.sku)
    assert (product["title"], product["status"]) == (edit.title, "ACTIVATE"), product


@then("the title change was applied once")
def _applied_once(sim: Sim, edit: Edit) -> None:
    history = sim.product_by_sku(edit.sku)["history"]
    assert [h["fields"] for h in history[1:]] == [["title"]], history


@pytest.fixture
def watcher(connector: Connector, tmp_path: Path) -> Iterator[Watcher]:
    """`sfcc-connector watch` over a folder that already holds the site's exports."""
    folder = tmp_path / "exports"
    folder.mkdir()
    for path in connector.catalogs + connector.pricebooks + connector.inventories:
        shutil.copy(path, folder / path.name)
    watcher = Watcher(connector, folder)
    yield watcher
    watcher.stop()


@given("the connector is watching the folder where the SFCC exports land", target_fixture="before")
def _watching(sim: Sim, watcher: Watcher) -> ShopBefore:
    before = remember_shop(sim)
    wait_for(lambda: any(line.startswith("watching ") for line in watcher.lines) or watcher.proc.poll(),
             "the watcher to start")
    assert watcher.proc.poll() is None, watcher.said()
    return before


@when("a catalog export with a changed title is renamed into the watched folder", target_fixture="edit")
def _renamed_in(site: SiteEditor, watcher: Watcher) -> Edit:
    title = "Renamed While Watched"
    site.set_title(SIMPLE_SKUS[0], title)
    master = site.master_catalog()
    part = watcher.folder / (master.name + ".part")
    shutil.copy(master, part)
    part.rename(watcher.folder / master.name)
    return Edit(frozenset({SIMPLE_SKUS[0]}), SIMPLE_SKUS[0], title)


@then("the shop shows the new title without any other command")
def _title_arrives(sim: Sim, edit: Edit, watcher: Watcher) -> None:
    try:
        wait_for(lambda: sim.product_by_sku(edit.sku)["title"] == edit.title,
                 "the watched change to reach the shop")
    except AssertionError as error:
        raise AssertionError(f"{error}; the watcher said:\n{watcher.said()}") from None
    sim.wait_all_jobs()


@when("the merchant's edit session renames one product, adds one and removes one in SFCC",
      target_fixture="edit")
def _edit_session(connector: Connector) -> Edit:
    changes = SITE / "changes"  # fixtures/README.md describes this edit session
    connector.catalogs = [changes / "catalog-master-changed.xml", changes / "catalog-storefront-changed.xml"]
    connector.pricebooks = [changes / "pricebook-list-changed.xml", SITE / "pricebook-sale.xml"]
    return Edit(frozenset(EDIT_SESSION.values()))


@then("the newest product feed holds exactly the renamed and the added SKUs")
def _renamed_and_added(sim: Sim, before: ShopBefore) -> None:
    rows = read_feed(sim, newest(sim, before, "tiktok-feed-"))
    assert sorted(row["sku_id"] for row in rows) == sorted([EDIT_SESSION["renamed"], EDIT_SESSION["added"]])


@then("the newest delete feed lists exactly the removed SKU")
def _removed_listed(sim: Sim, before: ShopBefore) -> None:
    status, body = sim.dav("GET", f"{PRODUCT_FOLDER}/{newest(sim, before, 'delete-feed-')}")
    assert (status, body.decode()) == (200, EDIT_SESSION["removed"] + "\n")


@then("the shop shows the new title, the added product ACTIVATE and the removed product DELETED")
def _shop_after_session(sim: Sim) -> None:
    renamed = sim.product_by_sku(EDIT_SESSION["renamed"])
    new_title = "Insulated Steel Water Bottle, 25 oz"  # its en-US display name in the edit session
    assert (renamed["title"], renamed["status"]) == (new_title, "ACTIVATE"), renamed
    assert sim.product_by_sku(EDIT_SESSION["added"])["status"] == "ACTIVATE"
    assert sim.product(EDIT_SESSION["removed"])["status"] == "DELETED"
