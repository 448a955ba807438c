"""Safe streaming of SFCC exports: SFCC never writes a DTD, so a DOCTYPE means hostile input.

The connector reads only through `open_iterparse`. lxml runs with entity resolution, DTD loading and
the network off, and the parser itself decides whether the document has a DTD (`docinfo`, known by the
root element's first event): so a comment, a processing instruction, padding or another encoding
(UTF-16) before the DOCTYPE changes nothing, and entities are refused rather than silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

from lxml import etree


class Readable(Protocol):
    """What lxml reads a document from instead of a path: a file, or a part of one (connector/split.py)."""

    def read(self, size: int, /) -> bytes: ...


class XmlInputError(ValueError):
    """Bad SFCC input, named by file, line and field so the user can find it."""

    def __init__(self, path: Path | str, line: int | None, field: str | None, message: str) -> None:
        self.path, self.line, self.field, self.message = str(path), line, field, message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {field + ': ' if field else ''}{message}")

    def __reduce__(self) -> tuple[type, tuple[str, int | None, str | None, str]]:
        """Rebuild from the parts, so the error survives the trip back from a worker process."""
        return type(self), (self.path, self.line, self.field, self.message)


class MalformedXmlError(XmlInputError):
    """The input is no well-formed XML (as opposed to a well-formed export with a bad value)."""


def _refuse_dtd(path: Path, element: etree._Element) -> None:
    """Raise when the parsed document carries a DTD (a DOCTYPE, with or without entities)."""
    info = element.getroottree().docinfo
    if info.internalDTD is not None or info.doctype:
        root = element.getroottree().getroot()
        raise XmlInputError(path, root.sourceline, None,
                            "DOCTYPE/ENTITY declarations are refused: a DOCTYPE stands before the root "
                            f"element <{etree.QName(root).localname}>")


def open_iterparse(
    path: Path, events: tuple[str, ...] = ("start", "end"), tag: str | Sequence[str] | None = None,
    source: Readable | None = None,
) -> Iterator[tuple[str, etree._Element]]:
    """Iterparse `path` (or `source`, its bytes as read by a caller, named `path` in errors) with no DTD,
    no entities and no network; syntax errors name file and line."""
    events_iter = etree.iterparse(
        str(path) if source is None else source, events=events, tag=tag, resolve_entities=False,
        no_network=True, load_dtd=False, huge_tree=False,
    )
    first = True
    try:
        for event, element in events_iter:
            if first:
                _refuse_dtd(path, element)
                first = False
            yield event, element
        if first and events_iter.root is not None:
            _refuse_dtd(path, events_iter.root)
    except etree.XMLSyntaxError as error:
        line, message = error.lineno, error.msg
        if not line:  # iterparse's vaguer "no element found" for, say, an entity used without a DTD: the
            # real error is the last in its log (which also keeps earlier parses' errors)
            errors = [entry for entry in error.error_log if entry.level >= etree.ErrorLevels.ERROR]
            line, message = (errors[-1].line, errors[-1].message) if errors else (None, message)
        raise MalformedXmlError(path, line or None, None, f"malformed XML: {message}") from None
