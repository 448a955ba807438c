"""Cut one big catalog in two at a top-level `<product` found by a byte scan, so two processes parse it.

Each part is a well-formed document of its own: the first is the file up to the cut plus the root's end
tag, the second the file's prolog and root start tag followed by the file from the cut. The scan only
proposes the cut. The first part parsing cleanly is the proof that it falls between two top-level
elements (not inside a comment, a CDATA section, a processing instruction or a nested element: each of
those would leave the first part unterminated); when either part is malformed the caller reads the
file whole instead, which also gives the error exactly as it would be without the cut.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_PROLOG_BYTES = 64 << 10  # the XML declaration, comments and the root start tag fit well within this
_SCAN_BYTES = 1 << 20
_BOM = b"\xef\xbb\xbf"
# What may stand before the root: the XML declaration, comments, processing instructions, white space.
# A DOCTYPE is not among them: that file is refused anyway, as a whole.
_MISC = re.compile(rb"\s+|<!--.*?-->|<\?.*?\?>", re.DOTALL)
_DECLARATION = re.compile(rb"<\?xml\s.*?\?>", re.DOTALL)
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([^"']*)["']""")
# The root's start tag: its name, then attributes whose quoted values may hold `>`.
_ROOT_START = re.compile(rb"""<([A-Za-z_][\w.-]*)(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*>""")
_PRODUCT_START = re.compile(rb"<product[ \t\r\n]")


@dataclass(frozen=True)
class Split:
    """Where `path` is cut: `at` is the offset of the second part's first `<product`."""

    path: Path
    header: bytes  # the file up to and including the root's start tag
    root_name: bytes
    at: int

    def first(self) -> Part:
        return Part(self.path, (0, self.at), b"</" + self.root_name + b">")

    def second(self) -> Part:
        return Part(self.path, self.header, (self.at, None))

    def line_offset(self) -> int:
        """Add to a line of the second part to get the file's: the lines before the cut, less the header's.

        Counted only when an error needs it: it reads the whole first part.
        """
        newlines = 0  # libxml2 counts LF only (CR LF once; a lone CR not at all): so does this
        with open(self.path, "rb") as stream:
            remaining = self.at
            while remaining > 0:
                chunk = stream.read(min(remaining, 16 << 20))
                if not chunk:
                    break
                newlines += chunk.count(b"\n")
                remaining -= len(chunk)
        return newlines - self.header.count(b"\n")


class Part:
    """A part's bytes, pieced from literal bytes and (start, stop) ranges of the file (None: to its end).

    A context manager: lxml reads it like a file.
    """

    def __init__(self, path: Path, *pieces: bytes | tuple[int, int | None]) -> None:
        self._path, self._pieces, self._index = path, pieces, 0
        self._stream: BinaryIO | None = None
        self._left: int | None = None  # bytes still to read of the current range; None: to the end
        self._started = False

    def __enter__(self) -> Part:
        self._stream = open(self._path, "rb")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stream is not None:
            self._stream.close()

    def read(self, size: int, /) -> bytes:
        while self._index < len(self._pieces):
            piece = self._pieces[self._index]
            if isinstance(piece, bytes):
                self._index += 1
                if piece:
                    return piece
                continue
            assert self._stream is not None, "read a Part inside its with block"
            if not self._started:
                start, stop = piece
                self._stream.seek(start)
                self._left, self._started = None if stop is None else stop - start, True
            data = self._stream.read(size if self._left is None else min(size, self._left))
            if self._left is not None:
                self._left -= len(data)
            if data:
                return data
            self._index, self._started = self._index + 1, False
        return b""


def find_split(path: Path, root_name: str, min_bytes: int = 0) -> Split | None:
    """A cut of `path` near its middle at a `<product` start; None when the file is not one this can cut:
    smaller than `min_bytes`, unreadable (its reader says why), not UTF-8, a DOCTYPE, another root, a
    prefixed root, or no `<product` in its second half.
    """
    try:
        if path.stat().st_size < min_bytes:
            return None
        return _find_split(path, root_name)
    except OSError:
        return None


def _find_split(path: Path, root_name: str) -> Split | None:
    with open(path, "rb") as stream:
        head = stream.read(_PROLOG_BYTES)
        header = _header(head, root_name.encode())
        if header is None:
            return None
        size = stream.seek(0, 2)
        offset = max(size // 2, len(header))
        stream.seek(offset)
        carry = b""
        while chunk := stream.read(_SCAN_BYTES):
            window = carry + chunk
            found = _PRODUCT_START.search(window)
            if found:
                return Split(path, header, root_name.encode(), offset - len(carry) + found.start())
            carry = window[-8:]
            offset += len(chunk)
    return None


def _header(head: bytes, root_name: bytes) -> bytes | None:
    """The prolog and the root's start tag, when they are UTF-8 and the root is `root_name` unprefixed."""
    position = len(_BOM) if head.startswith(_BOM) else 0
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None  # UTF-16
    declaration = _DECLARATION.match(head, position)
    encoding = _ENCODING.search(declaration.group()) if declaration else None
    if encoding and encoding.group(1).upper() not in (b"UTF-8", b"UTF8"):
        return None
    while found := _MISC.match(head, position):
        position = found.end()
    root = _ROOT_START.match(head, position)
    if root is None or root.group(1) != root_name:
        return None
    return head[:root.end()]
