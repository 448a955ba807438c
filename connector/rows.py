"""Join the scan's scratch tables into feed rows, in catalog order, optionally one range of it.

A big site's rows are joined in two processes at once (`write_rows_part` takes the second half and
writes it to a file the feed then appends, or a sync then stages): each process opens the scan's
files for reading only.
"""

from __future__ import annotations

import functools
import hashlib
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from connector.catalog import ImageGroup
from connector.catalog_load import KIND_ITEM, unpack
from connector.feed import FeedRow, SkuFacts, build_row, format_feed_line, price_text
from connector.scratch import SCAN_CACHE_KIB
from connector.summary import ExportSummary, RowTallies, Tally

_ROWS = f"""
SELECT p.id, p.name, p.short, p.long, p.brand, p.msku, p.images, p.vals, v.master,
    COALESCE(pp.amount, mp.amount), c.cat,
    CASE WHEN v.master IS NULL THEN COALESCE(s.instock, :n > 0) ELSE COALESCE(ms.instock, 0) END,
    d.variant
FROM product p
JOIN site_product sp ON sp.id = p.id
LEFT JOIN variant v ON v.variant = p.id
LEFT JOIN price pp ON pp.id = p.id
LEFT JOIN price mp ON mp.id = v.master
LEFT JOIN category c ON c.id = COALESCE(v.master, p.id)
LEFT JOIN sku_stock s ON s.id = p.id
LEFT JOIN master_stock ms ON ms.master = v.master
LEFT JOIN master_default d ON d.master = v.master
WHERE p.kind = {KIND_ITEM} AND p.online = 1 AND COALESCE(pp.amount, mp.amount) IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM vgroup g WHERE g.id = p.id) AND p.seq >= :start AND p.seq < :stop
ORDER BY p.seq
"""


@dataclass(frozen=True)
class RowSettings:
    """What rows take from the site beyond the tables: plain values, so a worker process gets them too."""

    storefront: str  # landing pages are `<storefront>/<sku>.html`
    country: str
    site_id: str
    image_base_url: str
    google_product_category: str
    currency: str
    default_lists: int  # lists with default-instock true (see the scan's `_DERIVE`)


class RowState(NamedTuple):
    """A row as a sync stages it: what the snapshot keeps of it, and its feed line (LF-ended)."""

    sku_id: str
    item_group_id: str
    price: str
    row_hash: str  # SHA-1 of `line`: a delta carries the rows whose line changed
    line: str


def row_states(rows: Iterable[FeedRow]) -> Iterator[RowState]:
    """Each row's feed line and hash, formatted once."""
    for row in rows:
        line = format_feed_line(row)
        yield RowState(row.sku_id, row.item_group_id, row.price,
                       hashlib.sha1(line.encode("utf-8")).hexdigest(), line)


# A worker's row states travel one per line, fields NUL-separated: XML holds no NUL, and a feed line
# holds no LF but its last character (the cartridge's sanitising makes every CR and LF a space).
_STATE_SEP = "\0"


def read_row_states(path: Path) -> Iterator[RowState]:
    """The row states `write_rows_part(..., states=True)` wrote into `path`, in order."""
    with open(path, encoding="utf-8", newline="\n") as states:
        for text in states:
            yield RowState(*text.split(_STATE_SEP, 4))


@dataclass(frozen=True, slots=True)
class _Master:
    """A master's facts its variants inherit or use, decoded once per master."""

    name: str
    short: str
    long: str
    brand: str
    msku: str
    images: tuple[ImageGroup, ...]
    vals: dict[str, str]
    attributes: tuple[tuple[str, str, dict[str, str]], ...]  # attribute id, display name, values


class RowJoin:
    """Rows from a scan's tables through `db` (the scan's file with the side file attached)."""

    def __init__(self, db: sqlite3.Connection, settings: RowSettings) -> None:
        self._db, self.settings = db, settings

    def rows(self, summary: ExportSummary, start: int = 0, stop: int = 1 << 62) -> Iterator[FeedRow]:
        """The rows of the products with `start` <= seq < `stop`, in seq order; `summary` gets its tallies."""
        settings, storefront, country = self.settings, self.settings.storefront, self.settings.country
        # Variants repeat their master's facts, images and often prices: compute each once.
        master_of = functools.lru_cache(maxsize=4096)(self._master)
        price_of = functools.lru_cache(maxsize=4096)(
            functools.partial(price_text, currency=settings.currency))
        urls_of = functools.lru_cache(maxsize=4096)(functools.partial(_image_urls, settings.image_base_url))
        values_of = functools.lru_cache(maxsize=4096)(_decode_values)  # variants repeat their values
        no_category, no_image, no_brand = summary.no_category, summary.no_image, summary.no_brand = (
            Tally(), Tally(), Tally())
        summary.skus = 0
        for (
            sku,
            name,
            short,
            long,
            brand,
            msku,
            images,
            vals,
            master_id,
            amount,
            category,
            in_stock,
            default_variant,
        ) in self._db.execute(_ROWS, {"n": settings.default_lists, "start": start, "stop": stop}):
            summary.skus += 1
            own_values: dict[str, str] = values_of(vals) if vals else {}
            own_images = _decode_images(images) if images else []
            master = master_of(master_id) if master_id else None
            if master is None:
                paths = _select_images(own_images, {}) if own_images else []
                properties: tuple[tuple[str, str], ...] = ()
            else:
                paths = ((_select_images(own_images, own_values) if own_images else None)
                         or _select_images(master.images, own_values))
                name, short, long = name or master.name, short or master.short, long or master.long
                properties = tuple(
                    (display, values.get(own_values[key], own_values[key]))
                    for key, display, values in master.attributes
                    if own_values.get(key)
                )
            brand, msku = brand or (master.brand if master else ""), msku or (master.msku if master else "")
            if not category:
                no_category.add(sku)
            if not paths:
                no_image.add(sku)
            if not (brand or msku):
                no_brand.add(sku)
            yield build_row(
                SkuFacts(
                    sku_id=sku,
                    name=name,
                    short_description=short,
                    long_description=long,
                    image_urls=urls_of(tuple(paths)),
                    landing_page_url=f"{storefront}/{sku}.html",
                    category_id=category or "",
                    country=country,
                    in_stock=bool(in_stock),
                    price=price_of(amount),
                    item_group_id=master_id or sku,
                    variation_properties=properties,
                    is_default_variant=master is None or default_variant == sku,
                    brand=brand or msku or settings.site_id,
                    google_product_category=settings.google_product_category,
                    condition=own_values.get("condition")
                    or (master.vals.get("condition", "") if master else ""),
                )
            )

    def _master(self, master_id: str) -> _Master | None:
        found = self._db.execute(
            "SELECT name, short, long, brand, msku, images, vals, attrs FROM product WHERE id = ?",
            (master_id,),
        ).fetchone()
        if found is None:
            return None
        name, short, long, brand, msku, images, vals, attrs = found
        attributes = []
        for attribute_id, variation_attribute_id, display_name, values in unpack(attrs, ()):
            if values is None:
                shared = self._db.execute(
                    "SELECT attr FROM shared_attr WHERE vid = ?", (variation_attribute_id,)
                ).fetchone()
                _, _, shared_name, values = (
                    unpack(shared[0], ("", "", "", ())) if shared else ("", "", "", ())
                )
                display_name = display_name or shared_name
            attributes.append((attribute_id, display_name or attribute_id, dict(values)))
        return _Master(
            name,
            short,
            long,
            brand,
            msku,
            tuple(_decode_images(images)),
            unpack(vals, {}),
            tuple(attributes),
        )


def write_rows_part(scan: Path, side: Path, settings: RowSettings, start: int, path: Path,
                    states: bool = False) -> tuple[int, RowTallies]:
    """In a worker: the feed lines of the products from seq `start` on into `path` (with `states`, each
    as its `RowState`, for `read_row_states`); returns their count and tallies."""
    db = sqlite3.connect(f"file:{scan}?mode=ro", uri=True)
    try:
        db.execute(f"PRAGMA cache_size={SCAN_CACHE_KIB}")  # as the scan's own connection: joins stay cached
        db.execute("ATTACH DATABASE ? AS side", (f"file:{side}?mode=ro",))
        summary = ExportSummary()
        count = 0
        rows = RowJoin(db, settings).rows(summary, start)
        with open(path, "w", encoding="utf-8", newline="\n") as out:
            if states:
                for state in row_states(rows):
                    out.write(_STATE_SEP.join(state))
                    count += 1
            else:
                for row in rows:
                    out.write(format_feed_line(row))
                    count += 1
    finally:
        db.close()
    return count, summary.row_tallies()


def _decode_values(vals: bytes) -> dict[str, str]:
    """A product's custom values (read only: the dict is shared by the rows with the same values)."""
    return unpack(vals, {})


def _decode_images(images: bytes | None) -> list[ImageGroup]:
    return [ImageGroup(match, paths) for match, paths in unpack(images, ())]


def _select_images(groups: Sequence[ImageGroup], values: dict[str, str]) -> list[str]:
    """Paths of the most specific `large` groups matching the variant's values, as the platform does.

    A group without variation conditions is the fallback; `variation-value` ("" attribute) matches
    any of the variant's values.
    """
    best, paths = -1, []
    for group in groups:
        if not all(
            values.get(key) == value if key else value in values.values() for key, value in group.match
        ):
            continue
        if len(group.match) > best:
            best, paths = len(group.match), list(group.paths)
        elif len(group.match) == best:
            paths.extend(group.paths)
    return paths


def _image_urls(base: str, paths: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(_image_url(base, path) for path in paths)


def _image_url(base: str, path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    return base + path.lstrip("/") if base.endswith("/") else base + path
