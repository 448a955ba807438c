"""Read the cartridge's product and delete feeds as TikTok receives them, one line at a time.

Rows are single physical lines by contract (the cartridge replaces CR, LF and `|` in values), so each
line is parsed on its own: a broken quote spoils one row, never the rest of the file. Fields may be
quoted opencsv-style (`"..."`, `""` for a quote) or bare. Problems with the file's layout become
Issues through `on_issue`; only input that is not a feed at all raises FeedFileError.

Which failures are per row and which per file (docs/formats.md, 9): a line that is not UTF-8, holds a NUL
byte or is longer than `max_line` bytes is one bad row, reported with its line and skipped, so one bad
row never sinks the rest. The file fails as a whole only when it cannot be read as a feed at all: UTF-16,
binary, or a first line that is no header. Lines are read at most `max_line` bytes at a time, so an
over-long line is skipped without ever being held in memory.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from simulator.rules.issues import VALUE_CLIP, Issue, OnIssue, make_issue
from simulator.rules.record import FeedRecord

PRODUCT_COLUMNS: tuple[str, ...] = (
    "sku_id", "title", "description", "image_urls", "landing_page_url", "product_category",
    "sale_regions", "availability", "price", "item_group_id", "variation_properties",
    "is_default_variant", "brand", "google_product_category", "condition",
)
_KNOWN = frozenset(PRODUCT_COLUMNS)
_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_SNIFF_BYTES = 64 * 1024
# The longest line a reader takes, in bytes without its LF: a 10,000-character description and nine image
# URLs fit many times over; `tiktok-sim serve --max-line-bytes` changes it.
MAX_LINE_BYTES = 1 << 20
_SKIP_CHUNK = 1 << 16
_ID_LIKE = re.compile(r"[^\s|\"'<>,;]+")


class FeedFileError(ValueError):
    """The file cannot be read as a feed at all (binary, not UTF-8, not a feed)."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


# What reading a file can raise because of the file or the disk, never because of a bug: callers report
# these to the user (the job's error, check's exit status 2) and let anything else surface as a crash.
UNREADABLE: tuple[type[Exception], ...] = (FeedFileError, UnicodeDecodeError, OSError)


def _decode_head(head: bytes) -> str | None:
    """The sniffed prefix as text, or None when it is binary or not UTF-8."""
    if b"\x00" in head:
        return None
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3:  # not merely a character cut at the end of the prefix
            return None
        return head[: error.start].decode("utf-8")


def _header_names(line: str) -> list[str]:
    return [name.strip().strip('"') for name in line.split("|")]


def _binary(head: bytes) -> bool:
    """Binary data or UTF-16: a NUL on the first line or on many lines. A NUL on a few lines further down
    is a few bad rows of a feed, each reported on its own."""
    lines = head.split(b"\n")
    with_nul = sum(1 for line in lines if b"\x00" in line)
    return b"\x00" in lines[0] or with_nul * 10 > len(lines)


def sniff_kind(path: Path) -> str | None:
    """"product", "delete" or "inventory" judged from the content, or None when it is none of them."""
    with open(path, "rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if not head:
        return "delete"  # the cartridge writes an empty delete feed when nothing disappeared
    if _binary(head):
        return None
    # undecodable bytes do not hide the kind: the reader then names the line that is not UTF-8
    text = head.removeprefix(_BOM).decode("utf-8", errors="replace")
    if text.lstrip().startswith("<"):
        return "inventory"
    lines = text.split("\n")
    if len(_KNOWN.intersection(_header_names(lines[0]))) >= 3:
        return "product"
    if len(head) == _SNIFF_BYTES:
        lines = lines[:-1]  # the last one may be cut
    ids = [line.rstrip("\r") for line in lines if line.strip()]
    if ids and sum(1 for line in ids if _ID_LIKE.fullmatch(line)) * 2 > len(ids):
        return "delete"
    return None


def describe_content(path: Path, kind: str | None) -> str:
    """Why a file is not the feed a caller expected, in words a user can act on."""
    if kind == "product":
        return "it is a product feed (its first line is the TikTok column header)"
    if kind == "inventory":
        return "it is XML (an inventory file?)"
    if kind == "delete":
        return "it is a delete feed (one SKU ID per line)"
    with open(path, "rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if head.startswith(_UTF16_BOMS):
        return "it is UTF-16 text; feeds are UTF-8"
    if b"\x00" in head:
        return "it is a binary file (it contains NUL bytes)"
    if _decode_head(head.removeprefix(_BOM)) is None:
        return "it is not UTF-8 text"
    return ("it is text, but neither a product feed (no TikTok column header), a delete feed "
            "(one SKU ID per line) nor inventory XML")


class LineError(FeedFileError):
    """One line that cannot be read: a bad row in the body of a feed, the whole file when it is the header."""

    def __init__(self, path: Path, line: int, message: str, code: str) -> None:
        super().__init__(path, line, message)
        self.code = code

    def issue(self, raw: bytes | None) -> Issue:
        """The row's Issue, showing the start of the line as its value (never the whole of it)."""
        value = None if raw is None else raw[:VALUE_CLIP].decode("utf-8", errors="replace").rstrip("\n")
        shown = f"{self.message}: {value!r}" if value else self.message
        return make_issue(self.code, line=self.line, value=shown)


def physical_lines(handle: BinaryIO, max_line: int) -> Iterator[tuple[int, bytes | None]]:
    """(number, raw line with its LF) for each line; None for a line over `max_line` bytes, which is read
    past in small chunks and never held whole."""
    number = 0
    while raw := handle.readline(max_line + 1):
        number += 1
        if len(raw) > max_line and not raw.endswith(b"\n"):
            while chunk := handle.readline(_SKIP_CHUNK):
                if chunk.endswith(b"\n"):
                    break
            yield number, None
        else:
            yield number, raw


def decode_line(path: Path, number: int, raw: bytes | None, max_line: int) -> str | LineError:
    """One line as text, or why it is not a readable line (the caller decides: a row or the file)."""
    if raw is None:
        return LineError(path, number, f"longer than {max_line} bytes", "FILE_ROW_TOO_LONG")
    if b"\x00" in raw:
        return LineError(path, number, "binary data (NUL byte)", "FILE_ROW_BINARY")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        where = f"byte 0x{raw[error.start]:02x} at column {error.start + 1}"
        return LineError(path, number, f"not UTF-8 ({where})", "FILE_ROW_NOT_UTF8")


def _lines(path: Path, on_issue: OnIssue, max_line: int) -> Iterator[tuple[int, str]]:
    """Decoded lines without their line ends; BOM and CRLF are reported once, a bad row is reported and
    skipped, a bad first line (where the header belongs) fails the file."""
    crlf_seen = False
    with open(path, "rb") as handle:
        for number, raw in physical_lines(handle, max_line):
            if number == 1 and raw is not None and raw.startswith(_BOM):
                on_issue(make_issue("FILE_BOM", line=1))
                raw = raw[len(_BOM):]
            if number == 1 and raw is not None and raw.startswith(_UTF16_BOMS):
                raise FeedFileError(path, number, "UTF-16 text; feeds are UTF-8")
            text = decode_line(path, number, raw, max_line)
            if isinstance(text, LineError):
                if number == 1:
                    raise FeedFileError(path, number, f"the first line is {text.message}, so it is no header "
                                                      "and the file no feed")
                on_issue(text.issue(raw))
                continue
            if text.endswith("\r\n"):
                text = text[:-2]
                if not crlf_seen:
                    crlf_seen = True
                    on_issue(make_issue("FILE_CRLF", line=number))
            elif text.endswith("\n"):
                text = text[:-1]
            yield number, text


def _split_all_quoted(text: str) -> list[str] | None:
    """The fields of a line whose every field is quoted (the cartridge's quoted feed), without the csv
    module's per-line reader (5 against 7 µs a row); None when the line is not plainly of that form.

    Between the outer quotes, the line splits at each `"|"`; csv reads it the same way exactly when
    every run of quotes left in a piece has even length (each pair one literal quote): an odd run would
    end a field there, or be a quoting error."""
    if len(text) < 2 or text[0] != '"' or text[-1] != '"' or len(text) > csv.field_size_limit():
        return None
    fields = text[1:-1].split('"|"')
    for index, piece in enumerate(fields):
        if '"' in piece:
            if '"' in piece.replace('""', ""):
                return None
            fields[index] = piece.replace('""', '"')
    return fields


def split_row(text: str) -> list[str] | None:
    """The fields of one line, quoted or bare; None when its quoting is broken."""
    if '"' not in text:
        return text.split("|")
    if (fields := _split_all_quoted(text)) is not None:
        return fields
    try:
        return next(csv.reader((text,), delimiter="|", quotechar='"', doublequote=True, strict=True), [])
    except csv.Error:
        return None


def _header(path: Path, lines: Iterator[tuple[int, str]], on_issue: OnIssue) -> tuple[str, ...] | None:
    """The column names, checked against the cartridge's; None when the file has no header at all."""
    first = next(lines, None)
    if first is None:
        on_issue(make_issue("FILE_EMPTY", line=None))
        return None
    number, text = first
    names = split_row(text)
    if names is None or len(_KNOWN.intersection(names)) < 3:
        raise FeedFileError(path, number, "not a product feed: the first line is not a header naming the "
                                          f"TikTok columns ({' | '.join(PRODUCT_COLUMNS[:3])} | ...)")
    if tuple(names) != PRODUCT_COLUMNS:
        missing = [name for name in PRODUCT_COLUMNS if name not in names]
        unknown = [name for name in names if name not in _KNOWN]
        detail = "; ".join(part for part in (
            f"missing: {', '.join(missing)}" if missing else "",
            f"unexpected: {', '.join(unknown)}" if unknown else "",
            "columns out of order" if not missing and not unknown else "",
        ) if part)
        on_issue(make_issue("FILE_HEADER_INVALID", line=number, value=detail))
    return tuple(names)


def read_product_feed(path: Path, on_issue: OnIssue, max_line: int = MAX_LINE_BYTES) -> Iterator[FeedRecord]:
    """Stream the rows of a product feed; rows whose layout is broken are reported and skipped."""
    lines = _lines(path, on_issue, max_line)
    names = _header(path, lines, on_issue)
    if names is None:
        return
    rows = 0
    for number, text in lines:
        rows += 1
        fields = split_row(text)
        if fields is None:
            on_issue(make_issue("FILE_QUOTING", line=number, value=text))
        elif len(fields) != len(names):
            sku_id = fields[0] if fields else None
            on_issue(make_issue("FILE_COLUMN_COUNT", line=number, sku_id=sku_id,
                                value=f"{len(fields)} fields, expected {len(names)}"))
        else:
            yield FeedRecord(number, dict(zip(names, fields, strict=True)))
    if rows == 0:
        on_issue(make_issue("FILE_NO_ROWS", line=1))


_ID_CHARS = re.compile(r"[^\s|\"\x00-\x1f\x7f](?:[^|\"\x00-\x1f\x7f]*[^\s|\"\x00-\x1f\x7f])?")


def read_delete_feed(
    path: Path, on_issue: OnIssue, max_line: int = MAX_LINE_BYTES
) -> Iterator[tuple[int, str]]:
    """Stream (line, sku_id) of a delete feed: one bare ID per LF-terminated line, no header.

    A last line without its LF is reported and never applied: the cartridge ends every ID with LF and
    writes the file under its final name, so such a line is most likely cut off mid-write (`PX-16` of
    `PX-16372`), and deleting it would remove a SKU the feed never listed."""
    kind = sniff_kind(path)
    if kind in ("product", "inventory"):
        raise FeedFileError(path, None, f"not a delete feed: {describe_content(path, kind)}")
    with open(path, "rb") as handle:
        head = handle.read(_SNIFF_BYTES)
        if head.startswith(_UTF16_BOMS) or _binary(head):
            line = head.count(b"\n", 0, max(head.find(b"\x00"), 0)) + 1
            raise FeedFileError(path, line, f"{describe_content(path, None)}: not a delete feed")
        handle.seek(0)
        for number, raw in physical_lines(handle, max_line):
            text = decode_line(path, number, raw, max_line)
            if isinstance(text, LineError):
                on_issue(text.issue(raw))
                continue
            if not text.endswith("\n"):
                on_issue(make_issue("DELETE_ID_UNTERMINATED", line=number, value=text))
                continue
            text = text.removesuffix("\n")
            if not text.strip():
                on_issue(make_issue("DELETE_BLANK_ID", line=number, value=text))
            elif len(text) > 100:
                on_issue(make_issue("DELETE_ID_TOO_LONG", line=number, value=text))
            elif not _ID_CHARS.fullmatch(text):
                on_issue(make_issue("DELETE_ID_INVALID", line=number, value=text))
            else:
                yield number, text
