"""Reading product and delete feeds: kinds by content, opencsv quoting or none, layout problems as issues."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.sample import product_rows, write_feed
from simulator.feedfile import (
    PRODUCT_COLUMNS,
    FeedFileError,
    read_delete_feed,
    read_product_feed,
    sniff_kind,
)

HEADER_QUOTED = "|".join(f'"{c}"' for c in PRODUCT_COLUMNS)


def _read(path: Path) -> tuple[list, list]:
    issues: list = []
    records = list(read_product_feed(path, issues.append))
    return records, issues


def test_sniff_kind_from_content_not_name(tmp_path: Path) -> None:
    feed = write_feed(tmp_path / "delete-feed-looking-name.txt", product_rows("M1", 1))
    bare = write_feed(tmp_path / "x.dat", product_rows("M1", 1), quoted=False)
    delete = tmp_path / "tiktok-feed.txt"
    delete.write_text("SKU-1\nSKU-2\n")
    empty = tmp_path / "e"
    empty.write_bytes(b"")
    xml = tmp_path / "feed.txt"
    xml.write_text('<?xml version="1.0"?>\n<inventory/>')
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"\x00\x01\x02")
    prose = tmp_path / "p.txt"
    prose.write_text("Dear team,\nplease find the export attached.\n")
    kinds = [sniff_kind(p) for p in (feed, bare, delete, empty, xml, binary, prose)]
    assert kinds == ["product", "product", "delete", "delete", "inventory", None, None]


def test_quoted_and_bare_fields_give_the_same_records(tmp_path: Path) -> None:
    rows = product_rows("M1", 2)
    rows[0]["title"] = 'The "Classic" Blazer'
    rows[1]["variation_properties"] = '{"Frame":"12\\\\" Frame"}'
    quoted, _ = _read(write_feed(tmp_path / "q.txt", rows))
    bare, issues = _read(write_feed(tmp_path / "b.txt", rows, quoted=False))
    assert issues == []
    assert [r.values for r in quoted] == [r.values for r in bare] == rows
    assert [(r.line, r.sku_id, r.item_group_id) for r in quoted] == [(2, "M1-0", "M1"), (3, "M1-1", "M1")]
    assert quoted[0].values["title"] == 'The "Classic" Blazer'


def test_bom_crlf_and_broken_rows_are_issues_and_good_rows_still_come_through(tmp_path: Path) -> None:
    rows = product_rows("M1", 1)
    good = write_feed(tmp_path / "good.txt", rows).read_text()
    text = good + '"A"|"only two"\n' + '"B"|"unbalanced\n' + "\n" + good.splitlines(keepends=True)[1]
    path = tmp_path / "feed.txt"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    records, issues = _read(path)
    assert [r.line for r in records] == [2, 6]
    assert [(i.code, i.line, i.severity) for i in issues] == [
        ("FILE_BOM", 1, "warning"), ("FILE_CRLF", 1, "warning"), ("FILE_COLUMN_COUNT", 3, "error"),
        ("FILE_QUOTING", 4, "error"), ("FILE_COLUMN_COUNT", 5, "error")]
    assert issues[2].value == "2 fields, expected 15" and issues[2].sku_id == "A"
    assert records[0].values["condition"] == "new"  # no CR left on the last column


def test_header_problems(tmp_path: Path) -> None:
    swapped = tmp_path / "swapped.txt"
    swapped.write_text(HEADER_QUOTED.replace('"title"|"description"', '"description"|"title"') + "\n")
    assert [(i.code, i.value) for i in _read(swapped)[1]] == [("FILE_HEADER_INVALID", "columns out of order"),
                                                             ("FILE_NO_ROWS", None)]
    renamed = tmp_path / "renamed.txt"
    renamed.write_text(HEADER_QUOTED.replace('"brand"', '"brand_name"') + "\n")
    assert _read(renamed)[1][0].value == "missing: brand; unexpected: brand_name"
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert [i.code for i in _read(empty)[1]] == ["FILE_EMPTY"]


def test_files_that_are_no_product_feed_raise_with_the_reason(tmp_path: Path) -> None:
    headerless = tmp_path / "rows-only.txt"
    headerless.write_text("A|B|C\n")
    with pytest.raises(FeedFileError, match=r"rows-only.txt:1: not a product feed"):
        _read(headerless)
    utf16 = write_feed(tmp_path / "utf16.txt", product_rows("M1", 1))
    utf16.write_bytes(utf16.read_text().encode("utf-16"))
    with pytest.raises(FeedFileError, match=r"utf16.txt:1: UTF-16 text") as caught:
        _read(utf16)
    assert (caught.value.line, caught.value.path) == (1, str(utf16))
    nul_header = tmp_path / "nul.txt"
    nul_header.write_bytes(b"sku_id|title\x00|description\n")
    with pytest.raises(FeedFileError, match=r"nul.txt:1: the first line is binary data \(NUL byte\), so"):
        _read(nul_header)
    one_line = tmp_path / "one-line.txt"
    one_line.write_bytes(b"x" * 5000)
    with pytest.raises(FeedFileError, match=r"one-line.txt:1: the first line is longer than 4096 bytes"):
        list(read_product_feed(one_line, lambda issue: None, max_line=4096))


def test_an_unreadable_row_is_skipped_and_named_the_rest_is_read(tmp_path: Path) -> None:
    """Not UTF-8, a NUL, or longer than the limit: that row only, with its line and the start of it."""
    feed = write_feed(tmp_path / "rows.txt", product_rows("M1", 4))
    lines = feed.read_bytes().splitlines(keepends=True)
    lines[1] = "caf\xe9|x\n".encode("latin-1")
    lines[2] = b"A\x00B|x\n"
    lines[3] = b"L" * 5000 + b"\n"
    feed.write_bytes(b"".join(lines))
    issues: list = []
    records = list(read_product_feed(feed, issues.append, max_line=4096))
    assert [r.line for r in records] == [5]
    assert [(i.code, i.line) for i in issues] == [
        ("FILE_ROW_NOT_UTF8", 2), ("FILE_ROW_BINARY", 3), ("FILE_ROW_TOO_LONG", 4)]
    assert "byte 0xe9 at column 4" in issues[0].value and "caf" in issues[0].value
    assert issues[2].value == "longer than 4096 bytes"


def test_delete_feed_reader(tmp_path: Path) -> None:
    path = tmp_path / "delete-feed-RefArch-20240315141531.txt"
    path.write_text('SKU-1\n\n"SKU-2"\nSKU 3\nSKU-4\r\n')
    issues: list = []
    assert list(read_delete_feed(path, issues.append)) == [(1, "SKU-1"), (4, "SKU 3")]
    assert [(i.code, i.line) for i in issues] == [("DELETE_BLANK_ID", 2), ("DELETE_ID_INVALID", 3),
                                                  ("DELETE_ID_INVALID", 5)]
    feed = write_feed(tmp_path / "feed.txt", product_rows("M1", 1))
    with pytest.raises(FeedFileError, match="not a delete feed: it is a product feed"):
        list(read_delete_feed(feed, issues.append))
    binary = tmp_path / "delete-feed-binary.txt"
    binary.write_bytes(b"\x00\x00SKU-1\n")
    with pytest.raises(FeedFileError, match=r"delete-feed-binary.txt:1: it is a binary file"):
        list(read_delete_feed(binary, issues.append))


def test_delete_feed_bad_lines_are_skipped_and_a_cut_last_line_is_never_applied(tmp_path: Path) -> None:
    path = tmp_path / "delete-feed-RefArch-20240315141531.txt"
    good = [f"OK-{n}".encode() for n in range(20)]  # one NUL row among many is a bad row, not a binary file
    path.write_bytes(b"\n".join([b"PX-1", b"PX-\x002", b"\xffPX-3", b"PX-4", *good, b"PX-16"]))
    issues: list = []
    ids = list(read_delete_feed(path, issues.append))
    assert ids[:2] == [(1, "PX-1"), (4, "PX-4")] and len(ids) == 22 and (25, "PX-16") not in ids
    assert [(i.code, i.line) for i in issues] == [
        ("FILE_ROW_BINARY", 2), ("FILE_ROW_NOT_UTF8", 3), ("DELETE_ID_UNTERMINATED", 25)]
