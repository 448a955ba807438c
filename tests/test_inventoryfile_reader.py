"""Reading SFCC inventory XML: per-record accuracy checks, and whole-file failures that apply nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.inventoryfile import InventoryFileError, InventoryRecord, read_inventory
from simulator.rules.profiles import get_profile

NS = "http://www.demandware.com/xml/impex/inventory/2007-05-31"
PROLOG = '<?xml version="1.0" encoding="UTF-8"?>'
HEADER_BODY = "<default-instock>false</default-instock>"
PREORDER = "<preorder-backorder-handling>preorder</preorder-backorder-handling>"


def inventory(*lists: tuple[str, str], namespace: str = NS, prolog: str = "") -> str:
    body = "".join(
        f'  <inventory-list>\n    <header list-id="{list_id}">{HEADER_BODY}</header>\n'
        f"    <records>\n{records}    </records>\n  </inventory-list>\n"
        for list_id, records in lists)
    return f'{PROLOG}\n{prolog}<inventory xmlns="{namespace}">\n{body}</inventory>\n'


def record(product_id: str, inner: str) -> str:
    return f'      <record product-id="{product_id}">{inner}</record>\n'


def read(tmp_path: Path, text: str) -> tuple[list[InventoryRecord], list]:
    path = tmp_path / "inventory-RefArch-20240315141530123.xml"
    path.write_text(text, encoding="utf-8")
    issues: list = []
    return list(read_inventory(path, get_profile(), issues.append)), issues


def test_quantities_ats_over_allocation_perpetual_cap_and_preorder(tmp_path: Path) -> None:
    records, issues = read(tmp_path, inventory(("inventory_m", "".join((
        record("ATS", "<allocation>10</allocation><ats>7</ats>"),
        record("ALLOC", "<allocation>12.0</allocation>"),
        record("PERP", "<allocation>0</allocation><perpetual>true</perpetual><ats>0</ats>"),
        record("BIG", "<allocation>250000</allocation>"),
        record("PRE", "<allocation>0</allocation>" + PREORDER +
                      "<preorder-backorder-allocation>5</preorder-backorder-allocation>"
                      "<in-stock-date>2025-03-01</in-stock-date>"),
    )))))
    got = {r.product_id: r for r in records}
    assert {pid: r.quantity for pid, r in got.items()} == {"ATS": 7, "ALLOC": 12, "PERP": 99999, "BIG": 99999,
                                                           "PRE": 0}
    assert got["PERP"].perpetual and not got["ATS"].perpetual
    assert (got["PRE"].handling, got["PRE"].preorder_allocation, got["PRE"].in_stock_date) == (
        "preorder", 5, "2025-03-01")
    assert (got["ATS"].line, got["ATS"].list_id) == (6, "inventory_m")
    assert [(i.code, i.severity, i.sku_id, i.value) for i in issues] == [
        ("INVENTORY_QUANTITY_CAPPED", "warning", "BIG", "250000")]


def test_bad_records_are_reported_and_skipped(tmp_path: Path) -> None:
    records, issues = read(tmp_path, inventory(
        ("inventory_m", "".join((
            record("NEG", "<allocation>-3</allocation>"),
            record("FRAC", "<ats>2.5</ats>"),
            record("TEXT", "<allocation>ten</allocation>"),
            record("OK", "<allocation>1</allocation>"),
            record("OK", "<allocation>2</allocation>"),
            record("NONE", ""),
            record("HANDLING", "<allocation>1</allocation><preorder-backorder-handling>maybe"
                               "</preorder-backorder-handling>"),
            '      <record><allocation>1</allocation></record>\n',
        ))),
        ("inventory_m_store_store1", record("OK", "<allocation>4</allocation>")),
    ))
    assert [(r.list_id, r.product_id, r.quantity) for r in records] == [
        ("inventory_m", "OK", 1), ("inventory_m_store_store1", "OK", 4)]
    assert [(i.code, i.line, i.sku_id, i.field) for i in issues] == [
        ("INVENTORY_QUANTITY_NEGATIVE", 6, "NEG", "allocation"),
        ("INVENTORY_QUANTITY_FRACTIONAL", 7, "FRAC", "ats"),
        ("INVENTORY_QUANTITY_MALFORMED", 8, "TEXT", "allocation"),
        ("INVENTORY_DUPLICATE_RECORD", 10, "OK", "product-id"),
        ("INVENTORY_QUANTITY_MISSING", 11, "NONE", "ats"),
        ("INVENTORY_FIELD_INVALID", 12, "HANDLING", "preorder-backorder-handling"),
        ("INVENTORY_PRODUCT_ID_MISSING", 13, None, "product-id"),
    ]
    assert all(i.severity == "error" for i in issues)


def _fails(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(InventoryFileError, match=match) as caught:
        read(tmp_path, text)
    assert caught.value.path.endswith(".xml")


def test_whole_file_failures(tmp_path: Path) -> None:
    good = inventory(("inventory_m", record("A", "<allocation>1</allocation>") * 1))
    _fails(tmp_path, good[: len(good) - 40], "truncated")
    _fails(tmp_path, inventory(("inventory_m", ""), namespace="http://example.com/other"),
           "namespace 'http://example.com/other' is not <inventory>")
    _fails(tmp_path, good.replace(' list-id="inventory_m"', ""), r":4: inventory list header has no list-id")
    _fails(tmp_path, "sku|qty\nA|1\n", "not well-formed XML")
    _fails(tmp_path, inventory(("x", ""), prolog='<!DOCTYPE inventory [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'),
           "DOCTYPE/ENTITY declarations are refused")


def test_a_truncated_file_fails_only_after_its_good_records(tmp_path: Path) -> None:
    """Callers must not apply anything before the iterator is exhausted: the error comes last."""
    many = "".join(record(f"SKU{n:05d}", "<allocation>1</allocation>") for n in range(3000))
    text = inventory(("inventory_m", many))
    path = tmp_path / "inventory.xml"
    path.write_text(text[: len(text) // 2])
    read_before_failure = 0
    with pytest.raises(InventoryFileError, match="truncated"):
        for _ in read_inventory(path, get_profile(), lambda issue: None):
            read_before_failure += 1
    assert read_before_failure > 1000
