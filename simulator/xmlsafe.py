"""The one way the simulator parses XML: untrusted input, so no DTD, no entities, no network.

Every XML parser in the simulator goes through here. A document that carries a DOCTYPE is refused
before lxml sees it, so an external entity or an entity-expansion bomb costs nothing: no file or
network is read and no entity is expanded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from lxml import etree

_PROLOG_LIMIT = 64 * 1024
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_ROOT_START = re.compile(rb"<[A-Za-z_]")


class UnsafeXmlError(ValueError):
    """The document declares a DTD or entities, which the simulator never accepts."""

    def __init__(self, name: str, line: int) -> None:
        self.line = line
        self.reason = "DOCTYPE/ENTITY declarations are refused (no entities are resolved)"
        super().__init__(f"{name}:{line}: {self.reason}")


def _parser_options() -> dict[str, bool]:
    return {
        "resolve_entities": False,
        "no_network": True,
        "load_dtd": False,
        "dtd_validation": False,
        "huge_tree": False,
    }


def refuse_dtd(head: bytes, name: str) -> None:
    """Raise when the prolog (everything before the root element) declares a DTD."""
    root = _ROOT_START.search(head)
    prolog = head if root is None else head[: root.start()]
    match = _DOCTYPE.search(prolog)
    if match:
        line = prolog.count(b"\n", 0, match.start()) + 1
        raise UnsafeXmlError(name, line)


def check_file(path: Path) -> None:
    """Refuse a file whose prolog declares a DTD."""
    with open(path, "rb") as handle:
        refuse_dtd(handle.read(_PROLOG_LIMIT), str(path))


def iterparse(
    source: Path | BinaryIO, events: tuple[str, ...] = ("end",), tag: str | None = None
) -> Iterator[tuple[str, etree._Element]]:
    """Stream a file with lxml iterparse under the safe options. Callers clear elements."""
    if isinstance(source, Path):
        check_file(source)
        source_arg: str | BinaryIO = str(source)
    else:
        source_arg = source
    return etree.iterparse(source_arg, events=events, tag=tag, **_parser_options())


def fromstring(data: bytes, name: str = "<response>") -> etree._Element:
    """Parse a small document held in memory (a PROPFIND answer, for example)."""
    refuse_dtd(data[:_PROLOG_LIMIT], name)
    return etree.fromstring(data, etree.XMLParser(**_parser_options()))
