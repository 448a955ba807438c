"""What the dashboard reads that no API answers: status counts, the latest jobs, a product search by title.

Read-only SQL on the store's tables; the product and job shapes themselves come from `products.py` and
`store.py`, so the dashboard shows what the APIs show.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from simulator.store import Store

SHOWN_STATUSES = ("PENDING", "ACTIVATE", "FAILED", "DELETED")


def tenants(store: Store) -> list[dict[str, Any]]:
    """Every registered tenant with its shop, never its WebDAV password."""
    rows = store.registry().execute(
        "SELECT t.id, t.webdav_base, t.site_id, t.region, s.shop_id, s.name, s.connected FROM tenants t"
        " LEFT JOIN shops s ON s.tenant = t.id ORDER BY t.id"
    )
    return [dict(row) for row in rows]


def status_counts(store: Store) -> dict[str, dict[str, int]]:
    """Products by tenant and status; every shown status is present, zero or not."""
    counts: dict[str, dict[str, int]] = {}
    for tenant, status, n in store.connection().execute(
        "SELECT tenant, status, COUNT(*) FROM products GROUP BY tenant, status"
    ):
        counts.setdefault(tenant, dict.fromkeys(SHOWN_STATUSES, 0))[status] = n
    return counts


def latest_jobs(store: Store, limit: int) -> list[dict[str, Any]]:
    """The newest `limit` jobs, newest first, as `/api/jobs` shows each."""
    newest = store.registry().execute("SELECT id FROM jobs ORDER BY id DESC LIMIT ?", (limit,))
    ids = [row[0] for row in newest]
    return [job for job in map(store.get_job, ids) if job is not None]


@dataclass(frozen=True)
class ProductQuery:
    """The product list's filters (empty: any) and where its page starts (after this rowid)."""

    status: str = ""
    sku: str = ""
    title: str = ""
    after: int = 0

    def page(self, conn: sqlite3.Connection, size: int) -> tuple[list[sqlite3.Row], int, int | None]:
        """(rows of this page in id order, how many match, the last rowid when another page follows)."""
        clauses, args = ["1"], []
        if self.status:
            clauses.append("status = ?")
            args.append(self.status)
        if self.title:
            clauses.append("title LIKE ? ESCAPE '\\'")
            args.append(f"%{_like(self.title)}%")
        if self.sku:
            clauses.append("EXISTS (SELECT 1 FROM skus s WHERE s.tenant = p.tenant AND s.item_group_id ="
                           " p.item_group_id AND s.sku_id LIKE ? ESCAPE '\\' AND s.deleted = 0)")
            args.append(f"%{_like(self.sku)}%")
        where = " AND ".join(clauses)
        total = conn.execute(f"SELECT COUNT(*) FROM products p WHERE {where}", args).fetchone()[0]
        rows = conn.execute(f"SELECT * FROM products p WHERE {where} AND id > ? ORDER BY id LIMIT ?",
                            (*args, self.after, size + 1)).fetchall()
        more = len(rows) > size
        rows = rows[:size]
        return rows, total, rows[-1]["id"] if more else None


def _like(text: str) -> str:
    """`text` matched literally inside a LIKE pattern."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
