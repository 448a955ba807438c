"""A delta sync skips the rows whose inputs did not change (an input fingerprint kept in the snapshot) and
still carries exactly the SKUs whose line changed: the files, the summary and the snapshot are those of
formatting every row, with one process or two, and from a snapshot written before fingerprints."""

from __future__ import annotations

import dataclasses
import multiprocessing
import re
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from support.connector_servers import AlertServer, DavServer, settings_for
from support.sfcc import CATALOG_NS, PRICEBOOK_NS, PRODUCT_FOLDER, write_inventory

import connector.feed
import connector.rows
import connector.scratch
from connector.rows import Previous
from connector.scan import SiteInputs, scan_site
from connector.snapshot import Snapshot
from connector.sync import RunResult, Syncer
from fixtures.generate import generate

SITE = "FpSite"
TRACKING = f"{PRODUCT_FOLDER}/tracking/{SITE}"
# The tables of a snapshot written before fingerprints (connector/snapshot.py before issue 16 item 4b).
OLD_SCHEMA = """
CREATE TABLE sku (
    site TEXT NOT NULL, sku_id TEXT NOT NULL, item_group_id TEXT NOT NULL, price TEXT NOT NULL,
    row_hash TEXT NOT NULL, PRIMARY KEY (site, sku_id)) WITHOUT ROWID;
CREATE TABLE staged (
    site TEXT NOT NULL, run_id TEXT NOT NULL, sku_id TEXT NOT NULL, item_group_id TEXT NOT NULL,
    price TEXT NOT NULL, row_hash TEXT NOT NULL, PRIMARY KEY (site, run_id, sku_id)) WITHOUT ROWID;
CREATE INDEX staged_group ON staged (site, run_id, item_group_id);
CREATE TABLE site_state (site TEXT PRIMARY KEY, last_stamp TEXT, last_committed_run TEXT);
CREATE TABLE inventory_state (site TEXT PRIMARY KEY, digest TEXT NOT NULL) WITHOUT ROWID;
"""

# -- a small hand-written site, one value of it changed at a time -------------------------------------

# Two masters (one with its own variation attribute and a variation image group, one using the catalog's
# shared attribute), a variant with its own name, three simple products, one in two categories.
BASE = {
    "tee_name": "Crew Tee", "tee_long": "<p>Soft cotton</p>", "white_image": "tee-white.jpg",
    "blk_name": "Black Crew Tee", "blk_online": "true", "blk_default": ' default="true"', "wht_default": "",
    "nat_display": "Natural Oak", "misc_primary": "true", "sale_primary": "false",
    "tee_price": "20.00", "s2_price": "11.00", "s3_stock": 5,
    "currency": "USD", "storefront_url": "https://shop.example.com/s/{site_id}",
    "image_base_url": "https://img.example.com/images/", "google_product_category": "Apparel & Accessories",
}
ALL = {"TEE-BLK", "TEE-WHT", "FRAME-NAT", "FRAME-BLK", "S1", "S2", "S3"}


def _catalog(v: dict[str, Any]) -> str:
    def value(name: str, text: str) -> str:
        return (f'<variation-attribute-value value="{name}"><display-value xml:lang="x-default">{text}'
                "</display-value></variation-attribute-value>")

    def variant(sku: str, color: str, extra: str = "", online: str = "true") -> str:
        return (f'<product product-id="{sku}">{extra}<online-flag>{online}</online-flag><custom-attributes>'
                f'<custom-attribute attribute-id="color">{color}</custom-attribute></custom-attributes>'
                "</product>")

    def simple(sku: str) -> str:
        return (f'<product product-id="{sku}"><display-name xml:lang="x-default">Item {sku}</display-name>'
                "<online-flag>true</online-flag><images><image-group view-type=\"large\">"
                f'<image path="{sku}.jpg"/></image-group></images><brand>Acme</brand></product>')

    def assign(category: str, sku: str, primary: str = "false") -> str:
        return (f'<category-assignment category-id="{category}" product-id="{sku}">'
                f"<primary-flag>{primary}</primary-flag></category-assignment>")

    long = v["tee_long"].replace("<", "&lt;").replace(">", "&gt;")
    return "".join([
        f'<?xml version="1.0" encoding="UTF-8"?>\n<catalog xmlns="{CATALOG_NS}" catalog-id="fp-catalog">',
        '<product product-id="M-TEE">',
        f'<display-name xml:lang="x-default">{v["tee_name"]}</display-name>',
        f'<long-description xml:lang="x-default">{long}</long-description>',
        "<online-flag>true</online-flag><images>",
        '<image-group view-type="large"><image path="tee.jpg"/></image-group>',
        '<image-group view-type="large" variation-value="WHT">',
        f'<image path="{v["white_image"]}"/></image-group>',
        "</images><brand>Northbound</brand><variations><attributes>",
        '<variation-attribute attribute-id="color" variation-attribute-id="color">',
        '<display-name xml:lang="x-default">Color</display-name><variation-attribute-values>',
        value("BLK", "Black"), value("WHT", "White"),
        "</variation-attribute-values></variation-attribute></attributes><variants>",
        f'<variant product-id="TEE-BLK"{v["blk_default"]}/><variant product-id="TEE-WHT"{v["wht_default"]}/>',
        "</variants></variations></product>",
        variant("TEE-BLK", "BLK", f'<display-name xml:lang="x-default">{v["blk_name"]}</display-name>',
                v["blk_online"]),
        variant("TEE-WHT", "WHT"),
        '<product product-id="M-FRAME"><display-name xml:lang="x-default">Frame</display-name>',
        '<online-flag>true</online-flag><images><image-group view-type="large"><image path="frame.jpg"/>',
        "</image-group></images><brand>Hearth</brand><variations><attributes>",
        '<shared-variation-attribute attribute-id="color" variation-attribute-id="frame-color"/>',
        '</attributes><variants><variant product-id="FRAME-NAT"/><variant product-id="FRAME-BLK"/>',
        "</variants></variations></product>",
        variant("FRAME-NAT", "NAT"), variant("FRAME-BLK", "BLK"),
        simple("S1"), simple("S2"), simple("S3"),
        '<variation-attribute attribute-id="color" variation-attribute-id="frame-color">',
        '<display-name xml:lang="x-default">Color</display-name><variation-attribute-values>',
        value("NAT", v["nat_display"]), value("BLK", "Matte Black"),
        "</variation-attribute-values></variation-attribute>",
        assign("tops", "M-TEE"), assign("home", "M-FRAME"),
        assign("misc", "S1", v["misc_primary"]), assign("sale", "S1", v["sale_primary"]),
        assign("misc", "S2"), assign("misc", "S3"),
        "</catalog>\n",
    ])


def _pricebook(v: dict[str, Any], currency: str) -> str:
    prices = {"M-TEE": v["tee_price"], "FRAME-NAT": "30.00", "FRAME-BLK": "30.00", "S1": "10.00",
              "S2": v["s2_price"], "S3": "12.00"}
    tables = "".join(f'<price-table product-id="{sku}"><amount quantity="1">{amount}</amount></price-table>'
                     for sku, amount in prices.items())
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<pricebooks xmlns="{PRICEBOOK_NS}"><pricebook>'
            f'<header pricebook-id="{currency.lower()}-list"><currency>{currency}</currency>'
            f"<online-flag>true</online-flag></header><price-tables>{tables}</price-tables></pricebook>"
            "</pricebooks>\n")


def small_site(folder: Path, **change: Any) -> SiteInputs:
    """The hand-written site with `change` applied to BASE, written into `folder`."""
    v = {**BASE, **change}
    folder.mkdir(parents=True)
    (folder / "catalog.xml").write_text(_catalog(v), encoding="utf-8")
    books = []
    for currency in ("USD", "EUR"):  # the same amounts in both: the currency setting picks the book
        books.append(folder / f"pricebook-{currency}.xml")
        books[-1].write_text(_pricebook(v, currency), encoding="utf-8")
    stock = {sku: 5 for sku in ALL} | {"S3": v["s3_stock"]}
    inventory = write_inventory(folder / "inventory.xml", stock)
    return SiteInputs((folder / "catalog.xml",), tuple(books), (inventory,), SITE,
                      storefront_url=v["storefront_url"], image_base_url=v["image_base_url"],
                      google_product_category=v["google_product_category"], currency=v["currency"])


# -- running syncs --------------------------------------------------------------------------------------


def lines_by_sku(feed: bytes) -> dict[str, bytes]:
    """A feed's rows (without the header), by SKU ID."""
    return {line.split(b'"|"', 1)[0][1:].decode(): line for line in feed.splitlines(keepends=True)[1:]}


def export(inputs: SiteInputs, folder: Path) -> dict[str, bytes]:
    """Every row of the site, as `sfcc-connector export` writes it: the oracle for what changed."""
    folder.mkdir(parents=True, exist_ok=True)
    with scan_site(inputs) as scan:
        scan.write_feed(folder / "feed.csv")
    return lines_by_sku((folder / "feed.csv").read_bytes())


def changed_lines(day1: dict[str, bytes], day2: dict[str, bytes]) -> dict[str, bytes]:
    return {sku: line for sku, line in day2.items() if day1.get(sku) != line}


@dataclasses.dataclass
class Run:
    """One sync's files as dropped (feed, delete feed, tracker) and the summary it reported."""

    files: list[bytes]
    reported: list[str]
    result: RunResult


def sync(dav: DavServer, alerts: AlertServer, state: Path, inputs: SiteInputs, mode: str, **options: bool
         ) -> Run:
    reported: list[str] = []
    syncer = Syncer(settings_for(dav, alerts, state, SITE), log=lambda line: None, report=reported.append)
    try:
        result = syncer.sync_products(inputs, mode, **options)  # type: ignore[arg-type]
    finally:
        syncer.close()
    folders = (PRODUCT_FOLDER, PRODUCT_FOLDER, TRACKING)
    return Run([dav.file(f"{folder}/{name}").read_bytes() for folder, name in zip(folders, result.files[:3],
                                                                                   strict=True)],
               reported, result)


def committed(state: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(state / "snapshot.sqlite") as db:
        return db.execute("SELECT * FROM sku ORDER BY site, sku_id").fetchall()


def forget_fingerprints(state: Path) -> None:
    """What a snapshot of the old path holds: no fingerprints, so the next delta formats every row."""
    with sqlite3.connect(state / "snapshot.sqlite") as db:
        db.execute("UPDATE sku SET fingerprint = NULL, flags = NULL")


@pytest.fixture
def formatted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[[], list[str]]:
    """Records the SKU of every row formatted, in this process and in a forked worker (a file, appended
    line by line, which a forked worker inherits the patch to write); returns a call that reads them."""
    record = tmp_path / "formatted.txt"
    record.touch()
    real = connector.feed.format_feed_line

    def counted(values: Sequence[str]) -> str:
        with open(record, "a", encoding="utf-8") as out:
            out.write(values[0] + "\n")
        return real(values)

    monkeypatch.setattr(connector.rows, "format_feed_line", counted)

    def read() -> list[str]:
        skus = record.read_text(encoding="utf-8").splitlines()
        record.write_text("", encoding="utf-8")
        return skus

    return read


# -- each input a row is made of -------------------------------------------------------------------------

TEE, FRAME = {"TEE-BLK", "TEE-WHT"}, {"FRAME-NAT", "FRAME-BLK"}
# (the change, the SKUs carried, the SKUs deleted, the SKUs formatted: a change to a master reaches the
# fingerprint of each of its variants, so they are formatted even when their line stays the same).
CHANGES = [
    pytest.param({"blk_name": "Black Crew Tee v2"}, {"TEE-BLK"}, set(), {"TEE-BLK"}, id="variant-own-name"),
    pytest.param({"tee_name": "Classic Crew Tee"}, {"TEE-WHT"}, set(), TEE, id="master-name-inherited"),
    pytest.param({"tee_long": "<p>Softer cotton</p>"}, TEE, set(), TEE,
                 id="master-long-description-inherited"),
    pytest.param({"nat_display": "Light Oak"}, {"FRAME-NAT"}, set(), FRAME, id="shared-variation-value"),
    pytest.param({"white_image": "tee-white-v2.jpg"}, {"TEE-WHT"}, set(), TEE, id="image-group"),
    pytest.param({"s2_price": "11.50"}, {"S2"}, set(), {"S2"}, id="own-price"),
    pytest.param({"tee_price": "21.00"}, TEE, set(), TEE, id="price-inherited-from-master"),
    pytest.param({"s3_stock": 0}, {"S3"}, set(), {"S3"}, id="stock-to-zero"),
    pytest.param({"misc_primary": "false", "sale_primary": "true"}, {"S1"}, set(), {"S1"},
                 id="primary-category"),
    pytest.param({"blk_default": "", "wht_default": ' default="true"'}, TEE, set(), TEE,
                 id="default-variant"),
    pytest.param({"blk_online": "false"}, {"TEE-WHT"}, {"TEE-BLK"}, {"TEE-WHT"}, id="online-flag"),
    pytest.param({"storefront_url": "https://www.example.org/s/{site_id}"}, ALL, set(), ALL,
                 id="storefront-url"),
    pytest.param({"image_base_url": "https://cdn.example.org/"}, ALL, set(), ALL, id="image-base-url"),
    pytest.param({"currency": "EUR"}, ALL, set(), ALL, id="currency"),
    pytest.param({"google_product_category": "Home & Garden"}, ALL, set(), ALL, id="google-category"),
]


@pytest.mark.parametrize(("change", "carried", "deleted", "reformatted"), CHANGES)
def test_a_delta_carries_exactly_the_skus_a_changed_input_reaches(
    servers: tuple[DavServer, AlertServer], tmp_path: Path, change: dict[str, Any], carried: set[str],
    deleted: set[str], reformatted: set[str], formatted: Callable[[], list[str]],
) -> None:
    dav, alerts = servers
    day1, day2 = small_site(tmp_path / "day1"), small_site(tmp_path / "day2", **change)
    expected = changed_lines(export(day1, tmp_path / "export1"), export(day2, tmp_path / "export2"))
    assert set(expected) == carried  # the site changes what the case says
    full = sync(dav, alerts, tmp_path / "state", day1, "full")
    assert len(lines_by_sku(full.files[0])) == len(ALL) and sorted(formatted()) == sorted(ALL)
    delta = sync(dav, alerts, tmp_path / "state", day2, "delta")
    assert lines_by_sku(delta.files[0]) == expected  # exactly those SKUs, each with its new line
    assert set(delta.files[1].decode().split()) == deleted
    assert sorted(formatted()) == sorted(reformatted)  # the rest were not formatted


# -- rows not formatted, in one process and in two ----------------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[SiteInputs, SiteInputs]:
    """A generated site (4,000 SKUs) and the same a day later: 80 list prices (some hidden by a lower
    sale price), 5 product names and a master's brand changed, 3 products unassigned from the site
    catalog."""
    files, _ = generate(4000, tmp_path_factory.mktemp("site"), seed=5)
    later = dict(files)
    folder = tmp_path_factory.mktemp("later")

    def edit(name: str, pattern: str, replacement: str, count: int, flags: int = 0) -> None:
        later[name] = folder / files[name].name
        text = re.sub(pattern, replacement, files[name].read_text(encoding="utf-8"), count=count, flags=flags)
        later[name].write_text(text, encoding="utf-8")

    edit("pricebook-list", r">(\d+)\.95<", r">\1.15<", 80)
    edit("catalog-master", r'(<display-name xml:lang="x-default">)([^<]+)<', r"\1\2 (new)<", 5)
    edit("catalog-master", r"<brand>([^<]+)</brand>", r"<brand>\1 Co</brand>", 1)
    edit("catalog-storefront", r'<category-assignment category-id="[^"]+" product-id="P0000002\d">'
         r".*?</category-assignment>", "", 3, re.DOTALL)

    def inputs(site: dict[str, Path]) -> SiteInputs:
        return SiteInputs((site["catalog-master"], site["catalog-storefront"]),
                          (site["pricebook-list"], site["pricebook-sale"]), (site["inventory"],), SITE)

    return inputs(files), inputs(later)


def two_processes(monkeypatch: pytest.MonkeyPatch, two: bool) -> list[str]:
    """Rows joined in one process or two; returns the names of the workers started, as they start."""
    started: list[str] = []
    real = connector.scratch.Background.__init__

    def recorded(self: connector.scratch.Background, function: Callable[..., Any], args: tuple[object, ...],
                 parallel: bool) -> None:
        if parallel:
            started.append(getattr(function, "__name__", ""))
        real(self, function, args, parallel)

    monkeypatch.setattr(connector.scratch.Background, "__init__", recorded)
    monkeypatch.setattr(connector.scratch, "PARALLEL_MIN_BYTES", 0 if two else 1 << 62)
    # Forked, so the worker formats through the recording patch (the servers are stopped by then).
    monkeypatch.setattr(connector.scratch, "_context", lambda: multiprocessing.get_context("fork"))
    return started


@pytest.mark.parametrize("two", [False, True], ids=["one-process", "two-processes"])
def test_a_delta_formats_only_the_rows_whose_inputs_changed(
    generated: tuple[SiteInputs, SiteInputs], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    formatted: Callable[[], list[str]], two: bool,
) -> None:
    day1, day2 = generated
    later = export(day2, tmp_path / "export2")
    expected = changed_lines(export(day1, tmp_path / "export1"), later)
    assert 50 < len(expected) < 400
    # A changed master is formatted with all its variants, whether their lines changed or not.
    groups = {line.split(b'"|"')[9] for line in expected.values()}
    reached = {sku for sku, line in later.items() if line.split(b'"|"')[9] in groups}
    dav, alerts = DavServer(tmp_path / "impex"), AlertServer()
    try:
        sync(dav, alerts, tmp_path / "state", day1, "full")
    finally:
        dav.stop()
        alerts.stop()
    formatted()
    started = two_processes(monkeypatch, two)
    snapshot = Snapshot(tmp_path / "state", SITE)
    try:
        with scan_site(day2) as scan:
            skipping = list(scan.row_states(Previous(snapshot.path, SITE)))
            assert ("write_rows_part" in started) is two
        again = formatted()
        assert set(expected) <= set(again) <= reached and len(again) == len(set(again))
        with scan_site(day2) as scan:
            every = list(scan.row_states())
        assert len(formatted()) == len(every) > 3900
    finally:
        snapshot.close()
    assert {state.sku_id for state in skipping if state.line is not None} == set(again)
    assert [state[:6] for state in skipping] == [state[:6] for state in every]  # what is staged: the same
    assert [state.line for state in every if state.sku_id in expected] == [
        line.decode() for line in expected.values()]


# -- the same files as the old path -----------------------------------------------------------------------


@pytest.mark.parametrize("two", [False, True], ids=["one-process", "two-processes"])
@pytest.mark.parametrize("cartridge_compat", [False, True], ids=["line-rule", "cartridge-rule"])
def test_skipping_rows_changes_no_file_no_summary_and_no_snapshot_row(
    generated: tuple[SiteInputs, SiteInputs], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, two: bool,
    cartridge_compat: bool,
) -> None:
    """The old path is the same delta from a snapshot without fingerprints: every row formatted."""
    day1, day2 = generated
    monkeypatch.setattr(connector.scratch, "PARALLEL_MIN_BYTES", 0 if two else 1 << 62)
    runs, snapshots = [], []
    for skip in (True, False):
        dav, alerts = DavServer(tmp_path / f"impex-{skip}"), AlertServer()
        state = tmp_path / f"state-{skip}"
        try:
            sync(dav, alerts, state, day1, "full")
            if not skip:
                forget_fingerprints(state)
            runs.append(sync(dav, alerts, state, day2, "delta", cartridge_compat=cartridge_compat))
        finally:
            dav.stop()
            alerts.stop()
        snapshots.append(committed(state))
    skipped, old = runs
    assert skipped.files == old.files and skipped.reported == old.reported
    assert snapshots[0] == snapshots[1]  # fingerprints and flags too: the old path stages them anew
    assert 0 < skipped.result.feed_rows < 400 and skipped.result.deleted >= 3
    assert all(row[5] is not None for row in snapshots[0])


# -- a snapshot from before fingerprints, and a connector upgrade ------------------------------------------


def test_a_snapshot_from_before_fingerprints_still_syncs(
    servers: tuple[DavServer, AlertServer], tmp_path: Path, formatted: Callable[[], list[str]],
) -> None:
    """The first delta after the upgrade formats every row and carries only the changed ones; the next one
    skips the rows it fingerprinted."""
    dav, alerts = servers
    day1, day2 = small_site(tmp_path / "day1"), small_site(tmp_path / "day2", s2_price="12.25")
    sync(dav, alerts, tmp_path / "new", day1, "full")
    state = tmp_path / "state"
    state.mkdir()
    new = sqlite3.connect(tmp_path / "new" / "snapshot.sqlite")
    with sqlite3.connect(state / "snapshot.sqlite") as old:
        old.executescript(OLD_SCHEMA)
        old.executemany("INSERT INTO sku VALUES (?, ?, ?, ?, ?)",
                        new.execute("SELECT site, sku_id, item_group_id, price, row_hash FROM sku"))
        old.executemany("INSERT INTO site_state VALUES (?, ?, ?)", new.execute("SELECT * FROM site_state"))
    new.close()
    formatted()
    first = sync(dav, alerts, state, day2, "auto")
    assert first.result.mode == "delta" and set(lines_by_sku(first.files[0])) == {"S2"}
    assert sorted(formatted()) == sorted(ALL)
    again = sync(dav, alerts, state, day2, "delta")
    assert lines_by_sku(again.files[0]) == {} and formatted() == []
    assert {row[1] for row in committed(state)} == ALL and all(row[5] is not None for row in committed(state))


def test_an_upgraded_formatter_does_not_trust_the_fingerprints_of_the_old_one(
    servers: tuple[DavServer, AlertServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    formatted: Callable[[], list[str]],
) -> None:
    """The code that formats rows is part of each fingerprint: after an upgrade every row is formatted
    again, and a row whose line the new code makes differently is carried."""
    dav, alerts = servers
    site = small_site(tmp_path / "site")
    sync(dav, alerts, tmp_path / "state", site, "full")
    formatted()
    real = connector.rows.format_feed_line

    def upgraded(values: Sequence[str]) -> str:  # the new version writes S1's title in capitals
        return real([values[0], values[1].upper(), *values[2:]] if values[0] == "S1" else values)

    monkeypatch.setattr(connector.rows, "format_feed_line", upgraded)
    monkeypatch.setattr(connector.rows, "_code_digest", lambda: b"the upgraded formatter's source")
    delta = sync(dav, alerts, tmp_path / "state", site, "delta")
    assert list(lines_by_sku(delta.files[0])) == ["S1"]
    assert b'"ITEM S1"' in delta.files[0]
    assert sorted(formatted()) == sorted(ALL)


def test_a_row_whose_staged_values_are_sanitised_is_staged_as_formatted(
    servers: tuple[DavServer, AlertServer], tmp_path: Path,
) -> None:
    """A `|` in a master's ID is a space in its variants' item_group_id: a row is only skipped when the
    group and price it would stage are those the snapshot keeps, so the snapshot never gets the raw ID."""
    dav, alerts = servers
    variants = "".join(
        f'<product product-id="{sku}"><online-flag>true</online-flag></product>' for sku in ("V1", "V2"))
    (tmp_path / "catalog.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<catalog xmlns="{CATALOG_NS}" catalog-id="c">'
        '<product product-id="M|1"><display-name xml:lang="x-default">Tee</display-name>'
        '<online-flag>true</online-flag><variations><variants><variant product-id="V1"/>'
        f'<variant product-id="V2"/></variants></variations></product>{variants}'
        '<category-assignment category-id="tops" product-id="M|1"/></catalog>\n', encoding="utf-8")
    (tmp_path / "prices.xml").write_text(_pricebook({**BASE, "tee_price": "1"}, "USD").replace(
        'product-id="M-TEE"', 'product-id="M|1"'), encoding="utf-8")
    site = SiteInputs((tmp_path / "catalog.xml",), (tmp_path / "prices.xml",), (), SITE)
    sync(dav, alerts, tmp_path / "state", site, "full")
    after_full = committed(tmp_path / "state")
    assert [row[1:3] for row in after_full] == [("V1", "M 1"), ("V2", "M 1")]
    delta = sync(dav, alerts, tmp_path / "state", site, "delta")
    assert lines_by_sku(delta.files[0]) == {} and committed(tmp_path / "state") == after_full
