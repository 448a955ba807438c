"""A product feed row as the rules and the shop read it: its values, the product it belongs to, its price.

Readers produce records, the engine checks them, the review stores them: this module sits under all
three, so none of them imports another for the row's shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PRICE = re.compile(r"(-?\d+(?:\.\d+)?) ([A-Z]{3})")


@dataclass(frozen=True)
class FeedRecord:
    """One product feed row: its physical line number and its values by column name."""

    line: int
    values: dict[str, str]

    @property
    def sku_id(self) -> str:
        return self.values.get("sku_id", "")

    @property
    def item_group_id(self) -> str:
        return self.values.get("item_group_id", "")


def group_key(record: FeedRecord) -> str:
    """The product a row belongs to; a row without item_group_id stands alone under its SKU."""
    return record.item_group_id or record.sku_id or f"line {record.line}"


def parse_price(text: str) -> tuple[str, str] | None:
    """`12.5 USD` -> ("12.5", "USD"): the cartridge's number, one space, ISO 4217 code; None otherwise.

    The one reading of the price column: the rules judge it and the product API shows it the same way."""
    match = _PRICE.fullmatch(text)
    return None if match is None else (match.group(1), match.group(2))
