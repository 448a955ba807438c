"""Region profiles: the limits that differ between TikTok Shop regions.

Values follow TikTok's older (API 202309, [OLD]) documentation wherever the two doc versions
disagree, because only that version publishes the price ranges; docs/rules.md says so. The
inventory maximum follows the newer docs (99,999), which is what Update Inventory enforces.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

DEFAULT_REGION = "US"  # a tenant's, `serve`'s and `check`'s region when none is given


@dataclass(frozen=True)
class Profile:
    """One region's limits. `country` is what the cartridge writes in sale_regions (ISO 3166)."""

    region: str
    country: str
    currency: str
    price_min: Decimal
    price_max: Decimal
    title_min: int
    title_max: int
    max_skus: int
    max_inventory: int = 99999
    description_max: int = 10000
    images_max: int = 9
    sku_id_max: int = 50
    properties_max: int = 3
    property_name_max: int = 20
    property_value_max: int = 50


def _profile(region: str, country: str, currency: str, low: str, high: str, title_min: int,
             max_skus: int) -> Profile:
    return Profile(region, country, currency, Decimal(low), Decimal(high), title_min, 255, max_skus)


PROFILES: dict[str, Profile] = {
    p.region: p
    for p in (
        _profile("US", "US", "USD", "0.01", "7600", 1, 100),
        _profile("UK", "GB", "GBP", "0.01", "5600", 1, 100),
        _profile("SG", "SG", "SGD", "0.01", "10000", 25, 300),
        _profile("MY", "MY", "MYR", "0.01", "320000", 25, 300),
        _profile("TH", "TH", "THB", "30", "260000", 25, 300),
        _profile("VN", "VN", "VND", "1", "180000000", 25, 300),
        _profile("ID", "ID", "IDR", "100", "100000000", 25, 300),
        _profile("PH", "PH", "PHP", "0.01", "400000", 25, 300),
    )
}


def get_profile(region: str = DEFAULT_REGION) -> Profile:
    """The profile of a TikTok Shop region (case-insensitive); ValueError lists the known ones."""
    try:
        return PROFILES[region.upper()]
    except KeyError:
        raise ValueError(f"unknown region {region!r}; known regions: {', '.join(PROFILES)}") from None
