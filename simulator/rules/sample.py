"""A valid product feed in the cartridge's exact layout, to mutate in tests and to time `check` on.

Rows are built per product (a master with variants, or a simple product) so that every group rule
holds: one default variant, the same property names, distinct combinations, one brand and category.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from simulator.feedfile import PRODUCT_COLUMNS

_HOST = "https://www.example.com"


def _properties(props: dict[str, str]) -> str:
    """variation_properties as the cartridge writes it: compact JSON, each `\\"` made `\\\\"`."""
    return json.dumps(props, separators=(",", ":"), ensure_ascii=False).replace('\\"', '\\\\"')


def product_rows(master: str, variants: int, *, region: str = "US", currency: str = "USD") -> list[dict]:
    """The rows of one product: `variants` variants of `master`, or one simple product when 0."""
    skus = [(master, {})] if variants == 0 else [
        (f"{master}-{n}", {"Color": ("Black", "Navy", "Olive")[n % 3], "Size": f"{n // 3 + 1}"})
        for n in range(variants)
    ]
    return [{
        "sku_id": sku,
        "title": f"Tailored Wool-Blend Blazer {master}",
        "description": "A tailored blazer in a soft wool blend.",
        "image_urls": json.dumps({"images": [f"{_HOST}/images/large/{sku}.jpg"]}, separators=(",", ":")),
        "landing_page_url": f"{_HOST}/{sku}.html",
        "product_category": "womens-clothing-jackets",
        "sale_regions": region,
        "availability": "in stock",
        "price": f"129.5 {currency}",
        "item_group_id": master,
        "variation_properties": _properties(props),
        "is_default_variant": "true" if index == 0 else "false",
        "brand": "RefArch",
        "google_product_category": "Apparel & Accessories",
        "condition": "new",
    } for index, (sku, props) in enumerate(skus)]


def catalog_rows(products: int, variants: int) -> Iterator[dict]:
    """`products` masters with `variants` variants each: products * variants rows."""
    for number in range(products):
        yield from product_rows(f"M{number:07d}", variants)


def feed_line(values: Iterable[str], quoted: bool = True) -> str:
    """One row as opencsv's CSVWriter writes it (every field quoted, `"` doubled), or bare."""
    if not quoted:
        return "|".join(values) + "\n"
    return "|".join('"' + value.replace('"', '""') + '"' for value in values) + "\n"


def write_feed(path: Path, rows: Iterable[dict], quoted: bool = True) -> Path:
    """Write the header and rows; a row dict may miss columns (written empty)."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(feed_line(PRODUCT_COLUMNS, quoted))
        for row in rows:
            handle.write(feed_line((row.get(column, "") for column in PRODUCT_COLUMNS), quoted))
    return path
