"""Join the scan's scratch tables into feed rows, in catalog order, optionally one range of it.

A big site's rows are joined in two processes at once (`write_rows_part` takes the second half and
writes it to a file the feed then appends, or a sync then stages): each process opens the scan's
files for reading only.

A sync fingerprints what each row is made of and keeps the fingerprint in its snapshot: on a delta, a
row whose fingerprint is the committed one is neither built, formatted nor hashed (`RowJoin.states`).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import pickle
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, TextIO

import connector.catalog_load
import connector.feed
from connector.catalog import ImageGroup
from connector.catalog_load import KIND_ITEM, unpack
from connector.feed import FeedRow, SkuFacts, build_row, format_feed_line, price_text
from connector.scratch import SCAN_CACHE_KIB
from connector.summary import ExportSummary, RowTallies, Tally

# The first `_ROW_COLUMNS` columns are what a row is made of (with its master's record, `_Master`);
# a sync's join adds what the committed snapshot keeps of the SKU (`{previous}`).
_ROWS = """
SELECT p.id, p.name, p.short, p.long, p.brand, p.msku, p.images, p.vals, v.master,
    COALESCE(pp.amount, mp.amount), c.cat,
    CASE WHEN v.master IS NULL THEN COALESCE(s.instock, :n > 0) ELSE COALESCE(ms.instock, 0) END,
    d.variant{previous}
FROM product p
JOIN site_product sp ON sp.id = p.id
LEFT JOIN variant v ON v.variant = p.id
LEFT JOIN price pp ON pp.id = p.id
LEFT JOIN price mp ON mp.id = v.master
LEFT JOIN category c ON c.id = COALESCE(v.master, p.id)
LEFT JOIN sku_stock s ON s.id = p.id
LEFT JOIN master_stock ms ON ms.master = v.master
LEFT JOIN master_default d ON d.master = v.master{join}
WHERE p.kind = {item} AND p.online = 1 AND COALESCE(pp.amount, mp.amount) IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM vgroup g WHERE g.id = p.id) AND p.seq >= :start AND p.seq < :stop
ORDER BY p.seq
"""
_ROW_COLUMNS = 13
_ROWS_EXPORT = _ROWS.format(previous="", join="", item=KIND_ITEM)
_ROWS_FULL = _ROWS.format(previous=", NULL, NULL, NULL, NULL, NULL", join="", item=KIND_ITEM)
_SNAPSHOT = "snap"  # the schema name of the attached snapshot
_ROWS_DELTA = _ROWS.format(
    previous=", k.fingerprint, k.row_hash, k.flags, k.item_group_id, k.price",
    join=f"\nLEFT JOIN {_SNAPSHOT}.sku k ON k.site = :site AND k.sku_id = p.id", item=KIND_ITEM)

# A row's flags: which of its values came out empty (ExportSummary's tallies), kept in the snapshot so
# a row that is not built still counts.
_NO_CATEGORY, _NO_IMAGE, _NO_BRAND = 1, 2, 4


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


@dataclass(frozen=True)
class Previous:
    """The committed snapshot a delta sync's rows are compared with: its file and the site's key in it."""

    path: Path
    site: str


class RowState(NamedTuple):
    """A row as a sync stages it: what the snapshot keeps of it, and its feed line (LF-ended; None when
    its fingerprint is the committed one, so the line TikTok has is this row's and it was not made)."""

    sku_id: str
    item_group_id: str
    price: str
    row_hash: str  # SHA-1 of the line: a delta carries the rows whose line changed
    fingerprint: bytes  # of the row's inputs and of the code that formats them (`RowJoin.states`)
    flags: int  # which values came out empty, for the summary
    line: str | None


# A worker's row states travel one per line, fields NUL-separated: XML holds no NUL, and a feed line
# holds no LF but its last character (the cartridge's sanitising makes every CR and LF a space). A row
# not formatted has the line "\n".
_STATE_SEP = "\0"


def read_row_states(path: Path) -> Iterator[RowState]:
    """The row states `write_rows_part(..., states=True)` wrote into `path`, in order."""
    with open(path, encoding="utf-8", newline="\n") as states:
        for text in states:
            sku_id, group, price, row_hash, fingerprint, flags, line = text.split(_STATE_SEP, 6)
            yield RowState(sku_id, group, price, row_hash, bytes.fromhex(fingerprint), int(flags),
                           None if line == "\n" else line)


def _write_row_state(out: TextIO, state: RowState) -> None:
    out.write(_STATE_SEP.join((*state[:4], state.fingerprint.hex(), str(state.flags), state.line or "\n")))


@functools.cache
def _code_digest() -> bytes:
    """The source of the code that turns a row's inputs into its line, and the Python running it: an
    upgraded connector (or Python) must not trust the fingerprints an older formatter left, since the
    same inputs may now give another line. Taken once per process."""
    sources = tuple(Path(module.__file__).read_bytes()
                    for module in (sys.modules[__name__], connector.feed, connector.catalog_load))
    return hashlib.blake2b(pickle.dumps((sources, sys.version), 5), digest_size=16).digest()


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
    digest: bytes  # of its raw record and the raw shared attributes it uses: part of each row's fingerprint


class RowJoin:
    """Rows from a scan's tables through `db` (the scan's file with the side file attached); with
    `previous`, the committed snapshot is attached too (read only), for `states` to compare with."""

    def __init__(self, db: sqlite3.Connection, settings: RowSettings,
                 previous: Previous | None = None) -> None:
        self._db, self.settings, self.previous = db, settings, previous
        # Variants repeat their master's facts, images and often prices: compute each once.
        self._master_of = functools.lru_cache(maxsize=4096)(self._master)
        self._price_of = functools.lru_cache(maxsize=4096)(
            functools.partial(price_text, currency=settings.currency))
        self._urls_of = functools.lru_cache(maxsize=4096)(
            functools.partial(_image_urls, settings.image_base_url))
        self._values_of = functools.lru_cache(maxsize=4096)(_decode_values)  # variants repeat their values
        attached = {name for _, name, _ in db.execute("PRAGMA database_list")}
        if previous is not None and _SNAPSHOT not in attached:
            db.execute(f"ATTACH DATABASE ? AS {_SNAPSHOT}", (f"{previous.path.resolve().as_uri()}?mode=ro",))

    def _records(self, sql: str, summary: ExportSummary, start: int, stop: int) -> sqlite3.Cursor:
        """The join's rows with `start` <= seq < `stop`, in seq order; `summary`'s row tallies restart."""
        summary.skus, summary.no_category, summary.no_image, summary.no_brand = 0, Tally(), Tally(), Tally()
        site = self.previous.site if self.previous else None
        return self._db.execute(sql, {"n": self.settings.default_lists, "start": start, "stop": stop,
                                      "site": site})

    def rows(self, summary: ExportSummary, start: int = 0, stop: int = 1 << 62) -> Iterator[FeedRow]:
        """The rows of the products with `start` <= seq < `stop`, in seq order; `summary` gets its tallies."""
        master_of = self._master_of
        for record in self._records(_ROWS_EXPORT, summary, start, stop):
            master_id = record[8]
            row, flags = self._build(record, master_of(master_id) if master_id else None)
            _count(summary, record[0], flags)
            yield row

    def states(self, summary: ExportSummary, start: int = 0, stop: int = 1 << 62) -> Iterator[RowState]:
        """Each row as a sync stages it, as `rows` orders and tallies them, with its fingerprint.

        The fingerprint covers all a row is made of: the join's columns as read, its master's record
        (`_Master.digest`), the settings and the code (`_code_digest`), pickled (an injective encoding) under
        BLAKE2b. A row whose fingerprint, group and price are those the snapshot (`previous`) keeps is not
        built: the committed hash stands for its line. A false mismatch only costs the formatting; a false
        match would lose a change TikTok should get, so anything a row may depend on belongs in it. The
        group and price are compared as well because the feed sanitises them (a `|` in a master ID is a
        space in the snapshot): a row is skipped only when it stages exactly what formatting would.
        """
        master_of, price_of, dumps = self._master_of, self._price_of, pickle.dumps
        base = hashlib.blake2b(pickle.dumps((_code_digest(), dataclasses.astuple(self.settings)), 5),
                               digest_size=16)
        sql = _ROWS_DELTA if self.previous else _ROWS_FULL
        for record in self._records(sql, summary, start, stop):
            inputs, (known, row_hash, flags, known_group, known_price) = (
                record[:_ROW_COLUMNS], record[_ROW_COLUMNS:])
            sku, master_id = record[0], record[8]
            master = master_of(master_id) if master_id else None
            digest = base.copy()
            digest.update(dumps((inputs, master.digest if master else None), 5))
            fingerprint, group, price = digest.digest(), master_id or sku, price_of(record[9])
            if fingerprint != known or group != known_group or price != known_price:
                row, flags = self._build(inputs, master)
                line = format_feed_line(row)
                state = RowState(row.sku_id, row.item_group_id, row.price,
                                 hashlib.sha1(line.encode("utf-8")).hexdigest(), fingerprint, flags, line)
            else:
                state = RowState(sku, group, price, row_hash, fingerprint, flags, None)
            _count(summary, sku, flags)
            yield state

    def _build(self, record: tuple[Any, ...], master: _Master | None) -> tuple[FeedRow, int]:
        """One row from its join columns and master, with its flags."""
        (sku, name, short, long, brand, msku, images, vals, master_id, amount, category, in_stock,
         default_variant) = record[:_ROW_COLUMNS]
        settings = self.settings
        own_values: dict[str, str] = self._values_of(vals) if vals else {}
        own_images = _decode_images(images) if images else []
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
        flags = ((0 if category else _NO_CATEGORY) | (0 if paths else _NO_IMAGE)
                 | (0 if brand or msku else _NO_BRAND))
        row = build_row(
            SkuFacts(
                sku_id=sku,
                name=name,
                short_description=short,
                long_description=long,
                image_urls=self._urls_of(tuple(paths)),
                landing_page_url=f"{settings.storefront}/{sku}.html",
                category_id=category or "",
                country=settings.country,
                in_stock=bool(in_stock),
                price=self._price_of(amount),
                item_group_id=master_id or sku,
                variation_properties=properties,
                is_default_variant=master is None or default_variant == sku,
                brand=brand or msku or settings.site_id,
                google_product_category=settings.google_product_category,
                condition=own_values.get("condition")
                or (master.vals.get("condition", "") if master else ""),
            )
        )
        return row, flags

    def _master(self, master_id: str) -> _Master | None:
        found = self._db.execute(
            "SELECT name, short, long, brand, msku, images, vals, attrs FROM product WHERE id = ?",
            (master_id,),
        ).fetchone()
        if found is None:
            return None
        name, short, long, brand, msku, images, vals, attrs = found
        attributes, shared_records = [], []
        for attribute_id, variation_attribute_id, display_name, values in unpack(attrs, ()):
            if values is None:
                shared = self._db.execute(
                    "SELECT attr FROM shared_attr WHERE vid = ?", (variation_attribute_id,)
                ).fetchone()
                shared_records.append(shared)
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
            hashlib.blake2b(pickle.dumps((found, shared_records), 5), digest_size=16).digest(),
        )


def _count(summary: ExportSummary, sku: str, flags: int) -> None:
    """Count one row, and the values that came out empty in it."""
    summary.skus += 1
    if flags:
        if flags & _NO_CATEGORY:
            summary.no_category.add(sku)
        if flags & _NO_IMAGE:
            summary.no_image.add(sku)
        if flags & _NO_BRAND:
            summary.no_brand.add(sku)


def write_rows_part(scan: Path, side: Path, settings: RowSettings, start: int, path: Path,
                    states: bool = False, previous: Previous | None = None) -> tuple[int, RowTallies]:
    """In a worker: the feed lines of the products from seq `start` on into `path` (with `states`, each
    as its `RowState`, for `read_row_states`, compared with `previous`); returns their count and tallies."""
    db = sqlite3.connect(f"file:{scan}?mode=ro", uri=True)
    try:
        db.execute(f"PRAGMA cache_size={SCAN_CACHE_KIB}")  # as the scan's own connection: joins stay cached
        db.execute("ATTACH DATABASE ? AS side", (f"file:{side}?mode=ro",))
        summary = ExportSummary()
        count = 0
        join = RowJoin(db, settings, previous)
        with open(path, "w", encoding="utf-8", newline="\n") as out:
            if states:
                for state in join.states(summary, start):
                    _write_row_state(out, state)
                    count += 1
            else:
                for row in join.rows(summary, start):
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
