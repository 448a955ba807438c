"""Watch mode end to end: exports land in a folder, finished ones reach WebDAV and TikTok by themselves."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.connector_servers import DAV_PASSWORD, DAV_USER, AlertServer, DavServer, settings_for
from support.sfcc import INVENTORY_FOLDER, PRODUCT_FOLDER, write_catalog, write_inventory, write_pricebook
from support.waiting import wait_for

from connector.scan import SiteInputs
from connector.watch import FolderWatch, export_kind
from connector.xmlsafe import XmlInputError


class Log:
    """Thread-safe list of the watcher's output lines."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, line: str) -> None:
        with self._lock:
            self.lines.append(line)

    def has(self, text: str) -> bool:
        with self._lock:
            return any(text in line for line in self.lines)


def arrive(written: Path, name: str) -> None:
    """Finish an export the way SFCC tools do: written as `<name>.part`, then renamed into place."""
    os.replace(written, written.with_name(name))


def test_exports_are_told_apart_by_root_namespace(tmp_path: Path) -> None:
    assert export_kind(write_catalog(tmp_path / "a.xml", {"A": "A"})) == "catalog"
    assert export_kind(write_pricebook(tmp_path / "b.xml", {"A": "1"})) == "pricebook"
    assert export_kind(write_inventory(tmp_path / "c.xml", {"A": 1})) == "inventory"
    other = tmp_path / "d.xml"
    other.write_text('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"/>', encoding="utf-8")
    assert export_kind(other) is None
    hostile = tmp_path / "e.xml"
    hostile.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
                       encoding="utf-8")
    with pytest.raises(XmlInputError, match="DOCTYPE"):
        export_kind(hostile)


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[tuple[FolderWatch, Path, DavServer, AlertServer, Log]]:
    dav, alerts, log = DavServer(tmp_path / "impex"), AlertServer(), Log()
    folder = tmp_path / "exports"
    base = SiteInputs(catalogs=(), pricebooks=(), inventories=(), site_id="TestSite")
    watch = FolderWatch(folder, settings_for(dav, alerts, tmp_path / "state"), base, log, debounce=0.2)
    watch.start()
    yield watch, folder, dav, alerts, log
    watch.stop()
    dav.stop()
    alerts.stop()


def test_finished_exports_reach_tiktok_without_another_command(
        watched: tuple[FolderWatch, Path, DavServer, AlertServer, Log]) -> None:
    watch, folder, dav, alerts, log = watched

    arrive(write_pricebook(folder / "pricebook.xml.part", {"A-1": "10", "B-1": "12"}), "pricebook.xml")
    wait_for(lambda: log.has("waiting for both a catalog and a price book"), what="price book alone")
    arrive(write_catalog(folder / "catalog.xml.part", {"A-1": "Alpha", "B-1": "Beta"}), "catalog.xml")
    wait_for(lambda: alerts.updates() == [("product", "delete"), ("product", "update")], what="full sync")
    assert log.has("finished export: catalog.xml (catalog, renamed into place)")

    # still being written: ignored, whatever events they cause
    write_catalog(folder / "TEMP_catalog.xml", {"X-1": "Ignored"})
    write_catalog(folder / "catalog-next.xml.part", {"X-1": "Ignored"})
    # a broken export renamed into place: a clear error, and watching goes on
    broken = folder / "bad.xml.part"
    broken.write_text('<?xml version="1.0"?>\n<catalog xmlns="http://www.demandware.com/xml/impex/catalog/'
                      '2006-10-31">\n<product product-id="Z">\n', encoding="utf-8")
    arrive(broken, "bad.xml")
    wait_for(lambda: log.has("error: ") and log.has("bad.xml"), what="error for bad.xml")
    (folder / "bad.xml").unlink()

    renamed = {"A-1": "Alpha, renamed", "B-1": "Beta"}
    arrive(write_catalog(folder / "catalog.xml.part", renamed), "catalog.xml")
    wait_for(lambda: len(alerts.calls) == 4, what="delta sync")
    feeds = [n for n in dav.names(PRODUCT_FOLDER) if n.startswith("tiktok-feed-")]
    rows = [dav.file(f"{PRODUCT_FOLDER}/{n}").read_text(encoding="utf-8").splitlines()[1:] for n in feeds]
    assert sorted(len(r) for r in rows) == [1, 2]
    assert [r for r in rows if len(r) == 1][0][0].startswith('"A-1"|"Alpha, renamed"|')
    wait_for(lambda: watch.runs == 2, what="the watcher to count its second run")


def test_a_created_file_counts_once_its_size_settles(
        watched: tuple[FolderWatch, Path, DavServer, AlertServer, Log]) -> None:
    watch, folder, dav, alerts, log = watched
    write_inventory(folder / "inventory_main.xml", {"A-1": 5})      # written in place, never renamed

    wait_for(lambda: alerts.updates() == [("inventory", "create")], what="inventory sync")
    assert len(dav.names(INVENTORY_FOLDER)) == 1
    assert log.has("finished export: inventory_main.xml (inventory, size settled)")


def test_watch_takes_the_site_catalog_by_name_and_waits_for_it(tmp_path: Path) -> None:
    """Two catalogs that both define and assign products: which is the site's cannot be told from them,
    so `watch --site-catalog NAME` names it, as `sync` does; the sync waits until that file is there."""
    dav, alerts, folder = DavServer(tmp_path / "impex"), AlertServer(), tmp_path / "exports"
    folder.mkdir()
    write_pricebook(folder / "pricebook.xml", {"A-1": "10", "B-1": "12"})
    master = write_catalog(folder / "master.xml", {"A-1": "Alpha", "B-1": "Beta"})
    master.write_text(master.read_text(encoding="utf-8").replace('catalog-id="test-catalog"',
                                                                 'catalog-id="master"'), encoding="utf-8")
    lines: list[str] = []
    watcher = subprocess.Popen(
        [sys.executable, "-m", "connector.cli", "watch", str(folder), "--site-catalog", "storefront.xml",
         "--debounce", "0.2", "--site-id", "TestSite", "--instance", dav.url, "--user", DAV_USER,
         "--password", DAV_PASSWORD, "--tiktok-url", alerts.url, "--state-dir", str(tmp_path / "state")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    reader = threading.Thread(target=lambda: lines.extend(iter(watcher.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        wait_for(lambda: any("watching" in line for line in lines), what="the watcher to start")
        arrive(write_pricebook(folder / "sale.xml.part", {"A-1": "9"}), "sale.xml")
        wait_for(lambda: any(f"waiting for the site catalog {folder / 'storefront.xml'}" in line
                             for line in lines), what="the wait for the site catalog")
        assert alerts.calls == []
        arrive(write_catalog(folder / "storefront.xml.part", {"B-1": "Beta"}), "storefront.xml")
        wait_for(lambda: alerts.updates() == [("product", "delete"), ("product", "update")], what="the sync")
    finally:
        watcher.terminate()
        watcher.wait(timeout=10)
        reader.join(timeout=10)
        dav.stop()
        alerts.stop()
    feed = next(n for n in dav.names(PRODUCT_FOLDER) if n.startswith("tiktok-feed-"))
    rows = dav.file(f"{PRODUCT_FOLDER}/{feed}").read_text(encoding="utf-8").splitlines()[1:]
    assert [row.split("|")[0] for row in rows] == ['"B-1"'], "".join(lines)
