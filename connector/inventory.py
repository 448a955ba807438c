"""Read SFCC inventory list exports: per-SKU stock for the feed, and validated records for copying.

Every record is checked against the schema's value types while it streams past, so a copy made
from it (the inventory export) never carries a value SFCC would reject.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
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
    text_of,
)
from connector.xmlsafe import XmlInputError

INVENTORY_NS = "http://www.demandware.com/xml/impex/inventory/2007-05-31"
_NS_DECLARATION = f' xmlns="{INVENTORY_NS}"'
_HANDLING = frozenset({"none", "preorder", "backorder"})
_AMOUNTS = frozenset({"allocation", "ats", "preorder-backorder-allocation"})
_SIGNED_AMOUNTS = frozenset({"on-order", "turnover"})
_TIMESTAMPS = frozenset({"allocation-timestamp", "in-stock-datetime"})


@dataclass(frozen=True, slots=True)
class ListHeader:
    """An inventory list's header; `xml` is its serialised element when asked for."""

    list_id: str
    default_instock: bool
    xml: str = ""


@dataclass(frozen=True, slots=True)
class StockRecord:
    """One record of the last ListHeader: in stock when ATS > 0, allocation > 0 or perpetual."""

    product_id: str
    in_stock: bool
    xml: str = ""


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
    in_stock = False
    for child in record:
        tag = local(child.tag)
        if tag in _AMOUNTS:
            amount = parse_decimal(path, child, text_of(child), tag)
            in_stock = in_stock or (amount > 0 and tag != "preorder-backorder-allocation")
        elif tag in _SIGNED_AMOUNTS:
            parse_decimal(path, child, text_of(child), tag, signed=True)
        elif tag == "perpetual":
            in_stock = parse_bool(path, child) is True or in_stock
        elif tag in _TIMESTAMPS:
            parse_datetime(path, child)
        elif tag == "in-stock-date":
            _date(path, child)
        elif tag == "preorder-backorder-handling" and text_of(child).strip() not in _HANDLING:
            raise XmlInputError(
                path, child.sourceline, tag, f"not none/preorder/backorder: {text_of(child)!r}"
            )
    return StockRecord(product_id, in_stock, serialise(record) if with_xml else "")


def _date(path: Path, element: etree._Element) -> None:
    try:
        date.fromisoformat(text_of(element).strip()[:10])
    except ValueError:
        raise XmlInputError(
            path, element.sourceline, local(element.tag), f"not a date: {text_of(element)!r}"
        ) from None
