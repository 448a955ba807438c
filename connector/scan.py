"""The site scan: read a site's SFCC exports once and yield each sellable SKU's feed row.

The scan streams every input once into a scratch SQLite file (batched inserts, no journal: the
file is thrown away), so memory does not grow with the catalog. Masters, variants, assignments,
prices and stock may come in any order and any file; they are joined when rows are emitted.
On two cores, prices and stock load in a second process, a big catalog is parsed in two parts at once
(connector/split.py, connector/catalog_load.py) and an export or a sync joins its rows in two halves
(connector/rows.py): the output is the same byte for byte.

The site catalog decides, as on the platform (docs/formats.md 2.1): only its category assignments
make a product a site product (`ProductMgr.queryAllSiteProducts()`) and give `product_category`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import TextIO

from connector.catalog import (
    CatalogContext,
    catalog_id,
    read_catalog,
)
from connector.catalog_load import (
    KIND_MASTER,
    KIND_SET,
    SCHEMA,
    CatalogLoad,
    SplitRefused,
    load_first_part,
    load_second_part,
)
from connector.feed import FeedRow, format_feed_line, write_feed_lines
from connector.inventory import ListHeader, read_inventory
from connector.inventory_export import COPY_SCHEMA, InventoryCopy
from connector.pricebook import PriceBook, read_pricebook
from connector.rows import Previous, RowJoin, RowSettings, RowState, read_row_states, write_rows_part
from connector.scratch import Background, Scratch, worth_a_process
from connector.split import Split, find_split
from connector.summary import (
    EXAMPLES,
    MASTER,
    NO_PRICE,
    NOT_IN_SITE,
    OFFLINE,
    PRODUCT_SET,
    VARIATION_GROUP,
    ExportSummary,
    Tally,
)

DEFAULT_LOCALE = "en_US"
DEFAULT_IMAGE_BASE_URL = "https://images.example.com/on/demandware.static/-/Sites-catalog/default/images/"
# SFRA's storefront URL shape without a locale segment; `{site_id}` is replaced by the Site ID.
DEFAULT_STOREFRONT_URL = "https://www.example.com/s/{site_id}"

_SCHEMA = SCHEMA + "CREATE TABLE site_file(file INTEGER PRIMARY KEY);"
# A catalog file from this size is parsed in two processes at once (connector/split.py). Measured on
# 2 cores (generated sites, scan load wall time, cut vs whole, 2026-11-27, load average ~2.5 from other
# runs): 0.9 MB 0.18-0.22 s vs 0.17-0.18 s (a loss); 2.4 MB 0.42 s vs 0.44-0.53 s; 4.9 MB 0.67-0.76 s
# vs 0.84-1.00 s; 19.5 MB 3.5 s vs 5.1 s. The break-even is near 2 MB; 4 MiB leaves a margin.
SPLIT_MIN_BYTES = 4 << 20
# Prices and stock live in their own file, loaded by a second process while the catalogs load here;
# the scan attaches it, and SQLite finds its unqualified table names there.
_SIDE_SCHEMA = """
CREATE TABLE price(id TEXT PRIMARY KEY, amount REAL) WITHOUT ROWID;
CREATE TABLE stock(list INTEGER, id TEXT, instock INTEGER, dflt INTEGER, ats_pos INTEGER,
    PRIMARY KEY(list, id)) WITHOUT ROWID;
"""
_UPSERT_PRICE = (
    "INSERT INTO price VALUES (?,?) ON CONFLICT(id) DO UPDATE SET amount = excluded.amount "
    "WHERE excluded.amount < price.amount"
)
_INSERT_STOCK = "INSERT OR REPLACE INTO stock VALUES (?,?,?,?,?)"

# :n is the number of lists with default-instock true (1 when there is no inventory input at all):
# a SKU with no record in such a list counts as in stock there, as on the platform.
# `site_file` lists the site catalog's files. `category` holds each product's primary category in it, else its
# first assignment there; `site_product` the products it assigns plus the variants of those masters.
# `zero_ats` the defined products whose inventory records all have ATS <= 0 (kept out of deletes).
_DERIVE = """
CREATE INDEX variant_master ON variant(master, pos);
CREATE TABLE category(id TEXT PRIMARY KEY, cat TEXT) WITHOUT ROWID;
INSERT OR IGNORE INTO category SELECT id, cat FROM assignment WHERE file IN (SELECT file FROM site_file)
    ORDER BY id, prim DESC, seq;
DELETE FROM variant WHERE master NOT IN (SELECT id FROM product);
CREATE TABLE site_product(id TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT INTO site_product SELECT id FROM category;
INSERT OR IGNORE INTO site_product SELECT v.variant FROM variant v JOIN category c ON c.id = v.master;
CREATE TABLE zero_ats(id TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT INTO zero_ats SELECT id FROM stock WHERE id IN (SELECT id FROM product)
    GROUP BY id HAVING MAX(ats_pos) = 0;
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

# Every product of the catalogs that gets no row, with the first reason in the cartridge's order:
# site product (1.10), then type (1.9 candidates), then online, then price (1.9 filters).
_SKIPPED = f"""
SELECT reason, COUNT(*), GROUP_CONCAT(CASE WHEN nth <= {EXAMPLES} THEN id END, char(31)) FROM (
    SELECT id, reason, ROW_NUMBER() OVER (PARTITION BY reason ORDER BY seq) AS nth FROM (
        SELECT p.id, p.seq, CASE
            WHEN NOT EXISTS (SELECT 1 FROM site_product sp WHERE sp.id = p.id) THEN '{NOT_IN_SITE}'
            WHEN p.kind = {KIND_MASTER} THEN '{MASTER}'
            WHEN p.kind = {KIND_SET} THEN '{PRODUCT_SET}'
            WHEN EXISTS (SELECT 1 FROM vgroup g WHERE g.id = p.id) THEN '{VARIATION_GROUP}'
            WHEN p.online = 0 THEN '{OFFLINE}'
            WHEN COALESCE((SELECT amount FROM price WHERE id = p.id), (SELECT mp.amount FROM variant v
                JOIN price mp ON mp.id = v.master WHERE v.variant = p.id)) IS NULL THEN '{NO_PRICE}'
            END AS reason
        FROM product p)
    WHERE reason IS NOT NULL)
GROUP BY reason
"""


# Waits for a worker's half of the rows: its row count and file (None: no worker, every row was here).
_SecondHalf = Callable[[], tuple[int, Path | None]]


class SiteCatalogError(ValueError):
    """The site catalog cannot be told, or assigns none of the products: nothing would be exported."""


@dataclass(frozen=True)
class SiteInputs:
    """One site's SFCC exports plus the settings the cartridge would read from the instance.

    `currency` is the site currency; None takes it from the first applicable price book.
    `storefront_url` may contain `{site_id}`; rows link to `<storefront_url>/<product id>.html`.
    `site_catalog` names the site (storefront) catalog; None tells it from the catalogs
    (docs/formats.md 2.1). It is read as one of the catalogs when it is not among them.
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
    site_catalog: Path | None = None

    @property
    def catalog_files(self) -> tuple[Path, ...]:
        """Every catalog to read: the given ones, plus the site catalog when it is not among them."""
        site = self.site_catalog
        if site is None or site.resolve() in {path.resolve() for path in self.catalogs}:
            return self.catalogs
        return (*self.catalogs, site)


@dataclass
class _Catalog:
    """What one catalog (one `catalog-id`, maybe several files) holds, to tell the site catalog."""

    catalog_id: str
    paths: list[Path]
    indices: list[int]  # positions of its files among the catalog files: `assignment.file`
    products: int = 0
    assignments: int = 0

    def add(self, other: _Catalog) -> None:
        self.paths += other.paths
        self.indices += other.indices
        self.products += other.products
        self.assignments += other.assignments

    @property
    def files(self) -> str:
        return ", ".join(map(str, self.paths))

    @property
    def marks(self) -> str:
        return ",".join("?" * len(self.indices))

    def describe(self) -> str:
        return (f"{self.catalog_id} in {self.files} ({self.products} products, "
                f"{self.assignments} category assignments)")


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
        self.inventory_records: int | None = None  # written to the inventory copy, when one was asked
        self.summary = ExportSummary()
        self._only_catalog = False  # the site catalog is so only because no other catalog was given

    def rows(self) -> Iterator[FeedRow]:
        """Every sellable SKU's feed row: online, priced variants, simple, option and bundle products."""
        return self._join().rows(self.summary)

    def write_feed(self, path: Path) -> int:
        """The product feed of every row into `path`; returns the row count. With a big catalog the rows
        of its second half are joined in a second process meanwhile, and appended: the same file."""
        with self._halves(states=False) as (first, second):

            def appended(handle: TextIO) -> int:
                count, part = second()
                if part is not None:
                    with open(part, encoding="utf-8", newline="\n") as rest:
                        shutil.copyfileobj(rest, handle, 1 << 20)
                return count

            return write_feed_lines(map(format_feed_line, first), path, appended)

    def row_states(self, previous: Previous | None = None) -> Iterator[RowState]:
        """Every row with its fingerprint, feed line and hash, in order, for a sync to stage; a row whose
        fingerprint `previous` (a delta's committed snapshot) keeps is not formatted (`RowJoin.states`).
        With a big catalog the second half's are made in a second process meanwhile: the same states,
        in the same order."""
        with self._halves(states=True, previous=previous) as (first, second):
            yield from first
            _, part = second()
            if part is not None:
                yield from read_row_states(part)

    @contextlib.contextmanager
    def _halves(self, states: bool, previous: Previous | None = None
                ) -> Iterator[tuple[Iterator[FeedRow] | Iterator[RowState], _SecondHalf]]:
        """The rows (with `states`, their `RowState`s against `previous`) of the catalog's first half here,
        and a call that gives the second's count and file once a worker wrote it (`write_rows_part`; with
        its tallies added to the summary). A small site, or an empty one, is one half: its rows all come
        here, and the call gives (0, None)."""
        lo, hi = self._db.execute("SELECT MIN(seq), MAX(seq) FROM product").fetchone()
        join = self._join(previous)
        first = join.states if states else join.rows
        if lo is None or not worth_a_process(self.inputs.catalog_files):
            yield first(self.summary), lambda: (0, None)
            return
        middle, part = (lo + hi + 1) // 2, self._work_dir / "rows-part.txt"
        args = (self._work_dir / "scan.sqlite", self._work_dir / "side.sqlite", join.settings, middle, part,
                states, previous)
        with Background(write_rows_part, args, parallel=True) as worker:

            def second() -> tuple[int, Path | None]:
                count, tallies = worker.result()
                self.summary.add_row_tallies(tallies)
                return count, part

            yield first(self.summary, stop=middle), second

    def _join(self, previous: Previous | None = None) -> RowJoin:
        inputs = self.inputs
        return RowJoin(self._db, RowSettings(
            storefront=inputs.storefront_url.replace("{site_id}", inputs.site_id).rstrip("/"),
            country=inputs.locale.partition("_")[2].upper(), site_id=inputs.site_id,
            image_base_url=inputs.image_base_url, google_product_category=inputs.google_product_category,
            currency=self.currency, default_lists=self._default_lists), previous)

    def deletable(self, sku_ids: Iterable[str]) -> Iterator[str]:
        """The IDs of `sku_ids` that go in the delete feed: all but products that still exist and whose
        inventory records all have ATS <= 0 (FeedTrackerUtils.js 194-203: TikTok keeps those listed).
        """
        ids = iter(sku_ids)
        while batch := list(islice(ids, 500)):
            query = f"SELECT id FROM zero_ats WHERE id IN ({','.join('?' * len(batch))})"
            kept = {sku for (sku,) in self._db.execute(query, batch)}
            for sku in batch:
                if sku in kept:
                    self.summary.kept.add(sku)
                else:
                    yield sku

    def close(self) -> None:
        """Drop the scratch database."""
        self._db.close()
        shutil.rmtree(self._work_dir, ignore_errors=True)

    def __enter__(self) -> SiteScan:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def load(self, now: datetime, split_min_bytes: int | None = SPLIT_MIN_BYTES,
             inventory_copy: Path | None = None) -> None:
        """Stream every input into the scratch database, then derive the per-master tables.

        Prices and stock load in a second process meanwhile (when they are big enough to pay for
        one), and each catalog file of `split_min_bytes` or more (None: none) is parsed in two parts
        at once: on two cores the catalogs, the largest input, are then the only wait. The stock pass
        also writes the inventory export to `inventory_copy` when given (`inventory_records`).
        """
        inputs = self.inputs
        side = self._work_dir / "side.sqlite"
        side_inputs = (*inputs.pricebooks, *inputs.inventories)
        args = (side, inputs.pricebooks, inputs.inventories, now, inputs.currency or "", inventory_copy)
        with Background(_load_side, args, worth_a_process(side_inputs)) as prices_and_stock:
            self._db.execute("BEGIN")
            catalogs = self._load_catalogs(now, split_min_bytes)
            self._scratch.flush()
            self._db.execute("COMMIT")
            self._choose_site_catalog(catalogs)
            self.currency, self._default_lists, self.inventory_records = prices_and_stock.result()
        self._db.execute("ATTACH DATABASE ? AS side", (str(side),))
        self._db.execute("BEGIN")
        for statement in _DERIVE.split(";"):
            if statement.strip():
                self._db.execute(statement, {"n": self._default_lists})
        self._db.execute("COMMIT")
        for reason, count, examples in self._db.execute(_SKIPPED):
            self.summary.skipped[reason] = Tally(count, examples.split("\x1f") if examples else [])
        if self._only_catalog and NOT_IN_SITE in self.summary.skipped:
            self.summary.warnings.append(
                f"{self.summary.skipped[NOT_IN_SITE].count} products are not in the site catalog, which is "
                f"{self.summary.site_catalog} because it is the only catalog given; if it is a master "
                "catalog, give the storefront catalog too (--catalog or --site-catalog)")

    def _load_catalogs(self, now: datetime, split_min_bytes: int | None) -> list[_Catalog]:
        """Every catalog file in order; one of `split_min_bytes` or more is parsed in two processes."""
        context = CatalogContext(self.inputs.site_id, self.inputs.locale, now)
        load = CatalogLoad(self._scratch)
        catalogs: dict[str, _Catalog] = {}
        for index, path in enumerate(self.inputs.catalog_files):
            cut = None if split_min_bytes is None else find_split(path, "catalog", split_min_bytes)
            if cut is None:
                products, assignments = load.load(read_catalog(path, context), index)
            else:
                products, assignments = self._load_cut(load, cut, index, context)
            counts = _Catalog("", [path], [index], products, assignments)
            identity = catalog_id(path)  # after read_catalog, which names a file that is no catalog
            if identity in catalogs:
                catalogs[identity].add(counts)
            else:
                catalogs[identity] = dataclasses.replace(counts, catalog_id=identity)
        self._scratch.flush()
        pending_delete = load.loaded.pending_delete
        self._db.executemany("DELETE FROM product WHERE id = ?", ((pid,) for pid in pending_delete))
        self.deleted_ids = frozenset(load.loaded.deleted)
        return list(catalogs.values())

    def _load_cut(
        self, load: CatalogLoad, cut: Split, index: int, context: CatalogContext
    ) -> tuple[int, int]:
        """The first part here while a worker loads the second into its own file; then the second on top."""
        part_path = self._work_dir / f"part-{index}.sqlite"
        with Background(load_second_part, (part_path, cut, index, context), parallel=True) as second:
            products, assignments = load_first_part(load, cut, index, context)
            part = second.result()
        load.merge_part(part_path, part)
        part_path.unlink()
        return products + part.products, assignments + part.assignments

    def _choose_site_catalog(self, catalogs: list[_Catalog]) -> None:
        """Record the site catalog's files in `site_file`; warn of assignments to undefined products.

        Given (`site_catalog`, with every file of its catalog-id), else the only catalog, else the one
        catalog that assigns products but defines none, as an SFCC storefront catalog export looks.
        Raises SiteCatalogError when that is ambiguous, or when the site catalog assigns none of the
        products the catalogs define (the run would send nothing, its delete feed remove everything).
        """
        self._warn_undefined_assignments(catalogs)
        site = self.inputs.site_catalog
        if site is not None:
            index = next(i for i, item in enumerate(catalogs)
                         if site.resolve() in {path.resolve() for path in item.paths})
            how = "--site-catalog"
        elif len(catalogs) == 1:
            index, how = 0, "the only catalog, so the site catalog,"
            self._only_catalog = True
        else:
            candidates = [i for i, item in enumerate(catalogs) if item.assignments and not item.products]
            if len(candidates) != 1:
                listed = "; ".join(item.describe() for item in catalogs)
                raise SiteCatalogError(
                    "cannot tell which catalog is the site (storefront) catalog: expected exactly one that "
                    f"assigns products but defines none, got {len(candidates)} among: {listed}. "
                    "Name it with --site-catalog (or SFCC_SITE_CATALOG)")
            index, how = candidates[0], "the site catalog (it assigns products, defines none),"
        defined = self._db.execute("SELECT COUNT(*) FROM product").fetchone()[0]
        chosen = catalogs[index]
        assigned = self._db.execute(
            "SELECT COUNT(DISTINCT a.id) FROM assignment a JOIN product p ON p.id = a.id "
            f"WHERE a.file IN ({chosen.marks})", chosen.indices).fetchone()[0]
        if defined and not assigned:
            raise SiteCatalogError(
                f"{how} {chosen.files} (catalog {chosen.catalog_id}, {chosen.assignments} category "
                f"assignments) assigns none of the {defined} products the catalogs define: no product "
                "would be exported. Give the site's storefront catalog with --catalog or --site-catalog")
        self._db.executemany("INSERT INTO site_file VALUES (?)", ((file,) for file in chosen.indices))
        self.summary.site_catalog = f"{chosen.catalog_id} ({chosen.files})"

    def _warn_undefined_assignments(self, catalogs: list[_Catalog]) -> None:
        """A catalog assigning products no catalog defines: usually a master catalog left out."""
        for item in catalogs:
            undefined = (f"FROM assignment a WHERE file IN ({item.marks}) "
                         "AND NOT EXISTS (SELECT 1 FROM product p WHERE p.id = a.id)")
            count = self._db.execute(f"SELECT COUNT(DISTINCT id) {undefined}", item.indices).fetchone()[0]
            if count:
                examples = [row[0] for row in self._db.execute(
                    f"SELECT id {undefined} GROUP BY id ORDER BY MIN(seq) LIMIT {EXAMPLES}", item.indices)]
                self.summary.warnings.append(
                    f"catalog {item.catalog_id} ({item.files}) assigns products that no given catalog "
                    f"defines: {Tally(count, examples).describe()}")


def _load_side(
    path: Path, pricebooks: Sequence[Path], inventories: Sequence[Path], now: datetime, currency: str,
    inventory_copy: Path | None,
) -> tuple[str, int, int | None]:
    """Lowest applicable price per product and stock per list and SKU, into their own file `path`; with
    `inventory_copy`, the inventory export written there from the same pass over the lists.

    Returns the site currency (`currency`, else the first applicable book's), the number of
    default-instock lists, counting "no inventory input at all" as one such list (with nothing
    known about stock, every SKU is reported in stock), and the records copied (None: no copy).
    """
    scratch = Scratch(path, _SIDE_SCHEMA + COPY_SCHEMA)
    copy = InventoryCopy(scratch) if inventory_copy else None
    scratch.db.execute("BEGIN")
    try:
        currency = _load_prices(scratch, pricebooks, now, currency)
        lists = default_lists = list_default = 0
        for inventory in inventories:
            for item in read_inventory(inventory, with_xml=copy is not None):
                if copy is not None:
                    copy.add(item)
                if isinstance(item, ListHeader):
                    lists, list_default = lists + 1, int(item.default_instock)
                    default_lists += list_default
                else:
                    scratch.add(_INSERT_STOCK, (lists, item.product_id, int(item.in_stock), list_default,
                                                int(item.ats_positive)))
        scratch.flush()
        scratch.db.execute("COMMIT")
        copied = copy.write(inventory_copy) if copy is not None and inventory_copy else None
    finally:
        scratch.db.close()
    return currency, default_lists if inventories else 1, copied


def _load_prices(scratch: Scratch, pricebooks: Sequence[Path], now: datetime, currency: str) -> str:
    active = False
    for book in pricebooks:
        for record in read_pricebook(book, now):
            if isinstance(record, PriceBook):
                currency = currency or (record.currency if record.applicable else "")
                active = record.applicable and record.currency == currency
            elif active:
                scratch.add(_UPSERT_PRICE, (record.product_id, record.amount))
    return currency


def scan_site(inputs: SiteInputs, now: datetime | None = None, work_dir: Path | None = None,
              split_min_bytes: int | None = SPLIT_MIN_BYTES, inventory_copy: Path | None = None) -> SiteScan:
    """Scan all inputs once; `now` (UTC if naive) decides online windows. Raises XmlInputError.

    A catalog file of `split_min_bytes` or more (None: none) is parsed in two processes at once; the
    feed and every error are the same either way. `inventory_copy`: see `SiteScan.load`.
    """
    moment = now or datetime.now(UTC)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    for threshold in (split_min_bytes, None):  # a cut its parts do not prove (malformed XML): uncut
        scan = SiteScan(inputs, Path(tempfile.mkdtemp(prefix="sfcc-scan-", dir=work_dir)))
        try:
            scan.load(moment, threshold, inventory_copy)
            return scan
        except SplitRefused:
            scan.close()
        except BaseException:
            scan.close()
            raise
    raise AssertionError("unreachable: the unsplit scan raises no SplitRefused")
