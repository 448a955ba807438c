"""Bundled SFCC fixtures are valid exports; bad ones fail where documented; feeds match the cartridge."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from lxml import etree

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SCHEMAS = FIXTURES / "sfcc-schemas"
NAMESPACES = {
    "http://www.demandware.com/xml/impex/catalog/2006-10-31": "catalog.xsd",
    "http://www.demandware.com/xml/impex/pricebook/2006-10-31": "pricebook.xsd",
    "http://www.demandware.com/xml/impex/inventory/2007-05-31": "inventory.xsd",
}
SFCC_FILES = sorted((FIXTURES / "sfcc").rglob("*.xml"))
FEEDS = FIXTURES / "feeds"
HEADER = ["sku_id", "title", "description", "image_urls", "landing_page_url", "product_category",
          "sale_regions", "availability", "price", "item_group_id", "variation_properties",
          "is_default_variant", "brand", "google_product_category", "condition"]


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _schema_for(root: etree._Element) -> etree.XMLSchema:
    namespace = etree.QName(root).namespace
    assert namespace in NAMESPACES, f"unexpected namespace {namespace}"
    return etree.XMLSchema(etree.parse(str(SCHEMAS / NAMESPACES[namespace]), _parser()))


def test_all_site_files_are_present() -> None:
    names = {path.relative_to(FIXTURES / "sfcc").as_posix() for path in SFCC_FILES}
    assert {"catalog-master.xml", "catalog-storefront.xml", "pricebook-list.xml", "pricebook-sale.xml",
            "inventory.xml", "changes/catalog-master-changed.xml", "changes/catalog-delta-import.xml",
            "changes/pricebook-list-changed.xml", "changes/catalog-storefront-changed.xml"} <= names


@pytest.mark.parametrize("path", SFCC_FILES, ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_site_file_validates_against_bundled_xsd(path: Path) -> None:
    document = etree.parse(str(path), _parser())
    schema = _schema_for(document.getroot())
    assert schema.validate(document), schema.error_log


@pytest.mark.parametrize(("name", "line"), [("malformed-catalog.xml", 12), ("truncated-inventory.xml", 32)])
def test_broken_xml_fails_at_documented_line(name: str, line: int) -> None:
    with pytest.raises(etree.XMLSyntaxError) as error:
        etree.parse(str(FIXTURES / "bad" / name), _parser())
    assert error.value.lineno == line


@pytest.mark.parametrize("name", ["xxe-catalog.xml", "xxe-inventory.xml"])
def test_xxe_files_declare_an_external_entity_that_a_safe_parser_leaves_unread(name: str) -> None:
    raw = (FIXTURES / "bad" / name).read_text(encoding="utf-8")
    assert '<!ENTITY xxe SYSTEM "file:///etc/passwd">' in raw
    document = etree.parse(str(FIXTURES / "bad" / name), _parser())
    assert "root:" not in etree.tostring(document, encoding="unicode")


def test_billion_laughs_is_not_expanded_by_a_safe_parser() -> None:
    path = FIXTURES / "bad" / "billion-laughs-catalog.xml"
    assert "<!ENTITY lol9" in path.read_text(encoding="utf-8")
    try:
        document = etree.parse(str(path), _parser())
    except etree.XMLSyntaxError:
        return
    assert len(etree.tostring(document)) < 10_000


def test_wrong_namespace_inventory_is_well_formed_but_not_an_sfcc_inventory() -> None:
    document = etree.parse(str(FIXTURES / "bad" / "wrong-namespace-inventory.xml"), _parser())
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "inventory.xsd"), _parser()))
    assert etree.QName(document.getroot()).namespace not in NAMESPACES
    assert not schema.validate(document)


def _feed_bytes(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


def test_quoted_feed_is_in_the_cartridge_format() -> None:
    name = "tiktok-feed-RefArch-20240315021530-en_US.txt"
    assert re.fullmatch(r"tiktok-feed-RefArch-\d{14}-en_US\.txt", name)
    raw = _feed_bytes(name)
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw and raw.endswith(b"\n")
    lines = raw.decode("utf-8").split("\n")[:-1]
    assert all(line.startswith('"') and line.endswith('"') for line in lines)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8")), delimiter="|", quotechar='"', doublequote=True))
    assert rows[0] == HEADER
    assert len(rows) == 9 and all(len(row) == 15 for row in rows)
    reference = dict(zip(HEADER, rows[1], strict=True))
    assert reference["sku_id"] == "701643421084M" and reference["price"] == "129 USD"
    assert reference["variation_properties"] == '{"Color":"Black","Size":"8"}'
    assert reference["image_urls"].startswith('{"images":["https://')
    frame = next(dict(zip(HEADER, row, strict=True)) for row in rows if row[0] == "FRAME-NAT-12IN")
    assert frame["variation_properties"] == '{"Color":"Natural Oak","Size":"12\\\\" Frame"}'
    assert '"{""Color"":""Natural Oak"",""Size"":""12\\\\"" Frame""}"' in raw.decode("utf-8")


def test_unquoted_feed_has_the_same_values() -> None:
    quoted_text = _feed_bytes("tiktok-feed-RefArch-20240315021530-en_US.txt").decode("utf-8")
    quoted = list(csv.reader(io.StringIO(quoted_text), delimiter="|"))
    plain_lines = _feed_bytes("tiktok-feed-unquoted.txt").decode("utf-8").split("\n")
    assert plain_lines[-1] == ""
    plain = [line.split("|") for line in plain_lines[:-1]]
    assert plain == quoted


def test_delete_feeds() -> None:
    expected = b"ACC-TOTE-01\nTEE-CREW-WHT-S\nBLAZER-NVY-4\n"
    assert _feed_bytes("delete-feed-RefArch-20240315141531.txt") == expected
    assert _feed_bytes("delete-feed-RefArch-20240315141532.txt") == b""
