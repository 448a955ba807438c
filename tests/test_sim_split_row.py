"""A feed line's fields: the quick path for all-quoted lines must read every line exactly as the csv
module does (same fields, or the same quoting error), since a row read differently is a different
product."""

from __future__ import annotations

import csv
import itertools

from simulator.feedfile import split_row


def csv_fields(text: str) -> list[str] | None:
    """The reading the feed format defines: csv with `|`, `"` and doubled quotes, strictly."""
    try:
        return next(csv.reader((text,), delimiter="|", quotechar='"', doublequote=True, strict=True), [])
    except csv.Error:
        return None


def test_every_short_quoted_line_reads_as_csv_reads_it() -> None:
    lines = ("".join(chars) for size in range(9) for chars in itertools.product('"|a\r', repeat=size))
    for text in (line for line in lines if '"' in line):  # a line without quotes is split at each bar
        assert split_row(text) == csv_fields(text), repr(text)


def test_cartridge_rows_with_doubled_quotes_and_bars_inside() -> None:
    for text in ('"P1"|"{""images"":[""https://x/1.jpg""]}"|""', '"a|b"|"say ""|"""|"x"',
                 '"a"""|"""b"', '"a"|b|"c"', '"x" |"y"', '"' + "v" * (csv.field_size_limit() + 1) + '"'):
        assert split_row(text) == csv_fields(text), text
