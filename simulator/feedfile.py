"""Read the cartridge's product and delete feeds as TikTok receives them, one line at a time.

Rows are single physical lines by contract (the cartridge replaces CR, LF and `|` in values), so each
line is parsed on its own: a broken quote spoils one row, never the rest of the file. Fields may be
quoted opencsv-style (`"..."`, `""` for a quote) or bare. Problems with the file's layout become
Issues through `on_issue`; only input that is not a feed at all raises FeedFileError.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from simulator.rules.issues import OnIssue, make_issue
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


def sniff_kind(path: Path) -> str | None:
    """"product", "delete" or "inventory" judged from the content, or None when it is none of them."""
    with open(path, "rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if not head:
        return "delete"  # the cartridge writes an empty delete feed when nothing disappeared
    if b"\x00" in head:
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


def _lines(path: Path, on_issue: OnIssue) -> Iterator[tuple[int, str]]:
    """Decoded lines without their line ends; BOM and CRLF are reported once, bad bytes raise."""
    crlf_seen = False
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(_BOM):
                on_issue(make_issue("FILE_BOM", line=1))
                raw = raw[len(_BOM):]
            if number == 1 and raw.startswith(_UTF16_BOMS):
                raise FeedFileError(path, number, "UTF-16 text; feeds are UTF-8")
            if b"\x00" in raw:
                raise FeedFileError(path, number, "binary data (NUL byte): not a text feed")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise FeedFileError(path, number, f"not UTF-8 (byte 0x{raw[error.start]:02x} at column "
                                                  f"{error.start + 1}); feeds are UTF-8") from None
            if text.endswith("\r\n"):
                text = text[:-2]
                if not crlf_seen:
                    crlf_seen = True
                    on_issue(make_issue("FILE_CRLF", line=number))
            elif text.endswith("\n"):
                text = text[:-1]
            yield number, text


def split_row(text: str) -> list[str] | None:
    """The fields of one line, quoted or bare; None when its quoting is broken."""
    if '"' not in text:
        return text.split("|")
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


def read_product_feed(path: Path, on_issue: OnIssue) -> Iterator[FeedRecord]:
    """Stream the rows of a product feed; rows whose layout is broken are reported and skipped."""
    lines = _lines(path, on_issue)
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


def read_delete_feed(path: Path, on_issue: OnIssue) -> Iterator[tuple[int, str]]:
    """Stream (line, sku_id) of a delete feed: one bare ID per LF-terminated line, no header."""
    kind = sniff_kind(path)
    if kind in ("product", "inventory"):
        raise FeedFileError(path, None, f"not a delete feed: {describe_content(path, kind)}")
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if b"\x00" in raw:
                raise FeedFileError(path, number, "binary data (NUL byte): not a delete feed")
            try:
                text = raw.decode("utf-8").removesuffix("\n")
            except UnicodeDecodeError:
                raise FeedFileError(path, number, "not UTF-8; delete feeds are UTF-8") from None
            if not text.strip():
                on_issue(make_issue("DELETE_BLANK_ID", line=number, value=text))
            elif len(text) > 100:
                on_issue(make_issue("DELETE_ID_TOO_LONG", line=number, value=text))
            elif not _ID_CHARS.fullmatch(text):
                on_issue(make_issue("DELETE_ID_INVALID", line=number, value=text))
            else:
                yield number, text
