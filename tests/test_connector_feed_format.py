"""The feed file's byte layout: quoting, sanitising, numbers, JSON columns, atomic write."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.feed import (
    FEED_HEADER,
    format_feed_line,
    images_json,
    js_number,
    price_text,
    strip_tags,
    variation_json,
    write_feed_lines,
)


def test_header_has_the_cartridge_columns_in_order() -> None:
    assert FEED_HEADER == (
        "sku_id",
        "title",
        "description",
        "image_urls",
        "landing_page_url",
        "product_category",
        "sale_regions",
        "availability",
        "price",
        "item_group_id",
        "variation_properties",
        "is_default_variant",
        "brand",
        "google_product_category",
        "condition",
    )


def test_every_field_is_quoted_and_embedded_quotes_doubled() -> None:
    assert format_feed_line(["a", "", 'say "hi"', "back\\slash"]) == '"a"|""|"say ""hi"""|"back\\slash"\n'


def test_cr_lf_and_pipe_each_become_one_space() -> None:
    assert format_feed_line(["one\r\ntwo|three\tfour"]) == '"one  two three\tfour"\n'


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (129.0, "129"),
        (49.5, "49.5"),
        (12.99, "12.99"),
        (0.0, "0"),
        (1e21, "1e+21"),
        (1.5e-7, "1.5e-7"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1234567.25, "1234567.25"),
    ],
)
def test_numbers_follow_javascript_formatting(amount: float, text: str) -> None:
    assert js_number(amount) == text


def test_price_is_number_space_currency() -> None:
    assert price_text(19.5, "USD") == "19.5 USD"


def test_image_json_is_compact_and_leaves_slashes_and_unicode_alone() -> None:
    assert images_json(["https://h/a/é.jpg"]) == '{"images":["https://h/a/é.jpg"]}'
    assert images_json([]) == '{"images":[]}'


def test_variation_json_rewrites_escaped_quotes_as_the_cartridge_does() -> None:
    value = variation_json([("Color", "Natural Oak"), ("Size", '12" Frame')])
    assert value == '{"Color":"Natural Oak","Size":"12\\\\" Frame"}'
    assert format_feed_line([value]) == '"{""Color"":""Natural Oak"",""Size"":""12\\\\"" Frame""}"\n'
    assert variation_json([]) == "{}"


def test_strip_tags_keeps_entities() -> None:
    assert strip_tags("<p>Soft &amp; warm<br/>wool</p>") == "Soft &amp; warmwool"


def test_the_feed_file_has_header_rows_lf_utf8_without_bom(tmp_path: Path) -> None:
    path = tmp_path / "feed.txt"
    row = tuple(f"v{i}é" for i in range(15))
    assert write_feed_lines(map(format_feed_line, [row]), path) == 1
    data = path.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8").split("\n")
    assert lines[0] == "|".join(f'"{name}"' for name in FEED_HEADER)
    assert lines[1] == "|".join(f'"{value}"' for value in row)
    assert lines[2:] == [""]
    assert b"\r" not in data
    assert [p.name for p in tmp_path.iterdir()] == ["feed.txt"]


def test_an_empty_feed_still_has_its_header(tmp_path: Path) -> None:
    path = tmp_path / "feed.txt"
    assert write_feed_lines([], path) == 0
    assert path.read_text(encoding="utf-8") == format_feed_line(FEED_HEADER)


def test_a_failing_row_source_leaves_no_file_behind(tmp_path: Path) -> None:
    def rows():
        yield tuple("x" * 15)
        raise ValueError("bad input")

    with pytest.raises(ValueError):
        write_feed_lines(map(format_feed_line, rows()), tmp_path / "feed.txt")
    assert list(tmp_path.iterdir()) == []
