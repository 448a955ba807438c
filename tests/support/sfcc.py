"""SFCC as the tests see it: the Impex WebDAV layout, and small exports written the way SFCC writes them."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

MOUNT = "/on/demandware.servlet/webdav/Sites/Impex"
PRODUCT_FOLDER = "src/feeds/export/social/tiktok/product"
INVENTORY_FOLDER = "src/feeds/export/social/tiktok/inventory"

CATALOG_NS = "http://www.demandware.com/xml/impex/catalog/2006-10-31"
PRICEBOOK_NS = "http://www.demandware.com/xml/impex/pricebook/2006-10-31"
INVENTORY_NS = "http://www.demandware.com/xml/impex/inventory/2007-05-31"


def _simple(product_id: str, title: str) -> str:
    return (f'<product product-id="{product_id}">'
            f'<display-name xml:lang="x-default">{title}</display-name>'
            f'<online-flag>true</online-flag>'
            f'<images><image-group view-type="large"><image path="{product_id}.jpg"/></image-group></images>'
            f'</product>')


def _master(master_id: str, title: str, colors: list[str]) -> str:
    values = "".join(f'<variation-attribute-value value="{c}"><display-value xml:lang="x-default">'
                     f'{c.title()}</display-value></variation-attribute-value>' for c in colors)
    variants = "".join(f'<variant product-id="{master_id}-{c}"/>' for c in colors)
    master = (f'<product product-id="{master_id}">'
              f'<display-name xml:lang="x-default">{title}</display-name>'
              f'<online-flag>true</online-flag>'
              f'<images><image-group view-type="large"><image path="{master_id}.jpg"/></image-group></images>'
              f'<variations><attributes>'
              f'<variation-attribute attribute-id="color" variation-attribute-id="color">'
              f'<display-name xml:lang="x-default">Color</display-name>'
              f'<variation-attribute-values>{values}</variation-attribute-values></variation-attribute>'
              f'</attributes><variants>{variants}</variants></variations></product>')
    children = "".join(
        f'<product product-id="{master_id}-{c}"><online-flag>true</online-flag><custom-attributes>'
        f'<custom-attribute attribute-id="color">{c}</custom-attribute></custom-attributes></product>'
        for c in colors)
    return master + children


def write_catalog(path: Path, simples: dict[str, str],
                  masters: dict[str, tuple[str, list[str]]] | None = None,
                  deleted: tuple[str, ...] = ()) -> Path:
    """A catalog export: simple products {id: title}, masters {id: (title, colours)}, mode="delete" ids.

    It is also the site catalog: every simple product and master is assigned to category `all`.
    """
    body = "".join(_simple(pid, title) for pid, title in simples.items())
    body += "".join(_master(mid, title, colors) for mid, (title, colors) in (masters or {}).items())
    body += "".join(f'<product product-id="{pid}" mode="delete"/>' for pid in deleted)
    body += "".join(f'<category-assignment category-id="all" product-id="{pid}"/>'
                    for pid in [*simples, *(masters or {})])
    path.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n<catalog xmlns="{CATALOG_NS}" '
                    f'catalog-id="test-catalog">\n{body}\n</catalog>\n', encoding="utf-8")
    return path


def write_pricebook(path: Path, prices: dict[str, str]) -> Path:
    tables = "".join(f'<price-table product-id="{pid}"><amount quantity="1">{amount}</amount></price-table>'
                     for pid, amount in prices.items())
    path.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n<pricebooks xmlns="{PRICEBOOK_NS}"><pricebook>'
                    f'<header pricebook-id="usd-list"><currency>USD</currency><online-flag>true</online-flag>'
                    f'</header><price-tables>{tables}</price-tables></pricebook></pricebooks>\n',
                    encoding="utf-8")
    return path


def inventory_xml(records: Iterable[tuple[str, str]], list_id: str = "inventory_m") -> bytes:
    """One inventory list: a record per (product id, the record's inner XML, e.g. its allocation)."""
    body = "\n".join(f'<record product-id="{sku}">{inner}</record>' for sku, inner in records)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<inventory xmlns="{INVENTORY_NS}">\n<inventory-list>\n'
        f'<header list-id="{list_id}"><default-instock>false</default-instock></header>\n'
        f"<records>\n{body}\n</records>\n</inventory-list>\n</inventory>\n"
    ).encode()


def write_inventory(path: Path, allocations: dict[str, int]) -> Path:
    """The `inventory_main` list with an allocation per product."""
    records = ((pid, f"<allocation>{n}</allocation>") for pid, n in sorted(allocations.items()))
    path.write_bytes(inventory_xml(records, "inventory_main"))
    return path
