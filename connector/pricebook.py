"""Read SFCC price book exports as a stream of applicable quantity-1 prices.

The platform's "best price" is the lowest applicable amount across the site's books; this module
only decides what is applicable (book online and in its window, price table in its window,
quantity 1). Choosing the minimum and the currency is the caller's job.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lxml import etree

from connector.records import (
    in_window,
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

PRICEBOOK_NS = "http://www.demandware.com/xml/impex/pricebook/2006-10-31"
_CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True, slots=True)
class PriceBook:
    """A book's header; `applicable` is False for offline books and books outside their window."""

    book_id: str
    currency: str
    applicable: bool


@dataclass(frozen=True, slots=True)
class Price:
    """A quantity-1 amount of the last PriceBook yielded, valid now."""

    product_id: str
    amount: float


def read_pricebook(path: Path, now: datetime) -> Iterator[PriceBook | Price]:
    """Each book's header, then its applicable prices (none for a book that is not applicable)."""
    applicable = False
    for element in iter_records(path, PRICEBOOK_NS, "pricebooks", ("header", "price-table")):
        if local(element.tag) == "header":
            book = _header(path, element, now)
            applicable = book.applicable
            yield book
        elif applicable and element.get("mode") is None:
            amount = _table_amount(path, element, now)
            if amount is not None:
                yield Price(required_attribute(path, element, "product-id"), amount)
        else:
            required_attribute(path, element, "product-id")
        release(element)


def _header(path: Path, header: etree._Element, now: datetime) -> PriceBook:
    """A book without `online-flag` counts as online: SFCC exports always write the flag."""
    currency, online, start, end = "", True, None, None
    for child in header:
        tag = local(child.tag)
        if tag == "currency":
            currency = text_of(child).strip()
            if not _CURRENCY.fullmatch(currency):
                raise XmlInputError(path, child.sourceline, "currency", f"not a currency code: {currency!r}")
        elif tag == "online-flag":
            online = parse_bool(path, child) is not False
        elif tag == "online-from":
            start = parse_datetime(path, child)
        elif tag == "online-to":
            end = parse_datetime(path, child)
    if not currency:
        raise XmlInputError(path, header.sourceline, "currency", "price book header has no currency")
    return PriceBook(
        required_attribute(path, header, "pricebook-id"), currency, online and in_window(start, end, now)
    )


def _table_amount(path: Path, table: etree._Element, now: datetime) -> float | None:
    """The table's lowest quantity-1 amount if the table is in its window, else None."""
    start = end = None
    amounts: list[float] = []
    for child in table:
        tag = local(child.tag)
        if tag == "online-from":
            start = parse_datetime(path, child)
        elif tag == "online-to":
            end = parse_datetime(path, child)
        elif tag == "amount" and parse_decimal(path, child, child.get("quantity") or "1", "quantity") == 1:
            amounts.append(float(parse_decimal(path, child, text_of(child), "amount")))
    if not amounts or not in_window(start, end, now):
        return None
    return min(amounts)
