"""Streaming SFCC export records: the conventions catalog, price book and inventory XML share.

Each reader walks its file with `iter_records`, which checks the root element and namespace and
releases every element the reader does not take; the reader calls `release` on every element it
takes, so memory stays flat whatever the file's size and whatever unknown elements it holds.
The value parsers turn xsd:boolean, xsd:dateTime and decimals into Python values, and name file,
line and field when a value is bad.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from lxml import etree

from connector.xmlsafe import Readable, XmlInputError, open_iterparse

_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
TRUE_TEXTS, _FALSE = frozenset({"true", "1"}), frozenset({"false", "0"})
# Far above any SFCC record (a master with thousands of variants and locales has a few tens of
# thousands), far below what would fill memory (lxml keeps a few hundred bytes per element).
MAX_RECORD_ELEMENTS = 200_000


class _LocalNames(dict[object, str]):
    """Tag -> name without namespace, computed once per distinct tag (comments and PIs give "")."""

    def __missing__(self, tag: object) -> str:
        name = tag.rpartition("}")[2] if isinstance(tag, str) else ""
        if len(self) < 4096:  # SFCC schemas have a few hundred names; do not grow on hostile input
            self[tag] = name
        return name


local = _LocalNames().__getitem__  # a C-level call: this runs for every element the readers touch


class _TagCodes(dict[object, int]):
    """Tag -> the code of its name without namespace in `codes` (-1: none), computed once per tag."""

    def __init__(self, codes: dict[str, int]) -> None:
        super().__init__()
        self._codes = codes

    def __missing__(self, tag: object) -> int:
        code = self._codes.get(local(tag), -1)
        if len(self) < 4096:  # as `_LocalNames`
            self[tag] = code
        return code


def tag_codes(codes: dict[str, int]) -> Callable[[object], int]:
    """A reader's dispatch on a child's name, whatever its namespace, in one C-level dict lookup per child
    (instead of `local` and then a lookup per name compared)."""
    return _TagCodes(codes).__getitem__


# root element -> (what SFCC export it is, the flag that takes it)
_EXPORTS = {"catalog": ("an SFCC catalog", "--catalog"), "pricebooks": ("an SFCC price book", "--pricebook"),
            "inventory": ("an SFCC inventory list", "--inventory")}


def _wrong_root(tag: str, root_name: str, namespace: str) -> str:
    """Name a mixed-up SFCC export and the flag it belongs to; anything else by its root element."""
    found = _EXPORTS.get(local(tag)) if tag.startswith("{http://www.demandware.com/xml/impex/") else None
    if found and root_name in _EXPORTS and local(tag) != root_name:  # else: same kind, other version
        return f"this is {found[0]} export, not {_EXPORTS[root_name][0]} export (give it with {found[1]})"
    return f"expected <{root_name}> in namespace {namespace}, found {tag}"


def iter_records(
    path: Path, namespace: str, root_name: str, names: Iterable[str],
    source: AbstractContextManager[Readable] | None = None,
) -> Iterator[etree._Element]:
    """Yield each finished element named in `names` (the outermost, where they nest), after checking
    the root element and namespace. `source` gives the document's bytes instead of the file at `path`
    (a part of it: connector/split.py); errors still name `path`.

    The caller calls `release` on every element yielded; every other element is released here once
    it ends, known or not, so memory stays flat on any well-formed input. A record holding more than
    MAX_RECORD_ELEMENTS elements is refused: it is no SFCC export, and it would have to sit in memory.
    """
    root_tag = f"{{{namespace}}}{root_name}"
    _check_root(path, root_tag, root_name, namespace)
    wanted = frozenset(f"{{{namespace}}}{name}" for name in names)
    with open(path, "rb") if source is None else source as stream:
        pruned = _PrunedSource(path, stream)
        # lxml's `tag` filter keeps the other elements' events in C (looking at each in Python cost a
        # quarter of the read: 3.5 s -> 2.6 s on a 100k-SKU master); `_PrunedSource` frees them instead.
        for event, element in open_iterparse(path, ("start", "end"), [root_tag, *wanted], pruned):
            if event == "start":
                if pruned.root is None:
                    pruned.root = element
                elif pruned.record is None and element.tag in wanted:
                    pruned.open(element)
            elif element is pruned.record:
                pruned.close()
                yield element


def _check_root(path: Path, root_tag: str, root_name: str, namespace: str) -> None:
    """Read up to the root element: a DOCTYPE, an empty or unreadable file, or the wrong root is refused."""
    events = open_iterparse(path, events=("start",))
    try:
        _, root = next(events)
    except StopIteration:
        raise XmlInputError(path, None, None, "empty XML document") from None
    except OSError as error:
        raise XmlInputError(path, None, None, f"cannot read: {error.strerror or error}") from None
    finally:
        events.close()
    if root.tag != root_tag:
        raise XmlInputError(path, root.sourceline, None, _wrong_root(root.tag, root_name, namespace))


# No element is shorter than 4 bytes (`<a/>`), so only a record spanning this much can hold too many; the
# margin covers the 32 KiB lxml reads at a time (where in its read a record starts is not known).
_SUSPECT_RECORD_BYTES = 4 * MAX_RECORD_ELEMENTS - 65_536


class _PrunedSource:
    """The document's bytes as lxml reads them (32 KiB at a time). Before each read it frees every finished
    element outside the open record: each sibling before the last along the open path from the root, which
    is all lxml still holds of them. It counts a long record's elements, refusing one holding too many.
    """

    def __init__(self, path: Path, stream: Readable) -> None:
        self.path, self.stream = path, stream
        self.root: etree._Element | None = None
        self.record: etree._Element | None = None
        self._read = self._record_start = self._next_count = 0

    def read(self, size: int) -> bytes:
        node = self.root
        while node is not None and node is not self.record:
            if len(node) > 1:
                del node[:-1]
            node = node[-1] if len(node) else None
        if self.record is not None and self._read >= self._next_count:
            self._count()
        data = self.stream.read(size)
        self._read += len(data)
        return data

    def open(self, record: etree._Element) -> None:
        self.record, self._record_start = record, self._read
        self._next_count = self._read + _SUSPECT_RECORD_BYTES

    def close(self) -> None:
        if self._read - self._record_start >= _SUSPECT_RECORD_BYTES:
            self._count()
        self.record = None

    def _count(self) -> None:
        """Refuse the open record when it holds more than MAX_RECORD_ELEMENTS elements; else look again
        once it spans as many bytes more (each count costs at most MAX_RECORD_ELEMENTS steps)."""
        record = self.record
        assert record is not None
        if sum(1 for _ in record.iter(etree.Element)) - 1 > MAX_RECORD_ELEMENTS:
            raise XmlInputError(self.path, record.sourceline, None,
                                f"<{local(record.tag)}> holds more than {MAX_RECORD_ELEMENTS:,} elements")
        self._next_count = self._read + _SUSPECT_RECORD_BYTES


def release(element: etree._Element) -> None:
    """Free a processed element and the siblings before it."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def text_of(element: etree._Element) -> str:
    return element.text or ""


def required_attribute(path: Path, element: etree._Element, name: str) -> str:
    """An attribute the schema requires; a missing or blank one is an input error."""
    value = (element.get(name) or "").strip()
    if not value:
        raise XmlInputError(path, element.sourceline, name, f"missing {name} on <{local(element.tag)}>")
    return value


def parse_bool(path: Path, element: etree._Element) -> bool | None:
    """xsd:boolean; None when the element is nil (`xsi:nil="true"`)."""
    if element.get(_XSI_NIL) in TRUE_TEXTS:
        return None
    value = text_of(element).strip()
    if value in TRUE_TEXTS:
        return True
    if value in _FALSE:
        return False
    raise XmlInputError(path, element.sourceline, local(element.tag), f"not a boolean: {value!r}")


def parse_datetime(path: Path, element: etree._Element) -> datetime | None:
    """xsd:dateTime; a value without a zone is taken as UTC."""
    if element.get(_XSI_NIL) in TRUE_TEXTS:
        return None
    value = text_of(element).strip()
    moment = _moment(value)
    if moment is None:
        raise XmlInputError(path, element.sourceline, local(element.tag), f"not a date-time: {value!r}")
    return moment


# Exports repeat the same few date-times and amounts (a run's timestamp, small stock figures): each distinct
# text is parsed once. None marks a text that is no value (its error names the element, so it is not cached).
@functools.lru_cache(maxsize=4096)
def _moment(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@functools.lru_cache(maxsize=4096)
def _decimal(value: str) -> Decimal:
    try:
        return Decimal(value.strip())
    except InvalidOperation:
        return Decimal("NaN")


def parse_decimal(
    path: Path, element: etree._Element, value: str, field: str, signed: bool = False
) -> Decimal:
    """A finite decimal (non-negative unless `signed`); anything else names file, line and field."""
    number = _decimal(value)
    if not number.is_finite() or (number < 0 and not signed):
        kind = "decimal" if signed else "non-negative decimal"
        raise XmlInputError(path, element.sourceline, field, f"not a {kind}: {value!r}")
    return number


def in_window(start: datetime | None, end: datetime | None, now: datetime) -> bool:
    """The platform's online-from/online-to test: from inclusive, to exclusive."""
    return (start is None or start <= now) and (end is None or now < end)
