"""One page of a feed file for the viewer, found by seeking, and the cells of it that broke a rule.

A file is indexed once per version (size and mtime): the byte offset of every INDEX_EVERY-th line, kept in
memory for the last few files. A page then seeks to the nearest indexed line and reads at most
INDEX_EVERY + PAGE_ROWS lines, so a 100,000-row feed opens as fast as a 100-row one after the first scan,
and the first scan reads the file in chunks without ever holding it whole (bench/dashboard_viewer.py).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from simulator.feedfile import (
    MAX_LINE_BYTES,
    PRODUCT_COLUMNS,
    LineError,
    decode_line,
    physical_lines,
    sniff_kind,
    split_row,
)
from simulator.rules.engine import FeedChecker
from simulator.rules.profiles import Profile
from simulator.rules.record import FeedRecord

INDEX_EVERY = 64
PAGE_ROWS = 100
_CHUNK = 1 << 20
_FILES_INDEXED = 16


@dataclass(frozen=True)
class LineIndex:
    """Where every INDEX_EVERY-th line starts (line 1, 1 + INDEX_EVERY, ...) and how many lines there are."""

    offsets: array
    lines: int


@dataclass
class Cell:
    """One shown value and the messages of the rules it broke (none: it passed)."""

    text: str
    messages: list[str] = field(default_factory=list)


@dataclass
class ShownRow:
    """One line of the file as table cells; `messages` are the line's findings that name no shown column,
    `broken` the columns whose cells broke a rule (named up front: on a phone they may be scrolled off)."""

    line: int
    cells: list[Cell]
    messages: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FeedPage:
    """What the viewer shows: the columns, the rows of one page, and where it is in the file."""

    kind: str
    columns: tuple[str, ...]
    rows: list[ShownRow]
    page: int
    pages: int
    lines: int


def line_index(path: Path) -> LineIndex:
    """The file's index, built on first use of this version of it."""
    stat = path.stat()
    return _index(str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=_FILES_INDEXED)
def _index(path: str, size: int, mtime_ns: int) -> LineIndex:
    offsets = array("Q", [0])
    lines, position, last = 0, 0, b"\n"
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            start = 0
            while (end := chunk.find(b"\n", start)) != -1:
                lines += 1
                if lines % INDEX_EVERY == 0:
                    offsets.append(position + end + 1)
                start = end + 1
            position += len(chunk)
            last = chunk[-1:]
    if last != b"\n":  # a last line without its LF is still a line
        lines += 1
    return LineIndex(offsets, lines)


def read_lines(path: Path, first: int, count: int, max_line: int = MAX_LINE_BYTES) -> list[tuple[int, str]]:
    """Lines `first`..`first + count - 1` (1-based) without their line ends; an unreadable one says why."""
    index = line_index(path)
    block = (first - 1) // INDEX_EVERY
    found: list[tuple[int, str]] = []
    with open(path, "rb") as handle:
        handle.seek(index.offsets[block])
        start = block * INDEX_EVERY
        for number, raw in physical_lines(handle, max_line):
            line = start + number
            if line < first:
                continue
            if line >= first + count:
                break
            text = decode_line(path, line, raw, max_line)
            shown = f"[{text.message}]" if isinstance(text, LineError) else text.rstrip("\r\n")
            found.append((line, shown))
    return found


def feed_page(path: Path, page: int, profile: Profile, known: Iterable[dict[str, Any]] = ()) -> FeedPage:
    """Page `page` (1-based) of the file, with the row rules run on its rows and the `known` findings
    (a job's issue examples: line, field, message) laid on the cells they name."""
    kind = sniff_kind(path) or "text"
    lines = line_index(path).lines
    header = 1 if kind == "product" else 0
    pages = max(1, -(-(lines - header) // PAGE_ROWS))
    page = min(max(page, 1), pages)
    columns: tuple[str, ...] = ("value",)
    if kind == "product":
        columns = tuple(split_row(read_lines(path, 1, 1)[0][1].removeprefix("\ufeff")) or PRODUCT_COLUMNS)
    elif kind == "delete":
        columns = ("sku_id",)
    rows = []
    for line, text in read_lines(path, header + 1 + (page - 1) * PAGE_ROWS, PAGE_ROWS):
        values = split_row(text) if kind == "product" else None
        if values is None or len(values) != len(columns):
            rows.append(ShownRow(line, [Cell(text)] + [Cell("") for _ in columns[1:]]))
        else:
            rows.append(ShownRow(line, [Cell(value) for value in values]))
    if kind == "product":
        _check(rows, columns, profile)
    _lay(rows, columns, known)
    return FeedPage(kind, columns, rows, page, pages, lines)


def page_of(line: int, kind: str) -> int:
    """The page that shows physical line `line`."""
    header = 1 if kind == "product" else 0
    return max(1, (line - header - 1) // PAGE_ROWS + 1)


def _check(rows: list[ShownRow], columns: tuple[str, ...], profile: Profile) -> None:
    """The row rules on each whole row (group rules need the whole product: they come from the job)."""
    checker = FeedChecker(profile)
    for row in rows:
        if len(row.cells) != len(columns):
            continue
        values = {name: cell.text for name, cell in zip(columns, row.cells, strict=True)}
        record = FeedRecord(row.line, values)
        findings = [{"line": row.line, "field": issue.field, "message": issue.message}
                    for issue in checker.add(record)]
        _lay([row], columns, findings)


def _lay(rows: list[ShownRow], columns: tuple[str, ...], findings: Iterable[dict[str, Any]]) -> None:
    by_line = {row.line: row for row in rows}
    for finding in findings:
        row = by_line.get(finding.get("line") or 0)
        if row is None:
            continue
        message = str(finding.get("message", ""))
        name = finding.get("field")
        target = row.cells[columns.index(name)].messages if name in columns else row.messages
        if message not in target:
            target.append(message)
        if name in columns and name not in row.broken:
            row.broken.append(name)
