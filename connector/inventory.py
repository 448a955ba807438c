"""Read SFCC inventory list exports: per-SKU stock for the feed, and validated records for copying.

Every record is checked against the schema's value types while it streams past, so a copy made
from it (the inventory export) never carries a value SFCC would reject.

In stock means ATS > 0 or perpetual, the test the cartridge itself writes for its `onlineandinstock`
field (ProductFieldMapper.ds): allocation alone says nothing once orders have used it up. A record
without `ats` (store lists often have none) gets the platform's formula, allocation plus
preorder/backorder allocation minus turnover minus on-order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from lxml import etree

from connector.records import (
    iter_records,
    local,
    parse_bool,
    parse_datetime,
    parse_decimal,
    release,
    required_attribute,
    tag_codes,
    text_of,
)
from connector.xmlsafe import XmlInputError

INVENTORY_NS = "http://www.demandware.com/xml/impex/inventory/2007-05-31"
_NS_DECLARATION = f' xmlns="{INVENTORY_NS}"'
_HANDLING = frozenset({"none", "preorder", "backorder"})
# Each amount's sign in the platform's ATS formula (dw.catalog.ProductInventoryRecord.getATS).
_ATS_TERMS = {"allocation": 1, "preorder-backorder-allocation": 1, "turnover": -1, "on-order": -1}
_SIGNED_AMOUNTS = frozenset({"on-order", "turnover"})
# A record's children by name: `ats`, the formula's terms, then what is only checked.
_ATS, _PERPETUAL, _TIMESTAMP, _DATE = 0, 5, 6, 7
_RECORD_CHILD = tag_codes({
    "ats": _ATS, **dict.fromkeys(_ATS_TERMS, 1), "perpetual": _PERPETUAL,
    "allocation-timestamp": _TIMESTAMP, "in-stock-datetime": _TIMESTAMP, "in-stock-date": _DATE,
    "preorder-backorder-handling": 8,
})


@dataclass(frozen=True, slots=True)
class ListHeader:
    """An inventory list's header; `xml` is its serialised element when asked for."""

    list_id: str
    default_instock: bool
    xml: str = ""


@dataclass(frozen=True, slots=True)
class StockRecord:
    """One record of the last ListHeader: in stock when ATS > 0 or perpetual (module docstring)."""

    product_id: str
    in_stock: bool
    xml: str = ""
    ats_positive: bool = False


def read_inventory(path: Path, with_xml: bool = False) -> Iterator[ListHeader | StockRecord]:
    """Each list's header, then its records (records with `mode="delete"` are skipped)."""
    for element in iter_records(path, INVENTORY_NS, "inventory", ("header", "record")):
        if local(element.tag) == "header":
            yield _header(path, element, with_xml)
        else:
            record = _record(path, element, with_xml)
            if element.get("mode") is None:
                yield record
        release(element)


def serialise(element: etree._Element) -> str:
    """The element as text without the inventory namespace declaration the output root carries."""
    return etree.tostring(element, encoding="unicode", with_tail=False).replace(_NS_DECLARATION, "", 1)


def _header(path: Path, header: etree._Element, with_xml: bool) -> ListHeader:
    default_instock: bool | None = None
    for child in header:
        tag = local(child.tag)
        if tag == "default-instock":
            default_instock = parse_bool(path, child)
        elif tag in ("use-bundle-inventory-only", "on-order"):
            parse_bool(path, child)
    if default_instock is None:
        raise XmlInputError(path, header.sourceline, "default-instock", "inventory list header has none")
    return ListHeader(
        required_attribute(path, header, "list-id"), default_instock, serialise(header) if with_xml else ""
    )


def _record(path: Path, record: etree._Element, with_xml: bool) -> StockRecord:
    product_id = required_attribute(path, record, "product-id")
    perpetual = False
    ats: Decimal | None = None
    formula = Decimal(0)
    for child in record:
        code = _RECORD_CHILD(child.tag)
        if code < 0:
            continue
        if code == _ATS:
            ats = parse_decimal(path, child, text_of(child), "ats")
        elif code < _PERPETUAL:
            tag = local(child.tag)
            amount = parse_decimal(path, child, text_of(child), tag, signed=tag in _SIGNED_AMOUNTS)
            formula += _ATS_TERMS[tag] * amount
        elif code == _PERPETUAL:
            perpetual = parse_bool(path, child) is True
        elif code == _TIMESTAMP:
            parse_datetime(path, child)
        elif code == _DATE:
            _date(path, child)
        elif text_of(child).strip() not in _HANDLING:
            raise XmlInputError(path, child.sourceline, "preorder-backorder-handling",
                                f"not none/preorder/backorder: {text_of(child)!r}")
    positive = (formula if ats is None else ats) > 0
    return StockRecord(product_id, perpetual or positive, serialise(record) if with_xml else "", positive)


def _date(path: Path, element: etree._Element) -> None:
    try:
        date.fromisoformat(text_of(element).strip()[:10])
    except ValueError:
        raise XmlInputError(
            path, element.sourceline, local(element.tag), f"not a date: {text_of(element)!r}"
        ) from None
