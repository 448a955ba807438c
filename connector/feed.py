"""The cartridge's product feed: 15 columns per SKU, `|`-separated, every field quoted.

Column rules follow the TikTok-for-SFCC cartridge (docs/formats.md section 2): the cartridge
builds each value, replaces CR, LF and `|` by a space, then hands the row to an opencsv-style
writer that quotes every field and doubles embedded quotes.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from json.encoder import encode_basestring
from pathlib import Path
from typing import NamedTuple, TextIO

from connector.names import temp_name


class FeedRow(NamedTuple):
    """One SKU's 15 column values; the field names are the feed's header, so no caller counts columns."""

    sku_id: str
    title: str
    description: str
    image_urls: str
    landing_page_url: str
    product_category: str
    sale_regions: str
    availability: str
    price: str
    item_group_id: str
    variation_properties: str
    is_default_variant: str
    brand: str
    google_product_category: str
    condition: str


FEED_HEADER: tuple[str, ...] = FeedRow._fields

# The cartridge's pattern `<([^>]+)>` (ProductFieldMapper.ds, productDescription): a literal `<>` stays.
_TAG = re.compile(r"<[^>]+>")
# Values come from XML, which cannot hold NUL: joining on it lets a whole row be sanitised with a
# few C-level replaces instead of one call per field.
_JOIN = "\0"


def _sanitised_join(values: Sequence[str]) -> str:
    """Each CR, LF and `|` becomes one space, as the cartridge does before writing."""
    return _JOIN.join(values).replace("\r", " ").replace("\n", " ").replace("|", " ")


def format_feed_line(values: Sequence[str]) -> str:
    """One feed line: each value sanitised, wrapped in `"` with `"` doubled, `|`-joined, LF-ended."""
    return '"' + _sanitised_join(values).replace('"', '""').replace(_JOIN, '"|"') + '"\n'


def write_feed_lines(
    lines: Iterable[str], path: Path, appended: Callable[[TextIO], int] | None = None
) -> int:
    """Write the header and formatted lines to `TEMP_<name>`, then rename into place; returns the row count.

    Lines come formatted (`format_feed_line`): a sync formats each row once, for its hash and the file.

    `appended` writes more lines after these (made elsewhere meanwhile) and returns their count.
    A failure while lines are produced (bad input) removes the temp file, so `path` is never
    half-written.
    """
    temp = path.with_name(temp_name(path.name))
    count = 0
    try:
        with open(temp, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(format_feed_line(FEED_HEADER))
            for line in lines:
                handle.write(line)
                count += 1
            if appended is not None:
                count += appended(handle)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return count


def js_number(value: float) -> str:
    """Format a number the way JavaScript's default Number-to-string does (`129`, `49.5`)."""
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if abs(value) >= 1e-6 and abs(value) < 1e21:
        return format(Decimal(text), "f")
    mantissa, _, exponent = text.partition("e")
    power = int(exponent)
    return f"{mantissa}e{'+' if power > 0 else '-'}{abs(power)}"


def price_text(amount: float, currency: str) -> str:
    """`<number> <CUR>`, the shape the cartridge's tracker depends on."""
    return f"{js_number(amount)} {currency}"


def images_json(urls: Sequence[str]) -> str:
    """`{"images":[...]}` as JSON.stringify writes it: compact, `/` and non-ASCII not escaped."""
    return '{"images":[' + ",".join(map(encode_basestring, urls)) + "]}"


def variation_json(properties: Sequence[tuple[str, str]]) -> str:
    """Compact JSON of display name -> display value, then every `\\"` rewritten as `\\\\"` (cartridge)."""
    pairs = ",".join(
        f"{encode_basestring(key)}:{encode_basestring(value)}" for key, value in dict(properties).items()
    )
    return ("{" + pairs + "}").replace('\\"', '\\\\"')


def strip_tags(markup: str) -> str:
    """Delete every non-empty `<...>` sequence; entities stay as they are (the cartridge does not decode)."""
    return _TAG.sub("", markup)


# Variants share their master's description and images, and many share variation values:
# each distinct value is formatted once.
_strip_tags_cached = functools.lru_cache(maxsize=4096)(strip_tags)
_images_json_cached = functools.lru_cache(maxsize=4096)(images_json)
_variation_json_cached = functools.lru_cache(maxsize=4096)(variation_json)


class SkuFacts(NamedTuple):
    """Everything one row needs, already resolved (inheritance, locale, best price, stock)."""

    sku_id: str
    name: str
    short_description: str
    long_description: str
    image_urls: tuple[str, ...]
    landing_page_url: str
    category_id: str
    country: str
    in_stock: bool
    price: str
    item_group_id: str
    variation_properties: tuple[tuple[str, str], ...]
    is_default_variant: bool
    brand: str
    google_product_category: str
    condition: str


def description(facts: SkuFacts) -> str:
    """Short description, else long, else name, else ID; tags removed (reference 2.3)."""
    text = facts.short_description or facts.long_description or facts.name or facts.sku_id
    return _strip_tags_cached(text)


def build_row(facts: SkuFacts) -> FeedRow:
    """The 15 sanitised column values for one SKU, in FEED_HEADER order."""
    values = (
        facts.sku_id,
        facts.name,
        description(facts),
        _images_json_cached(tuple(facts.image_urls)),
        facts.landing_page_url,
        facts.category_id,
        facts.country,
        "in stock" if facts.in_stock else "out of stock",
        facts.price,
        facts.item_group_id,
        _variation_json_cached(tuple(facts.variation_properties)),
        "true" if facts.is_default_variant else "false",
        facts.brand,
        facts.google_product_category,
        facts.condition or "new",
    )
    return FeedRow._make(_sanitised_join(values).split(_JOIN))
