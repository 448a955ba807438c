"""Inventory lists: stock facts for the feed, and the merged, sorted inventory export file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

from connector.inventory import ListHeader, StockRecord, read_inventory
from connector.inventory_export import write_inventory_export
from connector.names import inventory_file_name

INVENTORY = "http://www.demandware.com/xml/impex/inventory/2007-05-31"
SCHEMA = Path(__file__).resolve().parent.parent / "fixtures" / "sfcc-schemas" / "inventory.xsd"


def inventory_file(path: Path, lists: dict[str, list[tuple[str, str]]]) -> Path:
    body = "".join(
        f'<inventory-list><header list-id="{list_id}"><default-instock>false</default-instock></header>'
        "<records>"
        + "".join(f'<record product-id="{pid}">{inner}</record>' for pid, inner in records)
        + "</records></inventory-list>\n"
        for list_id, records in lists.items()
    )
    path.write_text(f'<?xml version="1.0"?>\n<inventory xmlns="{INVENTORY}">\n{body}</inventory>\n', "utf-8")
    return path


def test_stock_rule_ats_or_perpetual(tmp_path: Path) -> None:
    path = inventory_file(
        tmp_path / "i.xml",
        {
            "main": [
                ("ATS", "<allocation>0</allocation><ats>2</ats>"),
                ("ALLOC", "<allocation>5</allocation><ats>0</ats>"),
                ("NO-ATS", "<allocation>5</allocation><turnover>2</turnover><on-order>1</on-order>"),
                ("SOLD", "<allocation>5</allocation><turnover>3</turnover><on-order>2</on-order>"),
                ("PERP", "<allocation>0</allocation><perpetual>true</perpetual>"),
                ("NONE", "<allocation>0</allocation><perpetual>false</perpetual><ats>0</ats>"),
                (
                    "PRE",
                    "<allocation>0</allocation><preorder-backorder-handling>preorder</preorder-backorder-handling>"
                    "<preorder-backorder-allocation>5</preorder-backorder-allocation><ats>0</ats>",
                ),
            ]
        },
    )
    records = list(read_inventory(path))
    assert records[0] == ListHeader("main", False)
    assert {r.product_id: r.in_stock for r in records if isinstance(r, StockRecord)} == {
        "ATS": True,
        "ALLOC": False,  # allocation used up by orders: ATS 0 is what counts
        "NO-ATS": True,  # no `ats`: allocation - turnover - on-order = 2
        "SOLD": False,
        "PERP": True,
        "NONE": False,
        "PRE": False,
    }


def test_export_holds_every_list_with_records_sorted_and_validates(tmp_path: Path) -> None:
    first = inventory_file(
        tmp_path / "a.xml",
        {
            "inventory_m": [
                ("B-2", "<allocation>3</allocation><perpetual>false</perpetual><ats>3</ats>"),
                (
                    "A-1",
                    "<allocation>0</allocation><allocation-timestamp>2024-03-01T10:00:00.000Z</allocation-timestamp>"
                    "<perpetual>false</perpetual><preorder-backorder-handling>none</preorder-backorder-handling>"
                    "<ats>0</ats><on-order>0</on-order><turnover>-2</turnover>",
                ),
            ]
        },
    )
    second = inventory_file(
        tmp_path / "b.xml",
        {"store1": [("Z", "<allocation>1</allocation>"), ("C", "<allocation>2</allocation>")]},
    )
    target = tmp_path / "out.xml"
    assert write_inventory_export([first, second], target) == 4
    document = etree.parse(str(target))
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    assert schema.validate(document), schema.error_log
    ns = {"i": INVENTORY}
    lists = document.findall("i:inventory-list", ns)
    assert [item.find("i:header", ns).get("list-id") for item in lists] == ["inventory_m", "store1"]
    assert [[r.get("product-id") for r in item.iterfind("i:records/i:record", ns)] for item in lists] == [
        ["A-1", "B-2"],
        ["C", "Z"],
    ]
    assert document.find(".//i:record[@product-id='A-1']/i:turnover", ns).text == "-2"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("TEMP_")] == []


def test_inventory_file_name_is_utc_with_milliseconds() -> None:
    moment = datetime(2024, 3, 15, 14, 15, 30, 123456, tzinfo=UTC)
    assert inventory_file_name("RefArch", moment) == "inventory-RefArch-20240315141530123.xml"
