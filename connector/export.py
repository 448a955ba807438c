"""Full export: scan a site's SFCC exports once and write the cartridge's product feed file.

Work in progress: the interface is final, the scan is being written.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from connector.feed import FeedRow, write_product_feed

DEFAULT_IMAGE_BASE_URL = "https://images.example.com/on/demandware.static/-/Sites-catalog/default/images/"
DEFAULT_STOREFRONT_URL = "https://www.example.com/s/{site_id}"


@dataclass(frozen=True)
class SiteInputs:
    """One site's SFCC exports plus the settings the cartridge would read from the instance."""

    catalogs: tuple[Path, ...]
    pricebooks: tuple[Path, ...]
    inventories: tuple[Path, ...]
    site_id: str
    locale: str = "en_US"
    image_base_url: str = DEFAULT_IMAGE_BASE_URL
    storefront_url: str = DEFAULT_STOREFRONT_URL
    google_product_category: str = "Apparel & Accessories"
    currency: str | None = None


@dataclass(frozen=True)
class ExportFiles:
    """What `export_full` wrote."""

    feed: Path
    rows: int


class SiteScan:
    """Result of one streaming scan of a site's inputs."""

    deleted_ids: frozenset[str]

    def rows(self) -> Iterator[FeedRow]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


def scan_site(inputs: SiteInputs, now: datetime | None = None) -> SiteScan:
    raise NotImplementedError


def feed_file_name(site_id: str, locale: str, now: datetime) -> str:
    """`tiktok-feed-<site>-<yyyyMMddhhmmss>-<locale>.txt`: 12-hour clock, as the cartridge."""
    return f"tiktok-feed-{site_id}-{now.strftime('%Y%m%d%I%M%S')}-{locale}.txt"


def inventory_file_name(site_id: str, now: datetime) -> str:
    """`inventory-<site>-<yyyyMMddHHmmssSSS>.xml` in UTC (formats.md section 5)."""
    utc = now.astimezone(UTC) if now.tzinfo else now
    return f"inventory-{site_id}-{utc.strftime('%Y%m%d%H%M%S')}{utc.microsecond // 1000:03d}.xml"


def export_full(inputs: SiteInputs, out_dir: Path, now: datetime) -> ExportFiles:
    """Write the full product feed for `inputs` into `out_dir`."""
    path = out_dir / feed_file_name(inputs.site_id, inputs.locale, now)
    scan = scan_site(inputs, now)
    try:
        rows = write_product_feed(scan.rows(), path)
    finally:
        scan.close()
    return ExportFiles(feed=path, rows=rows)


def write_inventory_export(inventories: Sequence[Path], path: Path) -> int:
    raise NotImplementedError
