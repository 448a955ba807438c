"""The site scan: read a site's SFCC exports once and yield each sellable SKU's feed row.

The scan streams every input once into a scratch SQLite file (batched inserts, no journal: the
file is thrown away), so memory does not grow with the catalog. Masters, variants, assignments,
prices and stock may come in any order and any file; they are joined when rows are emitted.
"""

from __future__ import annotations

import functools
import marshal
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connector.catalog import (
    CatalogContext,
    ImageGroup,
    Product,
    VariationAttribute,
    read_catalog,
)
from connector.feed import FeedRow, SkuFacts, build_row, price_text
from connector.inventory import ListHeader, read_inventory
from connector.pricebook import PriceBook, read_pricebook
from connector.scratch import Background, Scratch, worth_a_process

DEFAULT_LOCALE = "en_US"
DEFAULT_IMAGE_BASE_URL = "https://images.example.com/on/demandware.static/-/Sites-catalog/default/images/"
# SFRA's storefront URL shape without a locale segment; `{site_id}` is replaced by the Site ID.
DEFAULT_STOREFRONT_URL = "https://www.example.com/s/{site_id}"
_KIND_ITEM, _KIND_MASTER, _KIND_SET = 0, 1, 2

_SCHEMA = """
CREATE TABLE product(seq INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, kind INTEGER, online INTEGER,
    name TEXT, short TEXT, long TEXT, brand TEXT, msku TEXT, images BLOB, vals BLOB, attrs BLOB);
CREATE TABLE variant(variant TEXT PRIMARY KEY, master TEXT, pos INTEGER, dflt INTEGER) WITHOUT ROWID;
CREATE TABLE vgroup(id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE shared_attr(vid TEXT PRIMARY KEY, attr BLOB) WITHOUT ROWID;
CREATE TABLE assignment(seq INTEGER PRIMARY KEY, id TEXT, cat TEXT, prim INTEGER);
"""
# Prices and stock live in their own file, loaded by a second process while the catalogs load here;
# the scan attaches it, and SQLite finds its unqualified table names there.
_SIDE_SCHEMA = """
CREATE TABLE price(id TEXT PRIMARY KEY, amount REAL) WITHOUT ROWID;
CREATE TABLE stock(list INTEGER, id TEXT, instock INTEGER, dflt INTEGER, PRIMARY KEY(list, id)) WITHOUT ROWID;
"""
_INSERT_PRODUCT = (
    "INSERT OR REPLACE INTO product(id, kind, online, name, short, long, brand, msku, images, "
    "vals, attrs) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
)
_INSERT_VARIANT = "INSERT OR REPLACE INTO variant VALUES (?,?,?,?)"  # a later master definition wins
_INSERT_VGROUP = "INSERT OR IGNORE INTO vgroup VALUES (?)"
_INSERT_SHARED = "INSERT OR REPLACE INTO shared_attr VALUES (?,?)"
_INSERT_ASSIGNMENT = "INSERT INTO assignment(id, cat, prim) VALUES (?,?,?)"
_UPSERT_PRICE = (
    "INSERT INTO price VALUES (?,?) ON CONFLICT(id) DO UPDATE SET amount = excluded.amount "
    "WHERE excluded.amount < price.amount"
)
_INSERT_STOCK = "INSERT OR REPLACE INTO stock VALUES (?,?,?,?)"

# :n is the number of lists with default-instock true (1 when there is no inventory input at all):
# a SKU with no record in such a list counts as in stock there, as on the platform.
_DERIVE = """
CREATE INDEX variant_master ON variant(master, pos);
CREATE TABLE category(id TEXT PRIMARY KEY, cat TEXT) WITHOUT ROWID;
INSERT OR IGNORE INTO category SELECT id, cat FROM assignment ORDER BY id, prim DESC, seq;
DELETE FROM variant WHERE master NOT IN (SELECT id FROM product);
CREATE TABLE sku_stock(id TEXT PRIMARY KEY, instock INTEGER) WITHOUT ROWID;
INSERT INTO sku_stock SELECT id, MAX(instock) = 1 OR SUM(dflt) < :n FROM stock GROUP BY id;
CREATE TABLE master_stock(master TEXT PRIMARY KEY, instock INTEGER) WITHOUT ROWID;
INSERT INTO master_stock SELECT v.master, MAX(COALESCE(s.instock, :n > 0))
    FROM variant v LEFT JOIN sku_stock s ON s.id = v.variant GROUP BY v.master;
CREATE TABLE master_default(master TEXT PRIMARY KEY, variant TEXT) WITHOUT ROWID;
INSERT INTO master_default SELECT m.master, COALESCE(
    (SELECT v.variant FROM variant v JOIN product p ON p.id = v.variant
        WHERE v.master = m.master AND v.dflt = 1 AND p.online = 1 ORDER BY v.pos LIMIT 1),
    (SELECT v.variant FROM variant v JOIN product p ON p.id = v.variant
        WHERE v.master = m.master AND p.online = 1 ORDER BY v.pos LIMIT 1))
    FROM (SELECT DISTINCT master FROM variant) m;
"""

_ROWS = f"""
SELECT p.id, p.name, p.short, p.long, p.brand, p.msku, p.images, p.vals, v.master,
    COALESCE(pp.amount, mp.amount), c.cat,
    CASE WHEN v.master IS NULL THEN COALESCE(s.instock, :n > 0) ELSE COALESCE(ms.instock, 0) END,
    d.variant
FROM product p
LEFT JOIN variant v ON v.variant = p.id
LEFT JOIN price pp ON pp.id = p.id
LEFT JOIN price mp ON mp.id = v.master
LEFT JOIN category c ON c.id = COALESCE(v.master, p.id)
LEFT JOIN sku_stock s ON s.id = p.id
LEFT JOIN master_stock ms ON ms.master = v.master
LEFT JOIN master_default d ON d.master = v.master
WHERE p.kind = {_KIND_ITEM} AND p.online = 1 AND COALESCE(pp.amount, mp.amount) IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM vgroup g WHERE g.id = p.id)
ORDER BY p.seq
"""


@dataclass(frozen=True)
class SiteInputs:
    """One site's SFCC exports plus the settings the cartridge would read from the instance.

    `currency` is the site currency; None takes it from the first applicable price book.
    `storefront_url` may contain `{site_id}`; rows link to `<storefront_url>/<product id>.html`.
    """

    catalogs: tuple[Path, ...]
    pricebooks: tuple[Path, ...]
    inventories: tuple[Path, ...]
    site_id: str
    locale: str = DEFAULT_LOCALE
    image_base_url: str = DEFAULT_IMAGE_BASE_URL
    storefront_url: str = DEFAULT_STOREFRONT_URL
    google_product_category: str = "Apparel & Accessories"
    currency: str | None = None


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


class SiteScan:
    """Result of one streaming scan: rows are joined from the scratch database when asked for."""

    def __init__(self, inputs: SiteInputs, work_dir: Path) -> None:
        self.inputs = inputs
        self.deleted_ids: frozenset[str] = frozenset()
        self.currency = inputs.currency or ""
        self._work_dir = work_dir
        self._scratch = Scratch(work_dir / "scan.sqlite", _SCHEMA)
        self._db = self._scratch.db
        self._add = self._scratch.add
        self._default_lists = 0

    def rows(self) -> Iterator[FeedRow]:
        """Every sellable SKU's feed row: online, priced variants, simple, option and bundle products."""
        inputs = self.inputs
        storefront = inputs.storefront_url.replace("{site_id}", inputs.site_id).rstrip("/")
        country = inputs.locale.partition("_")[2].upper()
        # Variants repeat their master's facts, images and often prices: compute each once.
        master_of = functools.lru_cache(maxsize=4096)(self._master)
        price_of = functools.lru_cache(maxsize=4096)(functools.partial(price_text, currency=self.currency))
        urls_of = functools.lru_cache(maxsize=4096)(functools.partial(_image_urls, inputs.image_base_url))
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
        ) in self._db.execute(_ROWS, {"n": self._default_lists}):
            own_values = _unpack(vals, {})
            own_images = _decode_images(images)
            master = master_of(master_id) if master_id else None
            if master is None:
                paths = _select_images(own_images, {})
                properties: tuple[tuple[str, str], ...] = ()
            else:
                paths = _select_images(own_images, own_values) or _select_images(master.images, own_values)
                name, short, long = name or master.name, short or master.short, long or master.long
                brand, msku = brand or master.brand, msku or master.msku
                properties = tuple(
                    (display, values.get(own_values[key], own_values[key]))
                    for key, display, values in master.attributes
                    if own_values.get(key)
                )
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
                    brand=brand or msku or inputs.site_id,
                    google_product_category=inputs.google_product_category,
                    condition=own_values.get("condition")
                    or (master.vals.get("condition", "") if master else ""),
                )
            )

    def close(self) -> None:
        """Drop the scratch database."""
        self._db.close()
        shutil.rmtree(self._work_dir, ignore_errors=True)

    def __enter__(self) -> SiteScan:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def load(self, now: datetime) -> None:
        """Stream every input into the scratch database, then derive the per-master tables.

        Prices and stock load in a second process meanwhile (when they are big enough to pay for
        one): on two cores the catalogs, the largest input, are then the only wait.
        """
        inputs = self.inputs
        side = self._work_dir / "side.sqlite"
        side_inputs = (*inputs.pricebooks, *inputs.inventories)
        args = (side, inputs.pricebooks, inputs.inventories, now, inputs.currency or "")
        with Background(_load_side, args, worth_a_process(side_inputs)) as prices_and_stock:
            self._db.execute("BEGIN")
            self._load_catalogs(now)
            self._scratch.flush()
            self._db.execute("COMMIT")
            self.currency, self._default_lists = prices_and_stock.result()
        self._db.execute("ATTACH DATABASE ? AS side", (str(side),))
        self._db.execute("BEGIN")
        for statement in _DERIVE.split(";"):
            if statement.strip():
                self._db.execute(statement, {"n": self._default_lists} if ":n" in statement else {})
        self._db.execute("COMMIT")

    def _load_catalogs(self, now: datetime) -> None:
        context = CatalogContext(self.inputs.site_id, self.inputs.locale, now)
        deleted: set[str] = set()
        pending_delete: set[str] = set()
        for path in self.inputs.catalogs:
            for record in read_catalog(path, context):
                if isinstance(record, Product):
                    if record.deleted:
                        deleted.add(record.product_id)
                        pending_delete.add(record.product_id)
                    else:
                        pending_delete.discard(record.product_id)
                        self._add_product(record)
                elif isinstance(record, VariationAttribute):
                    self._add(
                        _INSERT_SHARED, (record.variation_attribute_id, _pack(_attribute_tuple(record)))
                    )
                elif record.deleted:
                    self._scratch.flush()  # the assignment may still wait in a batch
                    self._db.execute(
                        "DELETE FROM assignment WHERE id = ? AND cat = ?",
                        (record.product_id, record.category_id),
                    )
                else:
                    self._add(
                        _INSERT_ASSIGNMENT, (record.product_id, record.category_id, int(record.primary))
                    )
        self._scratch.flush()
        self._db.executemany("DELETE FROM product WHERE id = ?", ((pid,) for pid in pending_delete))
        self.deleted_ids = frozenset(deleted)

    def _add_product(self, product: Product) -> None:
        kind = _KIND_SET if product.is_set else _KIND_MASTER if product.is_master else _KIND_ITEM
        groups = [(group.match, group.paths) for group in product.images]
        attrs = [_attribute_tuple(item) for item in product.attributes]
        self._add(
            _INSERT_PRODUCT,
            (
                product.product_id,
                kind,
                int(product.online),
                product.name,
                product.short_description,
                product.long_description,
                product.brand,
                product.manufacturer_sku,
                _pack(groups),
                _pack(product.values),
                _pack(attrs),
            ),
        )
        for position, (variant_id, is_default) in enumerate(product.variants):
            self._add(_INSERT_VARIANT, (variant_id, product.product_id, position, int(is_default)))
        for group_id in product.variation_groups:
            self._add(_INSERT_VGROUP, (group_id,))

    def _master(self, master_id: str) -> _Master | None:
        found = self._db.execute(
            "SELECT name, short, long, brand, msku, images, vals, attrs FROM product WHERE id = ?",
            (master_id,),
        ).fetchone()
        if found is None:
            return None
        name, short, long, brand, msku, images, vals, attrs = found
        attributes = []
        for attribute_id, variation_attribute_id, display_name, values in _unpack(attrs, ()):
            if values is None:
                shared = self._db.execute(
                    "SELECT attr FROM shared_attr WHERE vid = ?", (variation_attribute_id,)
                ).fetchone()
                _, _, shared_name, values = (
                    _unpack(shared[0], ("", "", "", ())) if shared else ("", "", "", ())
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
            _unpack(vals, {}),
            tuple(attributes),
        )


def _load_side(
    path: Path, pricebooks: Sequence[Path], inventories: Sequence[Path], now: datetime, currency: str
) -> tuple[str, int]:
    """Lowest applicable price per product and stock per list and SKU, into their own file `path`.

    Returns the site currency (`currency`, else the first applicable book's) and the number of
    default-instock lists, counting "no inventory input at all" as one such list: with nothing
    known about stock, every SKU is reported in stock.
    """
    scratch = Scratch(path, _SIDE_SCHEMA)
    scratch.db.execute("BEGIN")
    try:
        result = _load_prices_and_stock(scratch, pricebooks, inventories, now, currency)
        scratch.flush()
        scratch.db.execute("COMMIT")
    finally:
        scratch.db.close()
    return result


def _load_prices_and_stock(
    scratch: Scratch, pricebooks: Sequence[Path], inventories: Sequence[Path], now: datetime, currency: str
) -> tuple[str, int]:
    active = False
    for book in pricebooks:
        for record in read_pricebook(book, now):
            if isinstance(record, PriceBook):
                currency = currency or (record.currency if record.applicable else "")
                active = record.applicable and record.currency == currency
            elif active:
                scratch.add(_UPSERT_PRICE, (record.product_id, record.amount))
    lists = default_lists = list_default = 0
    for inventory in inventories:
        for item in read_inventory(inventory):
            if isinstance(item, ListHeader):
                lists, list_default = lists + 1, int(item.default_instock)
                default_lists += list_default
            else:
                scratch.add(_INSERT_STOCK, (lists, item.product_id, int(item.in_stock), list_default))
    return currency, default_lists if inventories else 1


def _pack(value: object) -> bytes | None:
    """Scratch-only encoding (marshal: fast, and the file never outlives this process); empty -> NULL."""
    return marshal.dumps(value) if value else None


def _unpack(blob: bytes | None, empty: object) -> Any:
    return marshal.loads(blob) if blob else empty


def _attribute_tuple(attribute: VariationAttribute) -> tuple[object, ...]:
    return (
        attribute.attribute_id,
        attribute.variation_attribute_id,
        attribute.display_name,
        attribute.values,
    )


def _decode_images(images: bytes | None) -> list[ImageGroup]:
    return [ImageGroup(match, paths) for match, paths in _unpack(images, ())]


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


def scan_site(inputs: SiteInputs, now: datetime | None = None, work_dir: Path | None = None) -> SiteScan:
    """Scan all inputs once; `now` (UTC if naive) decides online windows. Raises XmlInputError."""
    moment = now or datetime.now(UTC)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    scan = SiteScan(inputs, Path(tempfile.mkdtemp(prefix="sfcc-scan-", dir=work_dir)))
    try:
        scan.load(moment)
    except BaseException:
        scan.close()
        raise
    return scan
