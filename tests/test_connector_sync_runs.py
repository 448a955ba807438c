"""Whole sync runs against real WsgiDAV and a recording TikTok: layout, delta, deletes, resume."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from support.connector_servers import AlertServer, DavServer, settings_for
from support.sfcc import (
    INVENTORY_FOLDER,
    MOUNT,
    PRODUCT_FOLDER,
    write_catalog,
    write_inventory,
    write_pricebook,
)

from connector.alert import AlertError
from connector.names import feed_file_name
from connector.scan import SiteInputs
from connector.sync import Syncer, SyncError
from connector.webdav import WebDavError

TRACKING = f"{PRODUCT_FOLDER}/tracking/TestSite"
PRICES = {"SIMPLE-1": "10.00", "SIMPLE-2": "5.50", "SIMPLE-3": "7", "M1": "20"}


@dataclass
class World:
    dav: DavServer
    alerts: AlertServer
    tmp: Path

    def syncer(self, **changes: str) -> Syncer:
        settings = settings_for(self.dav, self.alerts, self.tmp / "state")
        return Syncer(dataclasses.replace(settings, **changes), log=lambda line: None)

    def inputs(self, simples: dict[str, str], masters: dict | None = None, deleted: tuple[str, ...] = (),
               prices: dict[str, str] = PRICES) -> SiteInputs:
        catalog = write_catalog(self.tmp / f"catalog-{len(list(self.tmp.glob('catalog-*')))}.xml",
                                simples, masters, deleted)
        return SiteInputs(catalogs=(catalog,), pricebooks=(write_pricebook(self.tmp / "prices.xml", prices),),
                          inventories=(), site_id="TestSite")

    def sync(self, inputs: SiteInputs, **options: object) -> list[str]:
        """Run one product sync; returns the SKU IDs of the feed it wrote."""
        syncer = self.syncer()
        try:
            result = syncer.sync_products(inputs, **options)
        finally:
            syncer.close()
        return self.feed_ids(result.files[0])

    def feed_ids(self, name: str) -> list[str]:
        lines = self.dav.file(f"{PRODUCT_FOLDER}/{name}").read_text(encoding="utf-8").splitlines()
        assert lines[0].startswith('"sku_id"|"title"|')
        return [line.split("|")[0].strip('"') for line in lines[1:]]

    def newest(self, prefix: str, folder: str = PRODUCT_FOLDER) -> str:
        """Content of the newest file whose name starts with `prefix` (24-hour names sort by time)."""
        names = [name for name in self.dav.names(folder) if name.startswith(prefix)]
        return self.dav.file(f"{folder}/{max(names)}").read_text(encoding="utf-8")

    def outbox(self) -> list[str]:
        root = self.tmp / "state" / "outbox" / "TestSite"
        return sorted(p.name for p in root.iterdir()) if root.is_dir() else []


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    dav, alerts = DavServer(tmp_path / "impex"), AlertServer()
    yield World(dav, alerts, tmp_path)
    dav.stop()
    alerts.stop()


BASE = {"SIMPLE-1": "Simple one", "SIMPLE-2": "Simple two"}


def test_first_run_is_full_and_lays_out_the_cartridges_files(world: World) -> None:
    assert sorted(world.sync(world.inputs(BASE, {"M1": ("Shirt", ["red", "blue"])}))) == [
        "M1-blue", "M1-red", "SIMPLE-1", "SIMPLE-2"]

    names = world.dav.names(PRODUCT_FOLDER)
    assert [n for n in names if n.startswith("tiktok-feed-TestSite-") and n.endswith("-en_US.txt")]
    assert [n for n in names if n.startswith("delete-feed-TestSite-")]
    assert not [n for n in names if n.startswith("TEMP_")]
    assert world.newest("delete-feed-") == ""
    assert world.newest("feedtracker-", TRACKING) == (
        "M1-blue,M1-blue|20 USD\nM1-red,M1-red|20 USD\nSIMPLE-1,SIMPLE-1|10 USD\nSIMPLE-2,SIMPLE-2|5.5 USD\n")
    assert world.newest(".lastrun", TRACKING) == '{"deltaEnabled":false,"deleteFileGenerated":true}'
    assert world.alerts.updates() == [("product", "delete"), ("product", "update")]
    folder_url = f"{world.dav.url}{MOUNT}/src/feeds/export/social/tiktok/product"
    assert {call["params"]["url"] for call in world.alerts.calls} == {folder_url}
    assert world.outbox() == []


def test_delta_sends_exactly_the_changed_and_added_skus_and_deletes_the_removed(world: World) -> None:
    world.sync(world.inputs(BASE))
    changed = {"SIMPLE-1": "Simple one, renamed", "SIMPLE-3": "Simple three"}

    assert sorted(world.sync(world.inputs(changed))) == ["SIMPLE-1", "SIMPLE-3"]

    assert world.newest("delete-feed-") == "SIMPLE-2\n"
    assert world.newest("feedtracker-", TRACKING) == "SIMPLE-1,SIMPLE-1|10 USD\nSIMPLE-3,SIMPLE-3|7 USD\n"
    assert world.newest(".lastrun", TRACKING) == '{"deltaEnabled":true,"deleteFileGenerated":true}'
    assert world.alerts.updates()[2:] == [("product", "delete"), ("product", "update")]


def test_a_run_without_changes_writes_a_header_only_feed_and_an_empty_delete_feed(world: World) -> None:
    world.sync(world.inputs(BASE))
    feeds_before = [n for n in world.dav.names(PRODUCT_FOLDER) if n.startswith("tiktok-feed-")]

    assert world.sync(world.inputs(BASE)) == []

    feeds = [n for n in world.dav.names(PRODUCT_FOLDER) if n.startswith("tiktok-feed-")]
    assert len(feeds) == 2 and feeds_before[0] in feeds      # a new name, even within the same second
    assert world.newest("delete-feed-") == ""


def test_losing_the_price_or_going_offline_counts_as_deleted(world: World) -> None:
    world.sync(world.inputs(BASE))
    world.sync(world.inputs(BASE, prices={"SIMPLE-1": "10.00"}))
    assert world.newest("delete-feed-") == "SIMPLE-2\n"


def test_cartridge_rule_sees_price_changes_but_not_title_changes(world: World) -> None:
    world.sync(world.inputs(BASE))
    renamed = {"SIMPLE-1": "Renamed", "SIMPLE-2": "Simple two"}
    assert world.sync(world.inputs(renamed), cartridge_compat=True) == []
    repriced = {**PRICES, "SIMPLE-2": "4.99"}
    assert world.sync(world.inputs(renamed, prices=repriced), cartridge_compat=True) == ["SIMPLE-2"]
    assert world.sync(world.inputs(renamed, prices=repriced)) == []   # the snapshot kept the full rows


def test_partial_import_applies_changes_and_deleted_masters_on_top_of_the_snapshot(world: World) -> None:
    world.sync(world.inputs(BASE, {"M1": ("Shirt", ["red", "blue"])}))

    assert world.sync(world.inputs({"SIMPLE-1": "Simple one, new name"}, deleted=("M1",)), partial=True) == [
        "SIMPLE-1"]

    assert world.newest("delete-feed-") == "M1-blue\nM1-red\n"
    assert world.newest("feedtracker-", TRACKING) == "SIMPLE-1,SIMPLE-1|10 USD\nSIMPLE-2,SIMPLE-2|5.5 USD\n"


def test_partial_needs_a_previous_sync(world: World) -> None:
    with pytest.raises(SyncError, match="run a full sync for this site first"):
        world.sync(world.inputs(BASE), partial=True)
    assert world.dav.names(PRODUCT_FOLDER) == [] and world.outbox() == []


def test_unacknowledged_alerts_keep_the_run_pending_and_the_next_run_finishes_it(world: World) -> None:
    world.sync(world.inputs(BASE))
    changed = world.inputs({"SIMPLE-1": "Renamed"})
    world.alerts.fail(3)

    with pytest.raises(AlertError, match="failed 3 times"):
        world.sync(changed)

    assert len(world.outbox()) == 1                               # the run waits in the outbox
    assert world.newest("delete-feed-") == "SIMPLE-2\n"           # dropped, but TikTok never acknowledged
    world.dav.requests.clear()

    assert world.sync(changed) == []                              # its own delta: nothing new on top

    resent = [method for method, path, _ in world.dav.requests if "tiktok-feed-" in path and method != "HEAD"]
    assert resent == ["PUT", "MOVE"]          # only the new run's feed: the pending one was already there
    assert world.alerts.updates()[2:] == [("product", "delete")] * 4 + [
        ("product", "update"), ("product", "delete"), ("product", "update")]
    feeds = sorted(n for n in world.dav.names(PRODUCT_FOLDER) if n.startswith("tiktok-feed-"))
    assert sum(world.feed_ids(name).count("SIMPLE-1") for name in feeds) == 2   # full run + the change, once
    assert world.outbox() == []


def test_a_failed_drop_is_redropped_by_the_next_run(world: World) -> None:
    world.sync(world.inputs(BASE))
    changed = world.inputs({"SIMPLE-1": "Renamed", "SIMPLE-2": "Simple two"})
    world.dav.refuse["MOVE"] = 1                                  # the instance fails mid-drop
    with pytest.raises(WebDavError, match="HTTP 503: the instance had a server error.*waits in the outbox"):
        world.sync(changed)
    assert len(world.outbox()) == 1 and len(world.alerts.calls) == 2
    assert [n for n in world.dav.names(PRODUCT_FOLDER) if n.startswith("TEMP_")]

    assert world.sync(changed) == []

    feeds = sorted(n for n in world.dav.names(PRODUCT_FOLDER) if n.startswith("tiktok-feed-"))
    assert sorted(world.feed_ids(name) for name in feeds[1:]) == [[], ["SIMPLE-1"]]
    assert not [n for n in world.dav.names(PRODUCT_FOLDER) if n.startswith("TEMP_")]
    assert world.outbox() == []


def test_bad_xml_leaves_nothing_behind(world: World) -> None:
    world.sync(world.inputs(BASE))
    broken = world.tmp / "broken.xml"
    broken.write_text('<?xml version="1.0"?>\n<catalog xmlns="http://www.demandware.com/xml/impex/catalog/'
                      '2006-10-31">\n<product product-id="X">\n</catalog>\n', encoding="utf-8")
    inputs = world.inputs(BASE)
    bad = SiteInputs(catalogs=(broken,), pricebooks=inputs.pricebooks, inventories=(), site_id="TestSite")
    with pytest.raises(ValueError, match=r"broken\.xml:4"):
        world.sync(bad)
    assert world.outbox() == []
    assert world.sync(inputs) == []                                # the snapshot is untouched


def test_inventory_run_drops_into_the_inventory_folder_and_alerts_create(world: World) -> None:
    inventory = write_inventory(world.tmp / "inv.xml", {"SIMPLE-1": 4})
    syncer = world.syncer()
    result = syncer.sync_inventory((inventory,))
    syncer.close()
    names = world.dav.names(INVENTORY_FOLDER)
    assert names == result.files and names[0].startswith("inventory-TestSite-") and names[0].endswith(".xml")
    assert '<record product-id="SIMPLE-1">' in world.dav.file(f"{INVENTORY_FOLDER}/{names[0]}").read_text()
    assert world.alerts.updates() == [("inventory", "create")]
    assert world.alerts.calls[0]["params"]["url"] == f"{world.dav.url}{MOUNT}/{INVENTORY_FOLDER}"


def test_file_names_follow_the_site_calendar(world: World) -> None:
    zone = ZoneInfo("Pacific/Kiritimati")      # UTC+14: its hour never equals the UTC hour
    before = datetime.now(zone)
    syncer = world.syncer(timezone="Pacific/Kiritimati")
    result = syncer.sync_products(world.inputs(BASE))
    syncer.close()
    after = datetime.now(zone)
    stamps = {f"{moment:%Y%m%d%H}" for moment in (before, after)}
    assert result.files[1][len("delete-feed-TestSite-"):][:10] in stamps
    assert result.files[2][len("feedtracker-"):][:10] in stamps
    assert result.files[0][len("tiktok-feed-TestSite-"):][:10] in {f"{m:%Y%m%d%I}" for m in (before, after)}


def test_a_feed_name_already_on_the_server_is_never_reused(world: World) -> None:
    zone = ZoneInfo("UTC")
    start = datetime.now(zone)
    taken = {feed_file_name("TestSite", "en_US", start + timedelta(seconds=offset)) for offset in range(3)}
    folder = world.dav.file(PRODUCT_FOLDER)
    folder.mkdir(parents=True)
    for name in taken:                                  # e.g. written twelve hours ago (12-hour clock)
        (folder / name).write_text("older feed\n", encoding="utf-8")

    syncer = world.syncer()
    result = syncer.sync_products(world.inputs(BASE))
    syncer.close()

    assert result.files[0] not in taken
    assert all((folder / name).read_text(encoding="utf-8") == "older feed\n" for name in taken)
