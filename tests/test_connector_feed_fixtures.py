"""The bundled RefArch site (fixtures/sfcc) exported end to end, checked against fixtures/feeds."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

from connector.export import export_full
from connector.feed import FEED_HEADER, format_feed_line
from connector.inventory_export import write_inventory_export
from connector.scan import SiteInputs, scan_site

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SFCC = FIXTURES / "sfcc"
HOST = "https://zzrf-001.dx.commercecloud.salesforce.com"
SELLABLE = {
    "ACC-BEANIE-01",
    "ACC-TOTE-01",
    "ACC-WALLET-MONO",
    "BELT-LTH-001",
    "BLAZER-BLK-4",
    "BLAZER-BLK-6",
    "BLAZER-BLK-8",
    "BLAZER-NVY-6",
    "BLAZER-NVY-8",
    "BNDL-COFFEE",
    "DUVET-OAT-KING",
    "DUVET-OAT-QUEEN",
    "DUVET-SAGE-KING",
    "DUVET-SAGE-QUEEN",
    "FRAME-BLK-12IN",
    "FRAME-BLK-8IN",
    "FRAME-NAT-12IN",
    "FRAME-NAT-8IN",
    "HOME-CANDLE-01",
    "HOME-MIRROR-NOIMG",
    "HOME-RUG-LONG",
    "KIT-BOTTLE-750",
    "KIT-DRIP-01",
    "KIT-GRINDER-RF",
    "TEE-CREW-BLK-L",
    "TEE-CREW-BLK-M",
    "TEE-CREW-BLK-S",
    "TEE-CREW-WHT-L",
    "TEE-CREW-WHT-M",
    "TEE-CREW-WHT-S",
}


def site(
    catalogs: tuple[str, ...] = ("catalog-master.xml", "catalog-storefront.xml"),
    list_book: str = "pricebook-list.xml",
) -> SiteInputs:
    return SiteInputs(
        catalogs=tuple(SFCC / name for name in catalogs),
        pricebooks=(SFCC / list_book, SFCC / "pricebook-sale.xml"),
        inventories=(SFCC / "inventory.xml",),
        site_id="RefArch",
        image_base_url=f"{HOST}/on/demandware.static/-/Sites-sim-master-catalog/default/images/",
        storefront_url=HOST + "/s/{site_id}",
    )


def test_full_export_of_the_fixture_site(tmp_path: Path) -> None:
    result = export_full(site(), tmp_path, datetime(2024, 3, 15, 14, 15, 30, tzinfo=UTC))
    assert result.feed == tmp_path / "tiktok-feed-RefArch-20240315021530-en_US.txt"
    assert result.rows == 30
    lines = result.feed.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[0] == format_feed_line(FEED_HEADER)
    assert {line.split("|")[0].strip('"') for line in lines[1:]} == SELLABLE


def test_rows_match_the_cartridge_format_sample_feed() -> None:
    sample = (FIXTURES / "feeds" / "tiktok-feed-RefArch-20240315021530-en_US.txt").read_text(encoding="utf-8")
    expected = {line.split("|")[0].strip('"'): line for line in sample.splitlines(keepends=True)[2:]}
    with scan_site(site(), datetime(2024, 3, 15, 14, 15, 30, tzinfo=UTC)) as scan:
        produced = {row[0]: format_feed_line(row) for row in scan.rows()}
    assert len(expected) == 7
    for sku, line in expected.items():
        assert produced[sku] == line


def test_delta_import_deletes_and_adds() -> None:
    inputs = site(
        ("catalog-master.xml", "changes/catalog-delta-import.xml", "changes/catalog-storefront-changed.xml"),
        list_book="changes/pricebook-list-changed.xml",
    )
    with scan_site(inputs, datetime(2024, 3, 16, tzinfo=UTC)) as scan:
        rows = {row[0]: dict(zip(FEED_HEADER, row, strict=True)) for row in scan.rows()}
        assert "ACC-TOTE-01" in scan.deleted_ids
    assert set(rows) == SELLABLE - {"ACC-TOTE-01"} | {"KIT-MUG-02"}
    assert (rows["KIT-MUG-02"]["price"], rows["KIT-MUG-02"]["product_category"]) == (
        "16 USD",
        "kitchen-drinkware",
    )
    assert rows["KIT-BOTTLE-750"]["title"] == "Insulated Steel Water Bottle, 25 oz"


def test_inventory_export_of_the_fixture_site_validates(tmp_path: Path) -> None:
    target = tmp_path / "inventory-RefArch-20240315141530000.xml"
    source = etree.parse(str(SFCC / "inventory.xml"))
    assert write_inventory_export([SFCC / "inventory.xml"], target) == len(source.findall(".//{*}record"))
    schema = etree.XMLSchema(etree.parse(str(FIXTURES / "sfcc-schemas" / "inventory.xsd")))
    assert schema.validate(etree.parse(str(target))), schema.error_log
