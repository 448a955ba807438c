"""What the bundled SFCC site holds, as fixtures/README.md documents it, for the scenarios to expect."""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree
from support.sfcc import INVENTORY_NS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SITE = FIXTURES / "sfcc"
CARTRIDGE_FEED = FIXTURES / "feeds" / "tiktok-feed-RefArch-20240315021530-en_US.txt"
INVENTORY_LIST = "inventory_main"
MAX_QUANTITY = 99_999

FEED_HEADER = (
    "sku_id", "title", "description", "image_urls", "landing_page_url", "product_category",
    "sale_regions", "availability", "price", "item_group_id", "variation_properties",
    "is_default_variant", "brand", "google_product_category", "condition",
)

_readme = (FIXTURES / "README.md").read_text("utf-8")
_listed = re.search(r"<!-- sellable-skus:begin -->\s*```\n(.*?)```", _readme, re.S)
assert _listed, "fixtures/README.md lost its sellable-skus list"
SELLABLE_SKUS: tuple[str, ...] = tuple(_listed.group(1).split())

# Products that break a TikTok rule on purpose (fixtures/README.md): a 277-character title, no images.
RULE_BREAKERS = frozenset({"HOME-RUG-LONG", "HOME-MIRROR-NOIMG"})
# Simple products that pass review, one per kind of change a scenario makes.
SIMPLE_SKUS = ("KIT-BOTTLE-750", "ACC-TOTE-01", "KIT-DRIP-01")


_SAFE = etree.XMLParser(resolve_entities=False, no_network=True)
_INVENTORY = etree.parse(str(SITE / "inventory.xml"), _SAFE)
_NS = f"{{{INVENTORY_NS}}}"

# (list-id, product-id) of every record in the bundled inventory export.
INVENTORY_RECORDS = [(record.getparent().getparent().find(f"{_NS}header").get("list-id"),
                      record.get("product-id")) for record in _INVENTORY.iter(f"{_NS}record")]


def expected_quantities() -> dict[str, int]:
    """Each sellable SKU's stock in INVENTORY_LIST: ats, else allocation; perpetual and caps at 99,999."""
    expected: dict[str, int] = {}
    for inventory_list in _INVENTORY.iter(f"{_NS}inventory-list"):
        if inventory_list.find(f"{_NS}header").get("list-id") != INVENTORY_LIST:
            continue
        for record in inventory_list.iter(f"{_NS}record"):
            sku = record.get("product-id")
            if sku not in SELLABLE_SKUS:
                continue
            amount = record.findtext(f"{_NS}ats") or record.findtext(f"{_NS}allocation") or "0"
            perpetual = record.findtext(f"{_NS}perpetual") == "true"
            expected[sku] = MAX_QUANTITY if perpetual else min(int(float(amount)), MAX_QUANTITY)
    return expected
