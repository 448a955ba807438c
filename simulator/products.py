"""The product read model: the shop's tables as TikTok's product API shows them, and as the sim's API does.

Read-only: the job steps write the tables (statuses through `shop.py`), the API handlers answer from here.
Every TikTok field is derived from the stored feed rows (docs/product-api.md lists each derivation); what
TikTok does not have (item_group_id, warnings, histories) appears only in the simulator's own view, so no
client of the TikTok-shaped answers comes to depend on an invented field.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from simulator.rules.engine import Row
from simulator.rules.record import parse_price
from simulator.store import Store

# TikTok ids are long numeric strings; ours are a fixed base plus the SQLite rowid, so they are stable.
PRODUCT_ID_BASE = 1729000000000000000
SKU_ID_BASE = 1731000000000000000
_ROWID_LIMIT = 2**62
_IN_STOCK_AVAILABILITY = {"in stock", "available for order", "preorder"}
_MAX_MAIN_IMAGES = 9
_SORT_AT_MOST = 10_000  # matching products a search sorts itself rather than walk the whole id order
# product_status is the status without its audit state; these are the statuses that are not audit states
_BASE_STATUSES = ("ACTIVATE", "DELETED")


def product_external_id(rowid: int) -> str:
    return str(PRODUCT_ID_BASE + rowid)


def product_rowid(external_id: str) -> int | None:
    """The rowid behind a TikTok-style product id, or None when it cannot be one of ours."""
    return _rowid(external_id, PRODUCT_ID_BASE)


def sku_rowid(external_id: str) -> int | None:
    """The rowid behind a TikTok-style SKU id, or None when it cannot be one of ours."""
    return _rowid(external_id, SKU_ID_BASE)


def _rowid(external_id: str, base: int) -> int | None:
    if not external_id.isascii() or not external_id.isdigit():
        return None
    rowid = int(external_id) - base
    return rowid if 0 < rowid < _ROWID_LIMIT else None


def stable_id(kind: str, *names: str) -> str:
    """A 19-digit id for a brand, category, attribute or value TikTok would have its own id for.

    Derived from the name, so the same name has the same id in every shop, run and restart."""
    digest = hashlib.blake2b("\x1f".join((kind, *names)).encode(), digest_size=8).digest()
    return str(10**18 + int.from_bytes(digest) % (9 * 10**18))


# --- filters --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductFilter:
    """Which products a search or listing wants; every field narrows, empty means no condition.

    Times are whole Unix seconds, inclusive at both ends, compared with the second TikTok shows."""

    tenant: str | None = None
    item_group_id: str | None = None
    statuses: tuple[str, ...] = ()
    audit_statuses: tuple[str, ...] = ()
    seller_skus: tuple[str, ...] = ()
    sku_rowids: tuple[int, ...] = ()
    created_from: int | None = None
    created_to: int | None = None
    updated_from: int | None = None
    updated_to: int | None = None
    match_none: bool = False

    def where(self) -> tuple[str, list[Any]]:
        """The SQL condition on `products` and its arguments; filters on SKUs need a tenant."""
        if self.match_none:
            return "0", []
        clauses: list[str] = []
        args: list[Any] = []
        for column, value in (("tenant", self.tenant), ("item_group_id", self.item_group_id)):
            if value is not None:
                clauses.append(f"{column} = ?")
                args.append(value)
        for column, values in (("status", self.statuses), ("audit_status", self.audit_statuses)):
            if values:
                clauses.append(f"{column} IN ({_marks(values)})")
                args += values
        for column, values in (("sku_id", self.seller_skus), ("id", self.sku_rowids)):
            if values:
                clauses.append(
                    "item_group_id IN (SELECT item_group_id FROM skus WHERE tenant = ?"
                    f" AND {column} IN ({_marks(values)}) AND deleted = 0)"
                )
                args += [self.tenant, *values]
        for column, low, high in (
            ("created_at", self.created_from, self.created_to),
            ("updated_at", self.updated_from, self.updated_to),
        ):
            if low is not None:
                clauses.append(f"{column} >= ?")
                args.append(low)
            if high is not None:  # the stored time is fractional; TikTok shows its whole second
                clauses.append(f"{column} < ?")
                args.append(high + 1)
        return " AND ".join(clauses) or "1", args


def _marks(values: tuple[Any, ...]) -> str:
    return ",".join("?" * len(values))


@dataclass(frozen=True)
class Page:
    """One page of products in id order: the rows, how many match in all, and the last id if more follow."""

    rows: list[sqlite3.Row]
    total: int
    last: int | None


def find_page(store: Store, where: ProductFilter, after: int, limit: int) -> Page:
    """The products matching `where` after rowid `after`, at most `limit`, keyset-paged in SQL.

    Few matches are found through the filter's own index and sorted (`+id` keeps SQLite from walking the
    id order instead: 100 ms on a 200,000-product shop); many are met soon enough walking the id order."""
    conn = store.connection()
    condition, args = where.where()
    total = conn.execute(f"SELECT COUNT(*) FROM products WHERE {condition}", args).fetchone()[0]
    order = "+id" if total <= _SORT_AT_MOST else "id"
    rows = conn.execute(
        f"SELECT * FROM products WHERE {condition} AND id > ? ORDER BY {order} LIMIT ?",
        (*args, after, limit + 1),
    ).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, total, rows[-1]["id"] if more else None)


def find_product(store: Store, external_id: str) -> sqlite3.Row | None:
    rowid = product_rowid(external_id)
    if rowid is None:
        return None
    return store.connection().execute("SELECT * FROM products WHERE id = ?", (rowid,)).fetchone()


# --- what the views are built from ----------------------------------------------------------------------


@dataclass(frozen=True)
class Stock:
    """One warehouse's stock of a SKU, as the inventory step stored it."""

    warehouse_id: str
    quantity: int
    handling: str
    preorder_allocation: int | None
    in_stock_date: str | None

    def tiktok(self, with_backorder: bool) -> dict[str, Any]:
        """TikTok's inventory entry; SFCC's backorder allocation is TikTok's `backorder_quantity`."""
        entry: dict[str, Any] = {"warehouse_id": self.warehouse_id, "quantity": self.quantity}
        if with_backorder and self.handling == "backorder" and self.preorder_allocation is not None:
            entry["backorder_quantity"] = self.preorder_allocation
        return entry

    def sim(self) -> dict[str, Any]:
        """Everything SFCC said about this stock, under SFCC's names."""
        entry: dict[str, Any] = {"warehouse_id": self.warehouse_id, "quantity": self.quantity}
        if self.handling not in ("", "none"):
            entry["preorder_backorder_handling"] = self.handling
            entry["preorder_backorder_allocation"] = self.preorder_allocation
        if self.in_stock_date:
            entry["in_stock_date"] = self.in_stock_date
        return entry


@dataclass(frozen=True)
class Sku:
    """A live SKU: its rowid, seller SKU, feed values and stock."""

    rowid: int
    seller_sku: str
    values: dict[str, str]
    stock: list[Stock]

    @property
    def id(self) -> str:
        return str(SKU_ID_BASE + self.rowid)

    @property
    def is_default(self) -> bool:
        return self.values.get("is_default_variant", "").strip().lower() == "true"

    @property
    def in_stock(self) -> bool:
        """The warehouses' quantities once inventory arrived; the feed's availability until then."""
        if self.stock:
            return sum(s.quantity for s in self.stock) > 0
        return self.values.get("availability", "").strip().lower() in _IN_STOCK_AVAILABILITY

    def price(self) -> dict[str, str]:
        """`12.5 USD` as TikTok's price object; a malformed price is kept whole as the sale price.

        The feed's price-book price is the local pre-tax price, which TikTok shows for local sellers as
        tax_exclusive_price too; unit_price needs unit counts the feed never carries (EU only): left out."""
        raw = self.values.get("price", "")
        amount, currency = parse_price(raw) or (raw, "")
        return {"currency": currency, "sale_price": amount, "tax_exclusive_price": amount}


def _skus_of(conn: sqlite3.Connection, tenant: str, groups: Iterable[str]) -> dict[str, list[Sku]]:
    """The live SKUs of the given products by item_group_id, in seller SKU order: two queries per page.

    The stock query walks the page's SKUs and looks each one's stock up (CROSS JOIN fixes that order):
    left to itself SQLite scanned the tenant's whole stock table, 0.1 s per product at 100,000 SKUs."""
    groups = list(groups)
    found: dict[str, list[Sku]] = {group: [] for group in groups}
    if not groups:
        return found
    marks = ",".join("?" * len(groups))
    stock: dict[str, list[Stock]] = {}
    for sku_id, *fields in conn.execute(
        "SELECT st.sku_id, st.warehouse_id, st.quantity, st.handling, st.preorder_allocation,"
        " st.in_stock_date FROM skus s CROSS JOIN stock st ON st.tenant = s.tenant AND st.sku_id = s.sku_id"
        f" WHERE s.tenant = ? AND s.item_group_id IN ({marks}) AND s.deleted = 0"
        " ORDER BY st.sku_id, st.warehouse_id",
        (tenant, *groups),
    ):
        stock.setdefault(sku_id, []).append(Stock(*fields))
    for rowid, sku_id, group, values in conn.execute(
        "SELECT id, sku_id, item_group_id, row_values FROM skus"
        f" WHERE tenant = ? AND item_group_id IN ({marks}) AND deleted = 0 ORDER BY item_group_id, sku_id",
        (tenant, *groups),
    ):
        found[group].append(Sku(rowid, sku_id, json.loads(values), stock.get(sku_id, [])))
    return found


def _product_row(skus: list[Sku]) -> dict[str, str]:
    """The feed row that speaks for the product: its default variant, else its first SKU."""
    default = next((sku for sku in skus if sku.is_default), skus[0] if skus else None)
    return default.values if default else {}


def _image(url: str) -> dict[str, Any]:
    """An image TikTok would have copied to its own store; the simulator never downloads it, so it has no
    size to report: width and height are left out rather than invented."""
    uri = "tos-sim-i/" + hashlib.blake2b(url.encode(), digest_size=16).hexdigest()
    return {"uri": uri, "urls": [url], "thumb_urls": [url]}


def _sales_attributes(sku: Sku) -> list[dict[str, Any]]:
    """variation_properties as TikTok's sales attributes; the first carries the SKU's own image."""
    feed = Row(sku.values)
    attributes = [
        {"id": stable_id("attribute", name), "name": name, "value_id": stable_id("value", name, value),
         "value_name": value}
        for name, value in (feed.properties or {}).items()
    ]
    images = feed.images
    if attributes and images:
        attributes[0]["sku_img"] = _image(images[0])
    return attributes


def _audit(row: sqlite3.Row) -> dict[str, Any]:
    return {"status": row["audit_status"], "pre_approved_reasons": []}


# --- TikTok's views -------------------------------------------------------------------------------------


def _product_status(conn: sqlite3.Connection, row: sqlite3.Row) -> str:
    """The status without its audit state: the last live or deleted state, INITIAL if it never went live."""
    if row["status"] in _BASE_STATUSES:
        return row["status"]
    last = conn.execute(
        "SELECT status FROM status_history WHERE tenant = ? AND item_group_id = ?"
        f" AND status IN ({_marks(_BASE_STATUSES)}) ORDER BY id DESC LIMIT 1",
        (row["tenant"], row["item_group_id"], *_BASE_STATUSES),
    ).fetchone()
    return "ACTIVATE" if last and last[0] == "ACTIVATE" else "INITIAL"


def _get_sku(sku: Sku) -> dict[str, Any]:
    return {
        "id": sku.id,
        "seller_sku": sku.seller_sku,
        "price": sku.price(),
        "inventory": [s.tiktok(with_backorder=True) for s in sku.stock],
        "sales_attributes": _sales_attributes(sku),
        "status_info": {"status": "NORMAL"},
    }


def get_product_view(
    conn: sqlite3.Connection, row: sqlite3.Row, skus: list[Sku] | None = None
) -> dict[str, Any]:
    """Get Product 202309's `data`, field for field from the stored feed rows."""
    if skus is None:
        skus = _skus_of(conn, row["tenant"], [row["item_group_id"]])[row["item_group_id"]]
    feed = Row(_product_row(skus))
    view: dict[str, Any] = {
        "id": product_external_id(row["id"]),
        "title": row["title"],
        "description": feed.get("description"),
        "status": row["status"],
        "product_status": _product_status(conn, row),
        "audit": _audit(row),
        "audit_failed_reasons": json.loads(row["audit_failed_reasons"]),
        "main_images": [_image(url) for url in (feed.images or ())[:_MAX_MAIN_IMAGES]],
    }
    if feed.get("brand"):
        view["brand"] = {"id": stable_id("brand", feed.get("brand")), "name": feed.get("brand")}
    category = feed.get("product_category")
    view["category_chains"] = (
        [{"id": stable_id("category", category), "parent_id": "0", "local_name": category, "is_leaf": True}]
        if category
        else []
    )
    view["skus"] = [_get_sku(sku) for sku in skus]
    view["create_time"] = int(row["created_at"])
    view["update_time"] = int(row["updated_at"])
    view["has_draft"] = False
    view["is_not_for_sale"] = False
    return view


def search_product_views(
    conn: sqlite3.Connection, rows: list[sqlite3.Row], version: str
) -> list[dict[str, Any]]:
    """Search Products' `products[]` for one page: 202312, or 202502 with its few extra fields."""
    newer = version >= "202502"
    by_tenant: dict[str, list[str]] = {}
    for row in rows:
        by_tenant.setdefault(row["tenant"], []).append(row["item_group_id"])
    skus = {tenant: _skus_of(conn, tenant, groups) for tenant, groups in by_tenant.items()}
    views = []
    for row in rows:
        product_skus = skus[row["tenant"]][row["item_group_id"]]
        region = _product_row(product_skus).get("sale_regions", "")
        view: dict[str, Any] = {
            "id": product_external_id(row["id"]),
            "title": row["title"],
            "status": row["status"],
            "skus": [_search_sku(sku, newer) for sku in product_skus],
            "sales_regions": [region] if region else [],
            "create_time": int(row["created_at"]),
            "update_time": int(row["updated_at"]),
            "is_not_for_sale": False,
            "audit": _audit(row),
        }
        if newer:
            view["has_draft"] = False
        views.append(view)
    return views


def _search_sku(sku: Sku, newer: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": sku.id,
        "seller_sku": sku.seller_sku,
        "price": sku.price(),
        "inventory": [s.tiktok(with_backorder=newer) for s in sku.stock],
    }
    if newer:
        view["status_info"] = {"status": "NORMAL"}
    return view


# --- the simulator's own view ---------------------------------------------------------------------------


def sim_product_view(conn: sqlite3.Connection, row: sqlite3.Row, with_history: bool) -> dict[str, Any]:
    """Get Product's view plus what only the simulator knows: group id, tenant, warnings, stock, history."""
    skus = _skus_of(conn, row["tenant"], [row["item_group_id"]])[row["item_group_id"]]
    view = get_product_view(conn, row, skus)
    view["item_group_id"] = row["item_group_id"]
    view["external_business_id"] = row["tenant"]
    view["warnings"] = json.loads(row["warnings"])
    view["stock_status"] = _stock_status(any(sku.in_stock for sku in skus))
    for shown, sku in zip(view["skus"], skus, strict=True):
        shown["title"] = sku.values.get("title", "")
        shown["inventory"] = [s.sim() for s in sku.stock]
        shown["stock_status"] = _stock_status(sku.in_stock)
    if with_history:
        view["status_history"] = _status_history(conn, row)
        view["history"] = _history(conn, row)
    return view


def _stock_status(in_stock: bool) -> str:
    return "IN_STOCK" if in_stock else "OUT_OF_STOCK"


def _status_history(conn: sqlite3.Connection, row: sqlite3.Row) -> list[dict[str, Any]]:
    return [
        {"status": status, "audit_status": audit, "job_id": str(job_id), "at": at}
        for status, audit, job_id, at in conn.execute(
            "SELECT status, audit_status, job_id, at FROM status_history"
            " WHERE tenant = ? AND item_group_id = ? ORDER BY id",
            (row["tenant"], row["item_group_id"]),
        )
    ]


def _history(conn: sqlite3.Connection, row: sqlite3.Row) -> list[dict[str, Any]]:
    return [
        {"job_id": str(job_id), "file": file, "at": at, **json.loads(change)}
        for job_id, file, at, change in conn.execute(
            "SELECT job_id, file, at, change FROM history WHERE tenant = ? AND item_group_id = ? ORDER BY id",
            (row["tenant"], row["item_group_id"]),
        )
    ]
