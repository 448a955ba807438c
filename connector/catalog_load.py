"""Catalog records into scratch tables, in file order, so later definitions win as on the platform.

A big catalog is parsed in two parts at once (connector/split.py): the second part loads into its own
scratch file in a worker process, and `merge_part` then applies it to the first as if its records had
followed there: products, variants and shared attributes replace, assignment deletes remove the earlier
part's assignments, and a product deleted earlier stays deleted only if the later part does not define
it again.
"""

from __future__ import annotations

import marshal
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connector.catalog import CatalogContext, CatalogRecord, Product, VariationAttribute, read_catalog
from connector.scratch import Scratch
from connector.split import Split
from connector.xmlsafe import MalformedXmlError, XmlInputError

KIND_ITEM, KIND_MASTER, KIND_SET = 0, 1, 2

# `assignment_delete` lists the assignments a part deleted, for `merge_part` to delete from the part before.
SCHEMA = """
CREATE TABLE product(seq INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, kind INTEGER, online INTEGER,
    name TEXT, short TEXT, long TEXT, brand TEXT, msku TEXT, images BLOB, vals BLOB, attrs BLOB);
CREATE TABLE variant(variant TEXT PRIMARY KEY, master TEXT, pos INTEGER, dflt INTEGER) WITHOUT ROWID;
CREATE TABLE vgroup(id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE shared_attr(vid TEXT PRIMARY KEY, attr BLOB) WITHOUT ROWID;
CREATE TABLE assignment(seq INTEGER PRIMARY KEY, id TEXT, cat TEXT, prim INTEGER, file INTEGER);
CREATE TABLE assignment_delete(id TEXT, cat TEXT);
"""
_PRODUCT_COLUMNS = "id, kind, online, name, short, long, brand, msku, images, vals, attrs"
_INSERT_PRODUCT = f"INSERT OR REPLACE INTO product({_PRODUCT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
_INSERT_VARIANT = "INSERT OR REPLACE INTO variant VALUES (?,?,?,?)"  # a later master definition wins
_INSERT_VGROUP = "INSERT OR IGNORE INTO vgroup VALUES (?)"
_INSERT_SHARED = "INSERT OR REPLACE INTO shared_attr VALUES (?,?)"
_INSERT_ASSIGNMENT = "INSERT INTO assignment(id, cat, prim, file) VALUES (?,?,?,?)"
# The later part over the earlier, in its own order (`seq`), so the relative order of rows is the file's.
_MERGE = f"""
DELETE FROM main.assignment WHERE EXISTS (
    SELECT 1 FROM part.assignment_delete d WHERE d.id = assignment.id AND d.cat = assignment.cat);
INSERT INTO main.assignment(id, cat, prim, file) SELECT id, cat, prim, file FROM part.assignment ORDER BY seq;
INSERT OR REPLACE INTO main.product({_PRODUCT_COLUMNS}) SELECT {_PRODUCT_COLUMNS} FROM part.product
    ORDER BY seq;
INSERT OR REPLACE INTO main.variant SELECT * FROM part.variant;
INSERT OR IGNORE INTO main.vgroup SELECT * FROM part.vgroup;
INSERT OR REPLACE INTO main.shared_attr SELECT * FROM part.shared_attr
"""


class SplitRefused(Exception):
    """A part of a cut catalog is malformed: the cut is unproven, so the file must be read whole."""


@dataclass
class Loaded:
    """What the records of a catalog (or a part of one) did beyond its rows: counts and deletions.

    `pending_delete` holds the products deleted and not defined again since: removed at the end.
    """

    products: int = 0
    assignments: int = 0
    deleted: set[str] = field(default_factory=set)
    pending_delete: set[str] = field(default_factory=set)


class CatalogLoad:
    """Loads catalog records into `scratch`; one instance per scan (or per part), files in order."""

    def __init__(self, scratch: Scratch) -> None:
        self._scratch, self._add = scratch, scratch.add
        self.loaded = Loaded()

    def load(self, records: Iterable[CatalogRecord], file: int) -> tuple[int, int]:
        """Add the records of catalog file number `file`; returns its (products, assignments) counts."""
        loaded, add = self.loaded, self._add
        products = assignments = 0
        for record in records:
            if isinstance(record, Product):
                if record.deleted:
                    loaded.deleted.add(record.product_id)
                    loaded.pending_delete.add(record.product_id)
                else:
                    products += 1
                    loaded.pending_delete.discard(record.product_id)
                    self._add_product(record)
            elif isinstance(record, VariationAttribute):
                add(_INSERT_SHARED, (record.variation_attribute_id, pack(attribute_tuple(record))))
            elif record.deleted:
                self._scratch.flush()  # the assignment may still wait in a batch
                deleted = (record.product_id, record.category_id)
                self._scratch.db.execute("DELETE FROM assignment WHERE id = ? AND cat = ?", deleted)
                self._scratch.db.execute("INSERT INTO assignment_delete VALUES (?, ?)", deleted)
            else:
                assignments += 1
                add(_INSERT_ASSIGNMENT, (record.product_id, record.category_id, int(record.primary), file))
        loaded.products += products
        loaded.assignments += assignments
        return products, assignments

    def merge_part(self, path: Path, part: Loaded) -> None:
        """Apply a later part, loaded into the scratch file `path`, on top of what is loaded here."""
        db = self._scratch.db
        self._scratch.flush()
        in_transaction = db.in_transaction
        if in_transaction:
            db.execute("COMMIT")  # SQLite attaches only outside a transaction
        db.execute("ATTACH DATABASE ? AS part", (str(path),))
        try:
            db.execute("BEGIN")
            for statement in _MERGE.split(";"):
                db.execute(statement)
            redefined = {pid for pid in self.loaded.pending_delete
                         if db.execute("SELECT 1 FROM part.product WHERE id = ?", (pid,)).fetchone()}
            db.execute("COMMIT")
        finally:
            db.execute("DETACH DATABASE part")
        if in_transaction:
            db.execute("BEGIN")
        loaded = self.loaded
        loaded.pending_delete = (loaded.pending_delete - redefined) | part.pending_delete
        loaded.deleted |= part.deleted
        loaded.products += part.products
        loaded.assignments += part.assignments

    def _add_product(self, product: Product) -> None:
        kind = KIND_SET if product.is_set else KIND_MASTER if product.is_master else KIND_ITEM
        groups = [(group.match, group.paths) for group in product.images]
        attrs = [attribute_tuple(item) for item in product.attributes]
        self._add(_INSERT_PRODUCT, (
            product.product_id, kind, int(product.online), product.name, product.short_description,
            product.long_description, product.brand, product.manufacturer_sku, pack(groups),
            pack(product.values), pack(attrs),
        ))
        for position, (variant_id, is_default) in enumerate(product.variants):
            self._add(_INSERT_VARIANT, (variant_id, product.product_id, position, int(is_default)))
        for group_id in product.variation_groups:
            self._add(_INSERT_VGROUP, (group_id,))


def load_second_part(scratch_path: Path, split: Split, file: int, context: CatalogContext) -> Loaded:
    """In a worker: the second part of a cut catalog into its own scratch file. A bad value names the
    file's own line (the part's line plus the lines before the cut); a malformed part refuses the cut."""
    scratch = Scratch(scratch_path, SCHEMA)
    try:
        scratch.db.execute("BEGIN")
        load = CatalogLoad(scratch)
        load.load(read_catalog(split.path, context, split.second()), file)
        scratch.flush()
        scratch.db.execute("COMMIT")
    except MalformedXmlError:
        raise SplitRefused(str(split.path)) from None
    except XmlInputError as error:
        line = error.line + split.line_offset() if error.line else None
        raise XmlInputError(error.path, line, error.field, error.message) from None
    finally:
        scratch.db.close()
    return load.loaded


def load_first_part(load: CatalogLoad, split: Split, file: int, context: CatalogContext) -> tuple[int, int]:
    """The first part of a cut catalog, here; a malformed part refuses the cut."""
    try:
        return load.load(read_catalog(split.path, context, split.first()), file)
    except MalformedXmlError:
        raise SplitRefused(str(split.path)) from None


def pack(value: object) -> bytes | None:
    """Scratch-only encoding (marshal: fast, and the file never outlives this process); empty -> NULL."""
    return marshal.dumps(value) if value else None


def unpack(blob: bytes | None, empty: object) -> Any:
    return marshal.loads(blob) if blob else empty


def attribute_tuple(attribute: VariationAttribute) -> tuple[object, ...]:
    return (
        attribute.attribute_id,
        attribute.variation_attribute_id,
        attribute.display_name,
        attribute.values,
    )

