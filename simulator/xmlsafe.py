"""The one way the simulator parses XML: untrusted input, so no DTD, no entities, no network.

Every XML parser in the simulator goes through here. The parser itself decides whether a document
carries a DTD (lxml's `docinfo.internalDTD`, known by the root element's first event, since a DTD can
only stand before the root), so nothing a text pre-scan misses gets through: a comment, a processing
instruction or any amount of padding before the DOCTYPE, or another encoding such as UTF-16. lxml
runs with entity resolution, DTD loading and the network off, so no file or URL is ever read; a DTD
is refused rather than parsed around because its entities would otherwise vanish silently (empty
titles). An entity used without a DTD is a syntax error, reported with its own line (`_real_error`).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from lxml import etree

REFUSED = "DOCTYPE/ENTITY declarations are refused (no entities are resolved)"


class UnsafeXmlError(ValueError):
    """The document declares a DTD, which the simulator never accepts."""

    def __init__(self, name: str, line: int, root: str = "") -> None:
        self.line = line
        self.reason = REFUSED + (f": a DOCTYPE stands before the root element <{root}>" if root else "")
        super().__init__(f"{name}:{line}: {self.reason}")


def _parser_options() -> dict[str, bool]:
    return {
        "resolve_entities": False,
        "no_network": True,
        "load_dtd": False,
        "dtd_validation": False,
        "huge_tree": False,
    }


def _refuse_dtd(element: etree._Element, name: str) -> None:
    """Raise when the parsed document has a DTD (internal subset or external id, or a bare DOCTYPE)."""
    info = element.getroottree().docinfo
    if info.internalDTD is not None or info.doctype:
        root = element.getroottree().getroot()
        raise UnsafeXmlError(name, root.sourceline or 1, etree.QName(root).localname)


def _checked(
    parse: etree.iterparse, name: str
) -> Iterator[tuple[str, etree._Element]]:
    """The parse's events, refused at the first one (or at the end, if none) when there is a DTD."""
    first = True
    try:
        for event, element in parse:
            if first:
                _refuse_dtd(element, name)
                first = False
            yield event, element
    except etree.XMLSyntaxError as error:
        raise _real_error(error) from None
    if first and parse.root is not None:
        _refuse_dtd(parse.root, name)


def _real_error(error: etree.XMLSyntaxError) -> etree.XMLSyntaxError:
    """The error the parser met, with its line: for some (an entity used without a DTD) iterparse reports
    a vaguer one without a line ("no element found"). The real one is the last in its log (which also
    keeps earlier parses' errors, so only a lineless error is replaced)."""
    if error.lineno:
        return error
    errors = [entry for entry in error.error_log if entry.level >= etree.ErrorLevels.ERROR]
    return etree.XMLSyntaxError(errors[-1].message, errors[-1].type, errors[-1].line, errors[-1].column) \
        if errors else error


def iterparse(
    source: Path | BinaryIO, events: tuple[str, ...] = ("end",), tag: str | None = None
) -> Iterator[tuple[str, etree._Element]]:
    """Stream a file with lxml iterparse under the safe options. Callers clear elements."""
    name = str(source) if isinstance(source, Path) else getattr(source, "name", "<stream>")
    source_arg: str | BinaryIO = str(source) if isinstance(source, Path) else source
    return _checked(etree.iterparse(source_arg, events=events, tag=tag, **_parser_options()), name)


def fromstring(data: bytes, name: str = "<response>") -> etree._Element:
    """Parse a small document held in memory (a PROPFIND answer, for example)."""
    parse = etree.iterparse(io.BytesIO(data), events=("start",), **_parser_options())
    for _ in _checked(parse, name):
        pass
    return parse.root
