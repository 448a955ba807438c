"""Bad SFCC input fails with file, line and field named, and leaves no output behind."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connector.export import export_full
from connector.inventory_export import write_inventory_export
from connector.scan import SiteInputs, scan_site
from connector.xmlsafe import XmlInputError

CATALOG = "http://www.demandware.com/xml/impex/catalog/2006-10-31"
PRICEBOOK = "http://www.demandware.com/xml/impex/pricebook/2006-10-31"
INVENTORY = "http://www.demandware.com/xml/impex/inventory/2007-05-31"
NOW = datetime(2024, 3, 15, 14, 15, 30, tzinfo=UTC)
GOOD_CATALOG = (
    f'<?xml version="1.0"?>\n<catalog xmlns="{CATALOG}" catalog-id="c">\n'
    '<product product-id="S1"><online-flag>true</online-flag></product>\n'
    '<category-assignment category-id="all" product-id="S1"/>\n</catalog>\n'
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def book(tables: str) -> str:
    return (
        f'<?xml version="1.0"?>\n<pricebooks xmlns="{PRICEBOOK}">\n<pricebook>\n'
        '<header pricebook-id="list"><currency>USD</currency></header>\n'
        f"<price-tables>\n{tables}\n</price-tables>\n</pricebook>\n</pricebooks>\n"
    )


def scan_error(tmp_path: Path, catalog: str = GOOD_CATALOG, pricebook: str | None = None) -> XmlInputError:
    books = (write(tmp_path, "book.xml", pricebook),) if pricebook else ()
    inputs = SiteInputs((write(tmp_path, "catalog.xml", catalog),), books, (), "RefArch")
    out = Path(tempfile.mkdtemp(dir=tmp_path))
    with pytest.raises(XmlInputError) as caught:
        export_full(inputs, out, NOW)
    assert list(out.iterdir()) == []
    return caught.value


def test_malformed_xml_names_file_and_line(tmp_path: Path) -> None:
    catalog = GOOD_CATALOG.replace("</online-flag></product>", "</online-flag></prodct>")
    error = scan_error(tmp_path, catalog)
    assert (Path(error.path).name, error.line) == ("catalog.xml", 3)
    assert "catalog.xml:3" in str(error)


def test_price_amount_that_is_not_a_number_names_line_and_field(tmp_path: Path) -> None:
    tables = '<price-table product-id="S1">\n<amount quantity="1">abc</amount>\n</price-table>'
    error = scan_error(tmp_path, pricebook=book(tables))
    assert (Path(error.path).name, error.line, error.field) == ("book.xml", 7, "amount")
    assert "'abc'" in str(error)


def test_missing_product_id_names_the_field(tmp_path: Path) -> None:
    catalog = GOOD_CATALOG.replace('product-id="S1"', "")
    error = scan_error(tmp_path, catalog)
    assert (error.line, error.field) == (3, "product-id")


def test_bad_boolean_and_date_name_the_field(tmp_path: Path) -> None:
    error = scan_error(tmp_path, GOOD_CATALOG.replace(">true<", ">yes<"))
    assert (error.line, error.field) == (3, "online-flag")
    dated = GOOD_CATALOG.replace("</online-flag>", "</online-flag><online-from>soon</online-from>")
    error = scan_error(tmp_path, dated)
    assert (error.line, error.field) == (3, "online-from")


def test_doctype_and_external_entities_are_refused(tmp_path: Path) -> None:
    secret = write(tmp_path, "secret.txt", "TOP-SECRET")
    catalog = GOOD_CATALOG.replace(
        "<catalog ", f'<!DOCTYPE catalog [<!ENTITY xxe SYSTEM "file://{secret}">]>\n<catalog '
    ).replace("<online-flag>", "<display-name>&xxe;</display-name><online-flag>")
    error = scan_error(tmp_path, catalog)
    assert "DOCTYPE" in str(error)


def test_a_file_of_the_wrong_kind_is_refused(tmp_path: Path) -> None:
    error = scan_error(tmp_path, book(""))
    assert "this is an SFCC price book export, not an SFCC catalog export (give it with --pricebook)" \
        in str(error)
    wrong_namespace = GOOD_CATALOG.replace("2006-10-31", "2099-01-01")
    error = scan_error(tmp_path, wrong_namespace)
    assert "namespace" in str(error)


def test_bad_inventory_value_fails_and_writes_no_export(tmp_path: Path) -> None:
    inventory = write(
        tmp_path,
        "inventory.xml",
        f'<?xml version="1.0"?>\n<inventory xmlns="{INVENTORY}">\n<inventory-list>\n'
        '<header list-id="inv"><default-instock>false</default-instock></header>\n<records>\n'
        '<record product-id="A"><allocation>-1</allocation></record>\n'
        "</records>\n</inventory-list>\n</inventory>\n",
    )
    target = tmp_path / "out" / "inventory-RefArch.xml"
    target.parent.mkdir()
    with pytest.raises(XmlInputError) as caught:
        write_inventory_export([inventory], target)
    assert (caught.value.line, caught.value.field) == (6, "allocation")
    assert list(target.parent.iterdir()) == []


def test_scan_errors_leave_no_scratch_files(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    inputs = SiteInputs((write(tmp_path, "c.xml", GOOD_CATALOG.replace("</catalog>", "")),), (), (), "R")
    with pytest.raises(XmlInputError):
        scan_site(inputs, NOW, work_dir=work)
    assert list(work.iterdir()) == []


def test_a_missing_input_file_is_an_input_error(tmp_path: Path) -> None:
    inputs = SiteInputs((tmp_path / "nope.xml",), (), (), "RefArch")
    with pytest.raises(XmlInputError, match="nope.xml: cannot read"):
        scan_site(inputs, NOW)
