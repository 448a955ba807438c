"""Review modes: publish at once, after a delay, or when a QA engineer approves or rejects by hand.

`immediate` is TikTok's review as the simulator always did it. In `delayed` and `manual` mode the publish
step keeps the product PENDING and holds its review outcome here (`held_reviews`); a delayed outcome is
applied once due (`release_due`, also at start, so a restart loses none), a manual one only through
`approve` or `reject`. Every move goes through `shop.transition`, so it lands in the status history.
A mode belongs to one tenant; the row of tenant '' is the default of every tenant without its own.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from simulator.products import find_product
from simulator.shop import ACTIVATE, FAILED, PENDING, Change, transition
from simulator.store import Store

IMMEDIATE, DELAYED, MANUAL = "immediate", "delayed", "manual"
MODES = (IMMEDIATE, DELAYED, MANUAL)
EVERY_TENANT = ""


class NotHeld(RuntimeError):
    """A product that is not waiting for a decision: approve and reject answer 409 with its status."""

    def __init__(self, message: str, status: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ReviewMode:
    """How a tenant's reviews publish: `delay_s` counts only in delayed mode."""

    mode: str = IMMEDIATE
    delay_s: float = 0.0

    @property
    def holds(self) -> bool:
        return self.mode != IMMEDIATE

    def due(self, held_at: float) -> float | None:
        """When an outcome held at `held_at` publishes by itself; None: only by hand."""
        if self.mode == MANUAL:
            return None
        return held_at + (self.delay_s if self.mode == DELAYED else 0.0)

    def as_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "delay_s": self.delay_s}


@dataclass(frozen=True)
class Held:
    """A review outcome publish held back: the status it decided and why."""

    item_group_id: str
    target: str
    reasons: str
    warnings: str


def mode_of(conn: sqlite3.Connection, tenant: str) -> ReviewMode:
    """The tenant's own mode, else the default for every tenant, else immediate."""
    row = conn.execute(
        "SELECT mode, delay_s FROM review_modes WHERE tenant IN (?, ?) ORDER BY tenant = ? LIMIT 1",
        (tenant, EVERY_TENANT, EVERY_TENANT),
    ).fetchone()
    return ReviewMode(row[0], row[1]) if row else ReviewMode()


def modes(store: Store) -> dict[str, ReviewMode]:
    """Every mode set, by tenant ('' for the default)."""
    rows = store.connection().execute("SELECT tenant, mode, delay_s FROM review_modes ORDER BY tenant")
    return {tenant: ReviewMode(mode, delay_s) for tenant, mode, delay_s in rows}


def set_mode(store: Store, tenant: str, mode: ReviewMode) -> None:
    """Set a tenant's mode (or the default); outcomes already held follow it: due now, later, or never."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO review_modes (tenant, mode, delay_s) VALUES (?, ?, ?)"
            " ON CONFLICT (tenant) DO UPDATE SET mode = excluded.mode, delay_s = excluded.delay_s",
            (tenant, mode.mode, mode.delay_s),
        )
        held = conn.execute(
            "SELECT tenant, item_group_id, held_at FROM held_reviews"
            + ("" if tenant == EVERY_TENANT else " WHERE tenant = ?"),
            () if tenant == EVERY_TENANT else (tenant,),
        ).fetchall()
        conn.executemany(
            "UPDATE held_reviews SET due_at = ? WHERE tenant = ? AND item_group_id = ?",
            [(mode_of(conn, owner).due(at), owner, group) for owner, group, at in held],
        )


def record(conn: sqlite3.Connection, tenant: str, job_id: int, mode: ReviewMode, held: list[Held],
           published: list[str]) -> None:
    """In publish's transaction: hold these outcomes (a newer review replaces an older hold), and forget
    the holds of products this job published, so an old outcome never overrides a newer review."""
    conn.executemany(
        "DELETE FROM held_reviews WHERE tenant = ? AND item_group_id = ?", [(tenant, g) for g in published]
    )
    now = time.time()
    conn.executemany(
        "INSERT OR REPLACE INTO held_reviews (tenant, item_group_id, target, reasons, warnings, job_id,"
        " held_at, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(tenant, h.item_group_id, h.target, h.reasons, h.warnings, job_id, now, mode.due(now))
         for h in held],
    )


def _decide(conn: sqlite3.Connection, tenant: str, group: str, change: Change | None) -> bool:
    """Apply a held outcome (or `change`, a decision by hand) if the product is still PENDING; drop the
    hold either way. False when there was no hold or the product had moved on (deleted meanwhile)."""
    hold = conn.execute(
        "SELECT target, reasons, warnings, job_id FROM held_reviews WHERE tenant = ? AND item_group_id = ?",
        (tenant, group),
    ).fetchone()
    if hold is None:
        return False
    conn.execute("DELETE FROM held_reviews WHERE tenant = ? AND item_group_id = ?", (tenant, group))
    status = conn.execute(
        "SELECT status FROM products WHERE tenant = ? AND item_group_id = ?", (tenant, group)
    ).fetchone()
    if status is None or status[0] != PENDING:
        return False
    decided = change or Change(group, hold["target"], None, hold["reasons"], hold["warnings"])
    transition(conn, tenant, hold["job_id"], [decided])
    return True


def release_due(store: Store, now: float | None = None) -> int:
    """Publish every held outcome that is due; returns how many products moved."""
    now = time.time() if now is None else now
    with store.transaction() as conn:
        due = conn.execute(
            "SELECT tenant, item_group_id FROM held_reviews WHERE due_at <= ? ORDER BY due_at", (now,)
        ).fetchall()
        return sum(_decide(conn, tenant, group, None) for tenant, group in due)


def next_due(store: Store) -> float | None:
    """When the next held outcome publishes by itself, if any will."""
    return store.connection().execute("SELECT MIN(due_at) FROM held_reviews").fetchone()[0]


def held_count(store: Store, tenant: str | None = None) -> int:
    """How many products wait for a held outcome, of one tenant or of all (a held product deleted since
    waits for nothing: its hold is dropped when next looked at)."""
    sql = ("SELECT COUNT(*) FROM held_reviews h JOIN products p USING (tenant, item_group_id)"
           " WHERE p.status = ?" + ("" if tenant is None else " AND h.tenant = ?"))
    return store.connection().execute(sql, (PENDING,) if tenant is None else (PENDING, tenant)).fetchone()[0]


def _by_hand(store: Store, product_id: str, target: str, reasons: list[dict[str, Any]]) -> dict[str, Any]:
    """Approve or reject one held product; NotHeld says why it cannot be (its status)."""
    with store.transaction() as conn:
        row = find_product(store, product_id)
        if row is None:
            raise LookupError(f"product {product_id} does not exist")
        tenant, group = row["tenant"], row["item_group_id"]
        change = Change(group, target, None, json.dumps(reasons))
        if row["status"] != PENDING or not _decide(conn, tenant, group, change):
            detail = "" if row["status"] != PENDING else " (its review is still running)"
            raise NotHeld(f"product {product_id} is {row['status']}, not PENDING awaiting review{detail}",
                          row["status"])
    return {"id": product_id, "status": target}


def approve(store: Store, product_id: str) -> dict[str, Any]:
    """PENDING -> ACTIVATE, whatever the held review found."""
    return _by_hand(store, product_id, ACTIVATE, [])


def reject(store: Store, product_id: str, reasons: list[dict[str, Any]]) -> dict[str, Any]:
    """PENDING -> FAILED with these `audit_failed_reasons`, whatever the held review found."""
    return _by_hand(store, product_id, FAILED, reasons)
