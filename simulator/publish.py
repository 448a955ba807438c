"""Product status: an explicit transition table (moto's ManagedState idea), and the publish step.

Every status change goes through `transition`, which refuses moves the table does not allow and
writes the product's status history, so the API can show how a product got where it is.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from simulator.jobs import JobContext
from simulator.store import job_batches

PENDING, ACTIVATE, FAILED, DELETED = "PENDING", "ACTIVATE", "FAILED", "DELETED"

# status -> the statuses it may move to; None is "no product yet".
ALLOWED: dict[str | None, frozenset[str]] = {
    None: frozenset({PENDING}),
    PENDING: frozenset({ACTIVATE, FAILED, DELETED}),
    ACTIVATE: frozenset({PENDING, DELETED}),
    FAILED: frozenset({PENDING, DELETED}),
    DELETED: frozenset({PENDING}),
}
AUDIT_STATUS = {PENDING: "AUDITING", ACTIVATE: "APPROVED", FAILED: "FAILED"}


class InvalidTransition(RuntimeError):
    """A status change the table does not allow: a bug in a step, never user input."""


@dataclass(frozen=True)
class Change:
    """Move one product (by item_group_id) to `target`; the other fields only land with it."""

    item_group_id: str
    target: str
    title: str | None = None
    reasons: str | None = None
    warnings: str | None = None


def transition(conn: sqlite3.Connection, ctx: JobContext, changes: list[Change]) -> int:
    """Apply changes (creating products that move from None); returns how many changed status."""
    if not changes:
        return 0
    tenant, now = ctx.tenant.id, time.time()
    placeholders = ",".join("?" * len(changes))
    current = {
        row[0]: (row[1], row[2])
        for row in conn.execute(
            f"SELECT item_group_id, status, audit_status FROM products WHERE tenant = ?"
            f" AND item_group_id IN ({placeholders})",
            (tenant, *(c.item_group_id for c in changes)),
        )
    }
    moved: list[tuple[str, str, str]] = []
    created: list[tuple[str, str, str, str, float, float]] = []
    updates: list[tuple[str, str, str | None, str | None, str | None, float, str, str]] = []
    for change in changes:
        status, old_audit = current.get(change.item_group_id, (None, None))
        audit = AUDIT_STATUS.get(change.target, old_audit or "NONE")
        if change.target not in ALLOWED[status] and status != change.target:
            raise InvalidTransition(
                f"product {change.item_group_id}: {status} -> {change.target} is not allowed"
            )
        if status is None:
            created.append((tenant, change.item_group_id, change.target, audit, now, now))
            current[change.item_group_id] = (change.target, audit)
        fields = (change.title, change.reasons, change.warnings)
        updates.append((change.target, audit, *fields, now, tenant, change.item_group_id))
        if status != change.target:
            moved.append((change.item_group_id, change.target, audit))
    # each statement touches only its own product, so batching them keeps the per-change order's outcome
    conn.executemany(
        "INSERT INTO products (tenant, item_group_id, title, status, audit_status, created_at,"
        " updated_at) VALUES (?, ?, '', ?, ?, ?, ?)",
        created,
    )
    conn.executemany(
        "UPDATE products SET status = ?, audit_status = ?, title = COALESCE(?, title),"
        " audit_failed_reasons = COALESCE(?, audit_failed_reasons), warnings = COALESCE(?, warnings),"
        " updated_at = ? WHERE tenant = ? AND item_group_id = ?",
        updates,
    )
    conn.executemany(
        "INSERT INTO status_history (tenant, item_group_id, status, audit_status, job_id, at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(tenant, group, status, audit, ctx.job_id, now) for group, status, audit in moved],
    )
    return len(moved)


def publish(ctx: JobContext) -> None:
    """Move every reviewed product to its outcome, all in one transaction."""
    with ctx.store.transaction() as conn:
        for rows in job_batches(
            conn,
            "SELECT rowid, item_group_id, passed, title, reasons, warnings FROM job_outcomes"
            " WHERE job_id = ? AND rowid > ?",
            ctx.job_id,
        ):
            changes = []
            for _, group, passed, title, reasons, warnings in rows:
                target = {1: ACTIVATE, 0: FAILED}.get(passed, DELETED)
                changes.append(
                    Change(group, target, title or None, reasons if target == FAILED else "[]", warnings)
                )
                ctx.count({ACTIVATE: "published", FAILED: "failed", DELETED: "deleted"}[target])
            transition(conn, ctx, changes)
    ctx.save()
