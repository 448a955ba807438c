"""Safe streaming of SFCC exports: SFCC never writes a DTD, so a DOCTYPE means hostile input.

The connector reads only through `open_iterparse`. It refuses any DOCTYPE or ENTITY declaration
before parsing, and runs lxml with entity resolution and network access off.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from lxml import etree


class XmlInputError(ValueError):
    """Bad SFCC input, named by file, line and field so the user can find it."""

    def __init__(self, path: Path | str, line: int | None, field: str | None, message: str) -> None:
        self.path, self.line, self.field, self.message = str(path), line, field, message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {field + ': ' if field else ''}{message}")

    def __reduce__(self) -> tuple[type, tuple[str, int | None, str | None, str]]:
        """Rebuild from the parts, so the error survives the trip back from a worker process."""
        return XmlInputError, (self.path, self.line, self.field, self.message)


_DECLARATION = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def _reject_declarations(path: Path) -> None:
    with open(path, "rb") as handle:
        head = handle.read(65536)
    first_element = re.search(rb"<[A-Za-z_]", head)
    prolog = head[: first_element.start()] if first_element else head
    found = _DECLARATION.search(prolog)
    if found:
        line = prolog.count(b"\n", 0, found.start()) + 1
        raise XmlInputError(path, line, None, "DOCTYPE/ENTITY declarations are refused")


def open_iterparse(
    path: Path, events: tuple[str, ...] = ("start", "end"), tag: str | None = None
) -> Iterator[tuple[str, etree._Element]]:
    """Iterparse `path` with no DTD, no entities and no network; syntax errors name file and line."""
    _reject_declarations(path)
    events_iter = etree.iterparse(
        str(path), events=events, tag=tag, resolve_entities=False, no_network=True,
        load_dtd=False, huge_tree=False,
    )
    try:
        yield from events_iter
    except etree.XMLSyntaxError as error:
        line = error.lineno if error.lineno else None
        raise XmlInputError(path, line, None, f"malformed XML: {error.msg}") from None
