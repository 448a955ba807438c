"""Streaming SFCC export records: the conventions catalog, price book and inventory XML share.

Each reader walks its file with `iter_records`, which checks the root element and namespace and
releases every element the reader does not take; the reader calls `release` on every element it
takes, so memory stays flat whatever the file's size and whatever unknown elements it holds.
The value parsers turn xsd:boolean, xsd:dateTime and decimals into Python values, and name file,
line and field when a value is bad.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from lxml import etree

from connector.xmlsafe import XmlInputError, open_iterparse

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
    path: Path, namespace: str, root_name: str, names: Iterable[str]
) -> Iterator[etree._Element]:
    """Yield each finished element named in `names` (the outermost, where they nest), after checking
    the root element and namespace.

    The caller calls `release` on every element yielded; every other element is released here once
    it ends, known or not, so memory stays flat on any well-formed input. A record holding more than
    MAX_RECORD_ELEMENTS elements is refused: it is no SFCC export, and it would have to sit in memory.
    """
    wanted = frozenset(f"{{{namespace}}}{name}" for name in names)
    events = open_iterparse(path, events=("start", "end"))
    try:
        _, root = next(events)
    except StopIteration:
        raise XmlInputError(path, None, None, "empty XML document") from None
    except OSError as error:
        raise XmlInputError(path, None, None, f"cannot read: {error.strerror or error}") from None
    if root.tag != f"{{{namespace}}}{root_name}":
        events.close()
        raise XmlInputError(path, root.sourceline, None, _wrong_root(root.tag, root_name, namespace))
    record: etree._Element | None = None
    count = 0
    for event, element in events:
        if event == "start":
            if record is None:
                if element.tag in wanted:
                    record, count = element, 0
            else:
                count += 1
                if count > MAX_RECORD_ELEMENTS:
                    raise XmlInputError(path, record.sourceline, None, (
                        f"<{local(record.tag)}> holds more than {MAX_RECORD_ELEMENTS:,} elements"))
        elif element is record:
            record = None
            yield element
        elif record is None:
            release(element)


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
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise XmlInputError(
            path, element.sourceline, local(element.tag), f"not a date-time: {value!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_decimal(
    path: Path, element: etree._Element, value: str, field: str, signed: bool = False
) -> Decimal:
    """A finite decimal (non-negative unless `signed`); anything else names file, line and field."""
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or (number < 0 and not signed):
        kind = "decimal" if signed else "non-negative decimal"
        raise XmlInputError(path, element.sourceline, field, f"not a {kind}: {value!r}")
    return number


def in_window(start: datetime | None, end: datetime | None, now: datetime) -> bool:
    """The platform's online-from/online-to test: from inclusive, to exclusive."""
    return (start is None or start <= now) and (end is None or now < end)
