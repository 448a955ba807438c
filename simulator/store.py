"""SQLite state of the simulated shop: tenants, shops, tokens, processed files, jobs, products, SKUs, stock.

The backend state lives here, apart from HTTP handling (moto's models/responses split), so the Flask
handlers, the job steps and the tests all read the same tables. One connection per thread, WAL mode,
so the API answers while a job writes. Step modules run their own batched SQL on `connection()`;
this module owns the schema, the connections, the job records and the batching every step shares.

Two files: `shop.sqlite3` (products, SKUs, stock, processed files) and `jobs.sqlite3`
(tenants, their Partner API shops, auth codes and tokens, job records). A job applies a million-row
feed in one shop transaction; with the job records in their own file, an alert that arrives meanwhile
is still recorded and answered at once.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from simulator.tenant import Tenant

_JOBS_SCHEMA = """
CREATE TABLE IF NOT EXISTS tenants (
    id TEXT PRIMARY KEY, webdav_base TEXT NOT NULL, user TEXT NOT NULL, password TEXT NOT NULL,
    site_id TEXT NOT NULL DEFAULT '', region TEXT NOT NULL DEFAULT 'US', registered_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, feed_type TEXT NOT NULL, update_type TEXT NOT NULL,
    url TEXT NOT NULL, state TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL,
    steps TEXT NOT NULL DEFAULT '[]', counts TEXT NOT NULL DEFAULT '{}', issues TEXT NOT NULL DEFAULT '[]',
    report TEXT NOT NULL DEFAULT '{}', files TEXT NOT NULL DEFAULT '[]', error TEXT
);
CREATE TABLE IF NOT EXISTS shops (
    tenant TEXT PRIMARY KEY, shop_id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, region TEXT NOT NULL,
    seller_type TEXT NOT NULL, cipher TEXT NOT NULL UNIQUE, code TEXT NOT NULL,
    connected INTEGER NOT NULL DEFAULT 1, created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS auth_codes (
    digest TEXT PRIMARY KEY, tenant TEXT NOT NULL, app_key TEXT NOT NULL, expires_at REAL NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS grants (
    open_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, app_key TEXT NOT NULL,
    refresh_digest TEXT NOT NULL UNIQUE, refresh_expires_at REAL NOT NULL, created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS access_tokens (
    digest TEXT PRIMARY KEY, open_id TEXT NOT NULL, expires_at REAL NOT NULL
);
"""
_SHOP_SCHEMA = """
CREATE TABLE IF NOT EXISTS processed_files (
    tenant TEXT NOT NULL, href TEXT NOT NULL, size INTEGER, etag TEXT, job_id INTEGER NOT NULL,
    processed_at REAL NOT NULL, failure TEXT
);
CREATE INDEX IF NOT EXISTS processed_files_key ON processed_files (tenant, href);
CREATE TABLE IF NOT EXISTS products (
    id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, item_group_id TEXT NOT NULL, title TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL, audit_status TEXT NOT NULL, audit_failed_reasons TEXT NOT NULL DEFAULT '[]',
    warnings TEXT NOT NULL DEFAULT '[]', created_at REAL NOT NULL, updated_at REAL NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS products_group ON products (tenant, item_group_id);
CREATE INDEX IF NOT EXISTS products_status ON products (status, id);
-- the product API pages one shop's products in id order (an index ends with the rowid, which is id),
-- by status or not; searches by time range over created_at or updated_at
CREATE INDEX IF NOT EXISTS products_tenant ON products (tenant);
CREATE INDEX IF NOT EXISTS products_tenant_status ON products (tenant, status);
CREATE INDEX IF NOT EXISTS products_tenant_created ON products (tenant, created_at);
CREATE INDEX IF NOT EXISTS products_tenant_updated ON products (tenant, updated_at);
CREATE TABLE IF NOT EXISTS skus (
    id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, sku_id TEXT NOT NULL, item_group_id TEXT NOT NULL,
    line INTEGER NOT NULL, file TEXT NOT NULL, row_values TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS skus_sku ON skus (tenant, sku_id);
CREATE INDEX IF NOT EXISTS skus_group_sku ON skus (tenant, item_group_id, sku_id);
CREATE TABLE IF NOT EXISTS stock (
    tenant TEXT NOT NULL, sku_id TEXT NOT NULL, warehouse_id TEXT NOT NULL, list_id TEXT NOT NULL,
    quantity INTEGER NOT NULL, handling TEXT NOT NULL DEFAULT '', preorder_allocation INTEGER,
    in_stock_date TEXT, updated_at REAL NOT NULL, PRIMARY KEY (tenant, sku_id, warehouse_id)
);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, item_group_id TEXT NOT NULL, job_id INTEGER NOT NULL,
    file TEXT NOT NULL, at REAL NOT NULL, change TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history_group ON history (tenant, item_group_id);
CREATE TABLE IF NOT EXISTS status_history (
    id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, item_group_id TEXT NOT NULL, status TEXT NOT NULL,
    audit_status TEXT NOT NULL, job_id INTEGER NOT NULL, at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS status_history_group ON status_history (tenant, item_group_id);
-- webhooks: each shop's address per event type, and the outbox the shop's changes queue events in,
-- in their own transaction (webhooks.py); the sender deletes an event once it is delivered
CREATE TABLE IF NOT EXISTS webhooks (
    tenant TEXT NOT NULL, event_type TEXT NOT NULL, address TEXT NOT NULL, created_at REAL NOT NULL,
    updated_at REAL NOT NULL, PRIMARY KEY (tenant, event_type)
);
CREATE TABLE IF NOT EXISTS webhook_outbox (
    id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, address TEXT NOT NULL, type INTEGER NOT NULL,
    notification_id TEXT NOT NULL, timestamp INTEGER NOT NULL, data TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, due_at REAL NOT NULL, state TEXT NOT NULL DEFAULT 'queued'
);
CREATE INDEX IF NOT EXISTS webhook_outbox_due ON webhook_outbox (state, due_at);
-- review modes and the outcomes a delayed or manual review holds back (moderation.py)
CREATE TABLE IF NOT EXISTS review_modes (
    tenant TEXT PRIMARY KEY, mode TEXT NOT NULL, delay_s REAL NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS held_reviews (
    tenant TEXT NOT NULL, item_group_id TEXT NOT NULL, target TEXT NOT NULL, reasons TEXT NOT NULL,
    warnings TEXT NOT NULL, job_id INTEGER NOT NULL, held_at REAL NOT NULL, due_at REAL,
    PRIMARY KEY (tenant, item_group_id)
);
CREATE INDEX IF NOT EXISTS held_reviews_due ON held_reviews (due_at);
"""
# A job's scratch rows live in TEMP tables of the worker thread's connection (the steps of a job all run
# on one thread): they never go through the WAL, so a million staged rows cost no checkpoint and no
# delete in the shop file, and a stopped process leaves none behind.
_SCRATCH_SCHEMA = """
CREATE TEMP TABLE IF NOT EXISTS staged_rows (
    job_id INTEGER NOT NULL, seq INTEGER NOT NULL, file TEXT NOT NULL, line INTEGER NOT NULL,
    sku_id TEXT NOT NULL, item_group_id TEXT NOT NULL, row_values TEXT NOT NULL,
    filled TEXT NOT NULL DEFAULT '', PRIMARY KEY (job_id, seq)
);
CREATE TEMP TABLE IF NOT EXISTS staged_stock (
    job_id INTEGER NOT NULL, seq INTEGER NOT NULL, file TEXT NOT NULL, line INTEGER NOT NULL,
    list_id TEXT NOT NULL, sku_id TEXT NOT NULL, quantity INTEGER NOT NULL, perpetual INTEGER NOT NULL,
    handling TEXT NOT NULL, preorder_allocation INTEGER, in_stock_date TEXT, PRIMARY KEY (job_id, seq)
);
CREATE INDEX IF NOT EXISTS temp.staged_stock_sku ON staged_stock (job_id, sku_id);
CREATE TEMP TABLE IF NOT EXISTS staged_rejects (job_id INTEGER NOT NULL, sku_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS temp.staged_rejects_sku ON staged_rejects (job_id, sku_id);
CREATE TEMP TABLE IF NOT EXISTS job_groups (
    job_id INTEGER NOT NULL, item_group_id TEXT NOT NULL, PRIMARY KEY (job_id, item_group_id)
);
CREATE TEMP TABLE IF NOT EXISTS job_outcomes (
    job_id INTEGER NOT NULL, item_group_id TEXT NOT NULL, target TEXT NOT NULL, title TEXT NOT NULL,
    reasons TEXT NOT NULL, warnings TEXT NOT NULL, PRIMARY KEY (job_id, item_group_id)
);
-- (job_id) indexes hold the rowid too: job_batches pages through a job's rows in rowid order with them.
CREATE INDEX IF NOT EXISTS temp.staged_rows_job ON staged_rows (job_id);
CREATE INDEX IF NOT EXISTS temp.staged_rows_sku ON staged_rows (job_id, sku_id);
CREATE INDEX IF NOT EXISTS temp.job_groups_job ON job_groups (job_id);
CREATE INDEX IF NOT EXISTS temp.job_outcomes_job ON job_outcomes (job_id);
"""

JOB_SCRATCH_TABLES = ("staged_rows", "staged_stock", "staged_rejects", "job_groups", "job_outcomes")
BATCH = 1000


class Store:
    """The database files in `directory`; safe to share between threads."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        for name, schema in (("shop", _SHOP_SCHEMA), ("jobs", _JOBS_SCHEMA)):
            conn = self._connect(name)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(schema)
        with self.transaction() as conn:  # data dirs from before the scratch moved to TEMP tables
            for table in JOB_SCRATCH_TABLES:
                conn.execute(f"DROP TABLE IF EXISTS main.{table}")
            columns = {row[1] for row in conn.execute("PRAGMA table_info(processed_files)")}
            if "failure" not in columns:  # data dirs from before poison files were recorded
                conn.execute("ALTER TABLE processed_files ADD COLUMN failure TEXT")

    def _connect(self, name: str) -> sqlite3.Connection:
        conn = getattr(self._local, name, None)
        if conn is None:
            conn = sqlite3.connect(
                self.directory / f"{name}.sqlite3", isolation_level=None, timeout=60, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=60000")
            if name == "shop":
                conn.executescript(_SCRATCH_SCHEMA)
            setattr(self._local, name, conn)
            with self._lock:
                self._all.append(conn)
        return conn

    def connection(self) -> sqlite3.Connection:
        """This thread's shop connection (autocommit; use `transaction()` to group writes)."""
        return self._connect("shop")

    def registry(self) -> sqlite3.Connection:
        """This thread's connection to `jobs.sqlite3`: tenants, their shops and tokens, job records."""
        return self._connect("jobs")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: everything inside lands together or not at all."""
        with _immediate(self.connection()) as conn:
            yield conn

    @contextmanager
    def registry_transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction on the registry, so a tenant and its shop are registered together."""
        with _immediate(self.registry()) as conn:
            yield conn

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    # Tenants --------------------------------------------------------------------------------------
    def put_tenant(self, tenant: Tenant) -> None:
        self.registry().execute(
            "INSERT INTO tenants (id, webdav_base, user, password, site_id, region, registered_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET webdav_base = excluded.webdav_base,"
            " user = excluded.user, password = excluded.password, site_id = excluded.site_id,"
            " region = excluded.region, registered_at = excluded.registered_at",
            (
                tenant.id,
                tenant.webdav_base,
                tenant.user,
                tenant.password,
                tenant.site_id,
                tenant.region,
                time.time(),
            ),
        )

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        row = (
            self.registry()
            .execute(
                "SELECT id, webdav_base, user, password, site_id, region FROM tenants WHERE id = ?",
                (tenant_id,),
            )
            .fetchone()
        )
        return Tenant(*row) if row else None

    # Jobs -----------------------------------------------------------------------------------------
    def create_job(self, tenant: str, feed_type: str, update_type: str, url: str) -> int:
        now = time.time()
        cur = self.registry().execute(
            "INSERT INTO jobs (tenant, feed_type, update_type, url, state, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, 'queued', ?, ?)",
            (tenant, feed_type, update_type, url, now, now),
        )
        return int(cur.lastrowid or 0)

    def save_job(self, job_id: int, **fields: Any) -> None:
        """Write the given job columns; lists and dicts are stored as JSON."""
        names = sorted(fields)
        values = [json.dumps(fields[n]) if isinstance(fields[n], list | dict) else fields[n] for n in names]
        assignments = ", ".join(f"{n} = ?" for n in names)
        self.registry().execute(
            f"UPDATE jobs SET {assignments}, updated_at = ? WHERE id = ?", (*values, time.time(), job_id)
        )

    def get_job(self, job_id: int) -> dict[str, Any] | None:
        row = self.registry().execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job_dict(row) if row else None

    def list_jobs(self, limit: int, after: int = 0, state: str | None = None) -> list[dict[str, Any]]:
        """At most `limit` jobs with an id above `after`, oldest first; only jobs in `state` when given."""
        where, args = ("id > ? AND state = ?", (after, state)) if state else ("id > ?", (after,))
        sql = f"SELECT * FROM jobs WHERE {where} ORDER BY id LIMIT ?"
        rows = self.registry().execute(sql, (*args, limit))
        return [_job_dict(row) for row in rows]

    def unfinished_jobs(self) -> list[int]:
        rows = self.registry().execute("SELECT id FROM jobs WHERE state IN ('queued', 'running') ORDER BY id")
        return [row[0] for row in rows]

    def clear_job_scratch(self, job_id: int) -> None:
        """Drop the rows a job staged on this thread; they only live while the job runs. When they are all
        the table holds (always, in `serve`), the table is emptied whole: SQLite then frees its pages
        without visiting each row and index entry (100k staged rows: 0.31 -> 0.11 s)."""
        conn = self.connection()
        for table in JOB_SCRATCH_TABLES:
            lowest, highest = conn.execute(  # two subqueries: SQLite reads MIN or MAX alone off the index
                f"SELECT (SELECT MIN(job_id) FROM temp.{table}), (SELECT MAX(job_id) FROM temp.{table})"
            ).fetchone()
            only_this_job = lowest == highest == job_id
            conn.execute(f"DELETE FROM temp.{table}" + ("" if only_this_job else " WHERE job_id = ?"),
                         () if only_this_job else (job_id,))


@contextmanager
def _immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def job_batches(
    conn: sqlite3.Connection | sqlite3.Cursor, sql: str, job_id: int, after: int = 0
) -> Iterator[list[Any]]:
    """Keyset-paged rows of a job's scratch table after rowid `after`, so no step holds a whole feed in
    memory.

    `sql` selects rowid first and ends with `WHERE job_id = ? AND rowid > ?`."""
    while rows := conn.execute(f"{sql} ORDER BY rowid LIMIT {BATCH}", (job_id, after)).fetchall():
        after = rows[-1][0]
        yield rows


def stage(
    conn: sqlite3.Connection, table: str, columns: tuple[str, ...], job_id: int, file: str,
    rows: Iterable[tuple[Any, ...]],
) -> int:
    """Append one file's rows to a job's scratch `table` in batches, so a million-row file streams.

    Each row gets the job, the next `seq` after the job's earlier files, and the file's name; returns how
    many rows were staged."""
    last_seq = f"SELECT COALESCE(MAX(seq), 0) FROM {table} WHERE job_id = ?"
    start = conn.execute(last_seq, (job_id,)).fetchone()[0]
    sql = (
        f"INSERT INTO {table} (job_id, seq, file, {', '.join(columns)})"
        f" VALUES ({', '.join('?' * (3 + len(columns)))})"
    )
    total, batch = 0, []
    for seq, row in enumerate(rows, start + 1):
        batch.append((job_id, seq, file, *row))
        if len(batch) >= BATCH:
            conn.executemany(sql, batch)
            total += len(batch)
            batch.clear()
    conn.executemany(sql, batch)
    return total + len(batch)


def _job_dict(row: sqlite3.Row) -> dict[str, Any]:
    """A job as the API shows it: times in whole epoch seconds, like TikTok's `create_time`."""
    job = dict(row)
    for key in ("steps", "counts", "issues", "report", "files"):
        job[key] = json.loads(job[key])
    job["id"] = str(job["id"])
    job["created_at"], job["updated_at"] = int(job["created_at"]), int(job["updated_at"])
    return job
