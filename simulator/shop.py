"""The shop's state changes that several steps make: product statuses, histories, processed files.

Every status change goes through `transition`, an explicit transition table (moto's ManagedState idea)
that refuses moves the table does not allow and writes the product's status history, so the API can
show how a product got where it is. Each function writes on the caller's connection: the step decides
the transaction, and marks its files processed in the same one that applies them (or, for a file that
cannot be read, processed-with-failure with the reason).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from simulator import webhooks

# TikTok's product statuses, as the product search filters on them; the shop moves products between four.
PRODUCT_STATUSES = (
    "DRAFT",
    "PENDING",
    "FAILED",
    "ACTIVATE",
    "SELLER_DEACTIVATED",
    "PLATFORM_DEACTIVATED",
    "FREEZE",
    "DELETED",
)
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


def transition(conn: sqlite3.Connection, tenant: str, job_id: int, changes: list[Change]) -> int:
    """Apply changes (creating products that move from None); returns how many changed status."""
    if not changes:
        return 0
    now = time.time()
    placeholders = ",".join("?" * len(changes))
    current = {
        row[0]: (row[1], row[2])
        for row in conn.execute(
            f"SELECT item_group_id, status, audit_status FROM products WHERE tenant = ?"
            f" AND item_group_id IN ({placeholders})",
            (tenant, *(c.item_group_id for c in changes)),
        )
    }
    moved: list[webhooks.Move] = []
    created: list[tuple[str, str, str | None, str, str, str | None, str | None, float, float]] = []
    updates: list[tuple[str, str, str | None, str | None, str | None, float, str, str]] = []
    for change in changes:
        status, old_audit = current.get(change.item_group_id, (None, None))
        audit = AUDIT_STATUS.get(change.target, old_audit or "NONE")
        if change.target not in ALLOWED[status] and status != change.target:
            raise InvalidTransition(
                f"product {change.item_group_id}: {status} -> {change.target} is not allowed"
            )
        if status is None:  # made whole by its INSERT: an UPDATE after it would rewrite every index again
            created.append((tenant, change.item_group_id, change.title, change.target, audit,
                            change.reasons, change.warnings, now, now))
            current[change.item_group_id] = (change.target, audit)
        else:
            fields = (change.title, change.reasons, change.warnings)
            updates.append((change.target, audit, *fields, now, tenant, change.item_group_id))
        if status != change.target:
            moved.append((change.item_group_id, change.target, audit, status, old_audit))
    # each statement touches only its own product, so batching them keeps the per-change order's outcome
    conn.executemany(
        "INSERT INTO products (tenant, item_group_id, title, status, audit_status, audit_failed_reasons,"
        " warnings, created_at, updated_at) VALUES (?, ?, COALESCE(?, ''), ?, ?, COALESCE(?, '[]'),"
        " COALESCE(?, '[]'), ?, ?)",
        created,
    )
    conn.executemany(
        "UPDATE products SET status = ?, audit_status = ?, title = COALESCE(?, title),"
        " audit_failed_reasons = COALESCE(?, audit_failed_reasons), warnings = COALESCE(?, warnings),"
        " updated_at = ? WHERE tenant = ? AND item_group_id = ?",
        updates,
    )
    webhooks.queue_moves(conn, tenant, moved)
    conn.executemany(
        "INSERT INTO status_history (tenant, item_group_id, status, audit_status, job_id, at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(tenant, group, status, audit, job_id, now) for group, status, audit, *_ in moved],
    )
    return len(moved)


def write_history(
    conn: sqlite3.Connection, tenant: str, job_id: int, changes: Iterable[tuple[tuple[str, str], dict]]
) -> None:
    """One history entry per (file, product): what that file changed in that product; a live product's
    changes are also a type 15 webhook."""
    now = time.time()
    information = webhooks.InformationChanges(conn, tenant)
    conn.executemany(
        "INSERT INTO history (tenant, item_group_id, job_id, file, at, change) VALUES (?, ?, ?, ?, ?, ?)",
        ((tenant, group, job_id, file, now, json.dumps(change))
         for (file, group), change in information.watch(changes)),
    )
    information.queue()


class RemoteFileId(Protocol):
    """What tells one version of a WebDAV file from another: its href, ETag and size."""

    @property
    def href(self) -> str: ...

    @property
    def size(self) -> int | None: ...

    @property
    def etag(self) -> str | None: ...


def is_processed(conn: sqlite3.Connection, tenant: str, entry: RemoteFileId) -> bool:
    """Same name (href) with the same ETag, or with the same size when either side has no ETag."""
    rows = conn.execute(
        "SELECT size, etag FROM processed_files WHERE tenant = ? AND href = ?", (tenant, entry.href)
    )
    for size, etag in rows:
        if (etag and entry.etag and etag == entry.etag) or (
            (not etag or not entry.etag) and size == entry.size
        ):
            return True
    return False


def mark_processed(conn: sqlite3.Connection, tenant: str, job_id: int, files: Iterable[RemoteFileId]) -> None:
    """Record a job's files as processed; call inside the transaction that applies them."""
    conn.executemany(
        "INSERT INTO processed_files (tenant, href, size, etag, job_id, processed_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(tenant, f.href, f.size, f.etag, job_id, time.time()) for f in files],
    )


def mark_failed(conn: sqlite3.Connection, tenant: str, job_id: int, file: RemoteFileId, reason: str) -> None:
    """Record a file that cannot be read as processed-with-failure: later alerts skip this version of it
    (same ETag or size), so one poison file never wedges its flow; a changed file is tried again."""
    conn.execute(
        "INSERT INTO processed_files (tenant, href, size, etag, job_id, processed_at, failure)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (tenant, file.href, file.size, file.etag, job_id, time.time(), reason),
    )
