"""Steps for site_catalog.feature: which products and categories the site catalog gives, and the stock.

The merchant's edits work on private copies of the bundled exports (the `site` fixture); the feeds are
read back over WebDAV as TikTok Shop reads them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixture_facts import SITE
from harness import (
    Connector,
    ShopBefore,
    Sim,
    SiteEditor,
    new_files,
    new_jobs,
    read_feed,
    remember_shop,
    synced,
)
from lxml import etree
from pytest_bdd import parsers, scenarios, then, when
from support.sfcc import CATALOG_NS, INVENTORY_FOLDER, INVENTORY_NS, PRODUCT_FOLDER

scenarios("site_catalog.feature")

_SAFE = etree.XMLParser(resolve_entities=False, no_network=True)
_C, _I = f"{{{CATALOG_NS}}}", f"{{{INVENTORY_NS}}}"


def _feed(sim: Sim, before: ShopBefore, prefix: str) -> str:
    (name,) = [name for name in new_files(sim, before, PRODUCT_FOLDER) if name.startswith(prefix)]
    return name


def _rows(sim: Sim, before: ShopBefore) -> dict[str, dict[str, str]]:
    """The rows of the product feed the last sync dropped, by SKU."""
    return {row["sku_id"]: row for row in read_feed(sim, _feed(sim, before, "tiktok-feed-"))}


def _write(tree: etree._ElementTree, path: Path) -> None:
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")


@pytest.fixture
def inventory_copy(site: SiteEditor, tmp_path: Path) -> Path:
    """A private copy of the bundled inventory export that the merchant may edit."""
    path = tmp_path / "site" / "inventory.xml"
    path.write_bytes((SITE / "inventory.xml").read_bytes())
    site.connector.inventories[:] = [path]
    return path


# -- syncs ------------------------------------------------------------------------------------------

@when("the connector runs a sync without a mode", target_fixture="before")
def _plain_sync(connector: Connector, inventory_copy: Path) -> ShopBefore:
    return synced(connector)


@when("the connector runs a sync without a mode, with --no-inventory", target_fixture="before")
def _sync_without_inventory(connector: Connector) -> ShopBefore:
    return synced(connector, "--no-inventory")


def _storefront_copy(tmp_path: Path, catalog_id: str, keep_assignments: bool) -> Path:
    tree = etree.parse(str(SITE / "catalog-storefront.xml"), _SAFE)
    tree.getroot().set("catalog-id", catalog_id)
    if not keep_assignments:
        for assignment in tree.getroot().findall(f"{_C}category-assignment"):
            tree.getroot().remove(assignment)
    path = tmp_path / f"{catalog_id}.xml"
    _write(tree, path)
    return path


@when(parsers.parse("the connector runs a full sync with {catalogs}"), target_fixture="before")
def _sync_with(connector: Connector, sim: Sim, tmp_path: Path, catalogs: str) -> ShopBefore:
    extra: list[str] = []
    if catalogs == "the price book given as --site-catalog":
        extra = ["--site-catalog", str(SITE / "pricebook-list.xml")]
    elif catalogs == "a --site-catalog that assigns no product":
        empty = _storefront_copy(tmp_path, "empty-storefront", keep_assignments=False)
        extra = ["--site-catalog", str(empty)]
    elif catalogs == "a second storefront catalog with another catalog-id":
        connector.catalogs.append(_storefront_copy(tmp_path, "other-storefront", keep_assignments=True))
    elif catalogs == "the storefront catalog of the edited site":
        connector.catalogs[1] = SITE / "changes" / "catalog-storefront-changed.xml"
    else:
        raise AssertionError(f"unknown catalogs: {catalogs}")
    before = remember_shop(sim)
    connector.run("sync", "--full", *connector.inputs(), *connector.settings(), *extra, expect_ok=False)
    sim.wait_all_jobs()
    return before


# -- the merchant's edits ---------------------------------------------------------------------------

@when(parsers.parse('the merchant sets the ATS of "{sku}" to {ats:d}'))
def _set_ats(inventory_copy: Path, sku: str, ats: int) -> None:
    tree = etree.parse(str(inventory_copy), _SAFE)
    for record in tree.getroot().iter(f"{_I}record"):
        if record.get("product-id") == sku and record.find(f"{_I}ats") is not None:
            record.find(f"{_I}ats").text = str(ats)
            record.find(f"{_I}allocation").text = str(ats)
    _write(tree, inventory_copy)


@when(parsers.parse('the merchant takes "{first}" and "{second}" offline'))
def _offline(site: SiteEditor, first: str, second: str) -> None:
    path = site.master_catalog()
    tree = etree.parse(str(path), _SAFE)
    for product_id in (first, second):
        site.product(tree, product_id).find(f"{_C}online-flag").text = "false"
    _write(tree, path)


# -- what the feeds hold ----------------------------------------------------------------------------

@then(parsers.parse('the product feed has no row for "{sku}"'))
def _no_row(sim: Sim, before: ShopBefore, sku: str) -> None:
    rows = _rows(sim, before)
    assert rows and sku not in rows


@then(parsers.parse('TikTok Shop has no product with the SKU "{sku}"'))
def _not_on_tiktok(sim: Sim, sku: str) -> None:
    sim.wait_all_jobs()
    assert all(s["seller_sku"] != sku for product in sim.products() for s in product["skus"])


@then(parsers.parse('the export summary counts "{sku}" as skipped because it is not in the site catalog'))
def _summary(connector: Connector, sku: str) -> None:
    assert f"skipped, not in site catalog: 1 ({sku})" in connector.output, connector.output


@then(parsers.parse('the product feed gives "{sku}" the product_category "{category}"'))
def _category(sim: Sim, before: ShopBefore, sku: str, category: str) -> None:
    assert _rows(sim, before)[sku]["product_category"] == category


@then(parsers.parse('the product feed gives every variant of "{master}" the product_category "{category}"'))
def _variant_categories(sim: Sim, before: ShopBefore, master: str, category: str) -> None:
    variants = [row for row in _rows(sim, before).values() if row["item_group_id"] == master]
    assert len(variants) == 6 and {row["product_category"] for row in variants} == {category}


@then("no row of the product feed has an empty product_category")
def _no_empty_category(sim: Sim, before: ShopBefore) -> None:
    assert all(row["product_category"] for row in _rows(sim, before).values())


@then(parsers.parse('the product feed says "{sku}" is "{availability}"'))
def _availability(sim: Sim, before: ShopBefore, sku: str, availability: str) -> None:
    assert _rows(sim, before)[sku]["availability"] == availability


@then("an inventory feed was dropped and TikTok Shop was alerted to create inventory")
def _inventory_sent(sim: Sim, before: ShopBefore) -> None:
    assert len(new_files(sim, before, INVENTORY_FOLDER)) == 1
    kinds = [(job["feed_type"], job["update_type"], job["state"]) for job in new_jobs(sim, before)]
    assert ("inventory", "create", "completed") in kinds, kinds


@then("no inventory feed was dropped, because no stock figure changed")
@then("no inventory feed was dropped")
def _no_inventory(sim: Sim, before: ShopBefore) -> None:
    assert new_files(sim, before, INVENTORY_FOLDER) == []
    assert all(job["feed_type"] == "product" for job in new_jobs(sim, before))


@then(parsers.parse('the dropped inventory feed gives "{sku}" an ATS of {ats:d}'))
def _dropped_ats(sim: Sim, before: ShopBefore, sku: str, ats: int) -> None:
    (name,) = new_files(sim, before, INVENTORY_FOLDER)
    status, body = sim.dav("GET", f"{INVENTORY_FOLDER}/{name}")
    assert status == 200
    found = {record.findtext(f"{_I}ats") for record in etree.fromstring(body, _SAFE).iter(f"{_I}record")
             if record.get("product-id") == sku}
    assert str(ats) in found, found


@then(parsers.parse('the delete feed lists "{sku}" only'))
def _deleted(sim: Sim, before: ShopBefore, sku: str) -> None:
    status, body = sim.dav("GET", f"{PRODUCT_FOLDER}/{_feed(sim, before, 'delete-feed-')}")
    assert status == 200 and body.decode("utf-8") == f"{sku}\n"


@then(parsers.parse('the export summary says "{sku}" was kept out of the delete feed'))
def _kept(connector: Connector, sku: str) -> None:
    kept = [line for line in connector.output.splitlines() if "kept out of the delete feed" in line]
    assert len(kept) == 1 and kept[0].endswith(f": 1 ({sku})"), connector.output


# -- refusals and warnings --------------------------------------------------------------------------

@then(parsers.parse('the connector exits with status 1 and one error line that says "{message}"'))
def _refused(connector: Connector, message: str) -> None:
    errors = [line for line in connector.output.splitlines() if line.startswith("error:")]
    assert connector.exit_code == 1 and len(errors) == 1 and message in errors[0], connector.output


@then("nothing was dropped and TikTok Shop was not alerted")
def _nothing_sent(sim: Sim, before: ShopBefore) -> None:
    assert new_files(sim, before, PRODUCT_FOLDER) == [] and new_files(sim, before, INVENTORY_FOLDER) == []
    assert new_jobs(sim, before) == []


@then(parsers.parse('the connector warns that the site catalog assigns 1 product that no given catalog '
                    'defines: "{sku}"'))
def _undefined_warning(connector: Connector, sku: str) -> None:
    warnings = [line for line in connector.output.splitlines() if line.startswith("warning:")]
    assert connector.exit_code == 0, connector.output
    expected = f"assigns products that no given catalog defines: 1 ({sku})"
    assert any(expected in line for line in warnings), warnings

