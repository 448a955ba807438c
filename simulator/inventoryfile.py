"""Read SFCC's native inventory XML and verify each record's accuracy, streaming.

A record with a bad number is skipped with an error Issue (its SKU keeps its stock); a file that is
not inventory XML at all raises InventoryFileError, possibly only at the end (a truncated file is
found out by its last byte), so callers apply nothing until the iterator is exhausted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from lxml import etree

from simulator import xmlsafe
from simulator.feedfile import FeedFileError
from simulator.rules.issues import OnIssue, make_issue
from simulator.rules.profiles import Profile
from simulator.skuindex import SkuIndex

NAMESPACE = "http://www.demandware.com/xml/impex/inventory/2007-05-31"
_ROOT = f"{{{NAMESPACE}}}inventory"
_LIST = f"{{{NAMESPACE}}}inventory-list"
_HEADER = f"{{{NAMESPACE}}}header"
_RECORD = f"{{{NAMESPACE}}}record"
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d*)?|[+-]?\.\d+")
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
_HANDLING = frozenset({"none", "preorder", "backorder"})
# A record has about ten children; this bounds the memory one hostile record can hold.
MAX_RECORD_ELEMENTS = 10_000


@dataclass(frozen=True)
class InventoryRecord:
    """One verified record: the stock TikTok should show for a SKU in one list (warehouse)."""

    line: int
    list_id: str
    product_id: str
    quantity: int
    perpetual: bool
    handling: str | None
    preorder_allocation: int | None
    in_stock_date: str | None


class InventoryFileError(FeedFileError):
    """The whole file fails verification (not XML, wrong namespace, truncated): apply nothing of it."""


class _Skip(Exception):
    """A record failed a check; the Issue is already reported."""


class _RecordReader:
    """Turns one <record> element into an InventoryRecord, reporting what is wrong with it."""

    def __init__(self, element: etree._Element, list_id: str, profile: Profile, on_issue: OnIssue) -> None:
        self.element = element
        self.list_id = list_id
        self.profile = profile
        self.on_issue = on_issue
        self.line = element.sourceline or 0
        self.product_id = (element.get("product-id") or "").strip()
        # one pass over the children instead of a find() per field: a million records read ~8 fields
        self.children: dict[object, etree._Element] = {}
        for child in element:
            self.children.setdefault(child.tag, child)

    def text(self, name: str) -> str | None:
        child = self.children.get(f"{{{NAMESPACE}}}{name}")
        return None if child is None else (child.text or "").strip()

    def fail(self, code: str, value: str | None, field: str | None = None) -> _Skip:
        self.on_issue(make_issue(code, line=self.line, sku_id=self.product_id, value=value, field=field))
        return _Skip()

    def whole(self, name: str) -> int | None:
        """A whole, non-negative amount from a child element; None when the element is absent."""
        text = self.text(name)
        if text is None:
            return None
        if not _NUMBER.fullmatch(text):
            raise self.fail("INVENTORY_QUANTITY_MALFORMED", text, name)
        amount = Decimal(text)
        if amount < 0:
            raise self.fail("INVENTORY_QUANTITY_NEGATIVE", text, name)
        if amount != amount.to_integral_value():
            raise self.fail("INVENTORY_QUANTITY_FRACTIONAL", text, name)
        return int(amount)

    def read(self) -> InventoryRecord:
        perpetual_text = self.text("perpetual")
        perpetual = _BOOLEANS.get((perpetual_text or "false").lower())
        if perpetual is None:
            raise self.fail("INVENTORY_FIELD_INVALID", perpetual_text, "perpetual")
        handling = self.text("preorder-backorder-handling")
        if handling is not None and handling not in _HANDLING:
            raise self.fail("INVENTORY_FIELD_INVALID", handling, "preorder-backorder-handling")
        field = "ats" if self.text("ats") is not None else "allocation"
        quantity = self.whole(field)
        preorder_allocation = self.whole("preorder-backorder-allocation")
        if perpetual:
            quantity = self.profile.max_inventory
        elif quantity is None:
            raise self.fail("INVENTORY_QUANTITY_MISSING", None)
        elif quantity > self.profile.max_inventory:
            self.on_issue(make_issue("INVENTORY_QUANTITY_CAPPED", line=self.line, sku_id=self.product_id,
                                     value=str(quantity), field=field))
            quantity = self.profile.max_inventory
        in_stock = self.text("in-stock-date") or self.text("in-stock-datetime")
        return InventoryRecord(self.line, self.list_id, self.product_id, quantity, perpetual, handling,
                               preorder_allocation, in_stock)


def _release(element: etree._Element) -> None:
    """Free a finished element and the siblings before it, so memory stays flat."""
    element.clear()
    parent = element.getparent()
    while parent is not None and element.getprevious() is not None:
        del parent[0]


def _truncation_note(path: Path, line: int | None) -> str:
    """Say "truncated" when the parser gave up on the file's last line: the usual cut-off upload."""
    last, tail = 0, b"\n"
    with open(path, "rb") as handle:  # counted in chunks: one 1 GB line must not be read whole
        while chunk := handle.read(1 << 16):
            last, tail = last + chunk.count(b"\n"), chunk
    last += not tail.endswith(b"\n")
    return " (the file ends early: truncated?)" if line is not None and line >= last else ""


def _events(path: Path) -> Iterator[tuple[str, etree._Element]]:
    """The parse events, with every way the file can fail as a whole turned into InventoryFileError."""
    try:
        yield from xmlsafe.iterparse(path, events=("start", "end"))
    except xmlsafe.UnsafeXmlError as error:
        raise InventoryFileError(path, error.line, error.reason) from None
    except etree.XMLSyntaxError as error:
        raise InventoryFileError(path, error.lineno, f"not well-formed XML: {error.msg}"
                                 + _truncation_note(path, error.lineno)) from None
    except OSError as error:
        raise InventoryFileError(path, None, f"cannot read the file: {error}") from None


def _verify(reader: _RecordReader, seen: SkuIndex) -> InventoryRecord | None:
    """The record, or None when it has no product-id, repeats one in its list, or fails a check."""
    try:
        if not reader.product_id:
            raise reader.fail("INVENTORY_PRODUCT_ID_MISSING", None)
        if not seen.add(reader.product_id):
            raise reader.fail("INVENTORY_DUPLICATE_RECORD", reader.product_id)
        return reader.read()
    except _Skip:
        return None


def read_inventory(path: Path, profile: Profile, on_issue: OnIssue) -> Iterator[InventoryRecord]:
    """Stream verified records; bad records are reported and skipped, a bad file raises."""
    list_id: str | None = None
    seen = SkuIndex()  # per list: 8-byte digests, not the id strings, so 1M records stay small
    root_checked = False
    record: etree._Element | None = None  # the open <record>: its elements stay until it ends
    count = 0
    for event, element in _events(path):
        if event == "start":
            if not root_checked:
                root_checked = True
                if element.tag != _ROOT:
                    name = etree.QName(element)
                    raise InventoryFileError(path, element.sourceline, (
                        f"root element <{name.localname}> in namespace {name.namespace or '(none)'!r} is not "
                        f"<inventory> in the SFCC inventory namespace {NAMESPACE}"))
            elif record is not None:
                count += 1
                if count > MAX_RECORD_ELEMENTS:
                    raise InventoryFileError(path, record.sourceline,
                                             f"<record> holds more than {MAX_RECORD_ELEMENTS:,} elements")
            elif element.tag == _RECORD:
                record, count = element, 0
            elif element.tag == _LIST:
                list_id, seen = None, SkuIndex()
            continue
        if record is not None and element is not record:
            continue
        if element.tag == _HEADER:
            list_id = (element.get("list-id") or "").strip()
            if not list_id:
                raise InventoryFileError(path, element.sourceline, "inventory list header has no list-id")
        elif element.tag == _RECORD:
            if not list_id:
                raise InventoryFileError(path, element.sourceline,
                                         "record outside a list with a list-id header")
            record = None
            verified = _verify(_RecordReader(element, list_id, profile, on_issue), seen)
            _release(element)
            if verified is not None:
                yield verified
            continue
        _release(element)  # a header, a list, or any element unknown here: released all the same
