"""The product read model: products as TikTok's product API shows them, from the shop's tables.

Read-only: the job steps write the tables (statuses through `shop.py`), the API handlers answer from here.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from simulator.rules.record import parse_price
from simulator.store import Store

# TikTok ids are long numeric strings; ours are a fixed base plus the SQLite rowid, so they are stable.
PRODUCT_ID_BASE = 1729000000000000000
SKU_ID_BASE = 1731000000000000000
_IN_STOCK_AVAILABILITY = {"in stock", "available for order", "preorder"}


def product_external_id(rowid: int) -> str:
    return str(PRODUCT_ID_BASE + rowid)


def product_rowid(external_id: str) -> int | None:
    """The rowid behind a TikTok-style product id, or None when it cannot be one of ours."""
    if not external_id.isdigit():
        return None
    rowid = int(external_id) - PRODUCT_ID_BASE
    return rowid if 0 < rowid < 2**62 else None


def _price(raw: str) -> dict[str, str]:
    """`12.5 USD` -> {"amount": "12.5", "currency": "USD"}; a malformed price is kept whole as the amount."""
    amount, currency = parse_price(raw) or (raw, "")
    return {"amount": amount, "currency": currency}


def _stock_status(in_stock: bool) -> str:
    return "IN_STOCK" if in_stock else "OUT_OF_STOCK"


def _sku_view(conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    values = json.loads(row["row_values"])
    inventory = [
        {"warehouse_id": w, "quantity": q}
        | (
            {"preorder_backorder_handling": h, "preorder_backorder_allocation": a}
            if h not in ("", "none")
            else {}
        )
        | ({"in_stock_date": d} if d else {})
        for w, q, h, a, d in conn.execute(
            "SELECT warehouse_id, quantity, handling, preorder_allocation, in_stock_date FROM stock"
            " WHERE tenant = ? AND sku_id = ? ORDER BY warehouse_id",
            (row["tenant"], row["sku_id"]),
        )
    ]
    if inventory:
        in_stock = sum(item["quantity"] for item in inventory) > 0
    else:
        in_stock = values.get("availability", "").strip().lower() in _IN_STOCK_AVAILABILITY
    return {
        "id": str(SKU_ID_BASE + row["id"]),
        "seller_sku": row["sku_id"],
        "title": values.get("title", ""),
        "price": _price(values.get("price", "")),
        "inventory": inventory,
        "stock_status": _stock_status(in_stock),
    }


def product_view(conn: sqlite3.Connection, row: sqlite3.Row, with_history: bool) -> dict[str, Any]:
    """A product as TikTok's Get Product answers it, plus the simulator's group id, stock and history."""
    skus = [
        _sku_view(conn, sku)
        for sku in conn.execute(
            "SELECT id, tenant, sku_id, row_values FROM skus WHERE tenant = ? AND item_group_id = ?"
            " AND deleted = 0 ORDER BY sku_id",
            (row["tenant"], row["item_group_id"]),
        )
    ]
    view: dict[str, Any] = {
        "id": product_external_id(row["id"]),
        "title": row["title"],
        "status": row["status"],
        "audit": {"status": row["audit_status"]},
        "audit_failed_reasons": json.loads(row["audit_failed_reasons"]),
        "warnings": json.loads(row["warnings"]),
        "item_group_id": row["item_group_id"],
        "external_business_id": row["tenant"],
        "stock_status": _stock_status(any(s["stock_status"] == "IN_STOCK" for s in skus)),
        "skus": skus,
        "create_time": int(row["created_at"]),
        "update_time": int(row["updated_at"]),
    }
    if with_history:
        view["status_history"] = [
            {
                "status": h["status"],
                "audit_status": h["audit_status"],
                "job_id": str(h["job_id"]),
                "at": h["at"],
            }
            for h in conn.execute(
                "SELECT status, audit_status, job_id, at FROM status_history"
                " WHERE tenant = ? AND item_group_id = ?"
                " ORDER BY id",
                (row["tenant"], row["item_group_id"]),
            )
        ]
        view["history"] = [
            {"job_id": str(h["job_id"]), "file": h["file"], "at": h["at"], **json.loads(h["change"])}
            for h in conn.execute(
                "SELECT job_id, file, at, change FROM history WHERE tenant = ? AND item_group_id = ?"
                " ORDER BY id",
                (row["tenant"], row["item_group_id"]),
            )
        ]
    return view


def get_product(store: Store, external_id: str) -> dict[str, Any] | None:
    rowid = product_rowid(external_id)
    if rowid is None:
        return None
    conn = store.connection()
    row = conn.execute("SELECT * FROM products WHERE id = ?", (rowid,)).fetchone()
    return product_view(conn, row, with_history=True) if row else None


def search_products(
    store: Store, status: str | None, after: int, limit: int
) -> tuple[list[dict[str, Any]], int, int | None]:
    """One page of products after rowid `after`: (products, total matching, last rowid if more follow)."""
    conn = store.connection()
    where, args = ("WHERE status = ?", [status]) if status else ("", [])
    total = conn.execute(f"SELECT COUNT(*) FROM products {where}", args).fetchone()[0]
    keyset = f"{where} {'AND' if where else 'WHERE'} id > ?"
    rows = conn.execute(
        f"SELECT * FROM products {keyset} ORDER BY id LIMIT ?", (*args, after, limit + 1)
    ).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    products = [product_view(conn, row, with_history=False) for row in rows]
    return products, total, (rows[-1]["id"] if more else None)
