"""What TikTok was last told, per site: the basis of delta and delete feeds (SQLite in the state dir).

A run stages its view of the site next to the committed snapshot and only replaces the snapshot
once TikTok acknowledged the alerts. An unacknowledged run therefore changes nothing here, and the
next run can finish it and still compute its own delta against what TikTok really has.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sku (
    site TEXT NOT NULL, sku_id TEXT NOT NULL, item_group_id TEXT NOT NULL, price TEXT NOT NULL,
    row_hash TEXT NOT NULL, fingerprint BLOB, flags INTEGER, PRIMARY KEY (site, sku_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS staged (
    site TEXT NOT NULL, run_id TEXT NOT NULL, sku_id TEXT NOT NULL, item_group_id TEXT NOT NULL,
    price TEXT NOT NULL, row_hash TEXT NOT NULL, fingerprint BLOB, flags INTEGER,
    PRIMARY KEY (site, run_id, sku_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS staged_group ON staged (site, run_id, item_group_id);
CREATE TABLE IF NOT EXISTS site_state (
    site TEXT PRIMARY KEY, last_stamp TEXT, last_committed_run TEXT);
CREATE TABLE IF NOT EXISTS inventory_state (site TEXT PRIMARY KEY, digest TEXT NOT NULL) WITHOUT ROWID;
"""
# Columns a snapshot written before them lacks, added on open. A NULL fingerprint never matches, so the
# first delta after the upgrade formats every row, as before (connector/rows.py).
_ADDED = (("fingerprint", "BLOB"), ("flags", "INTEGER"))
# What a run stages of a SKU and the snapshot keeps, in this order (`SkuState`).
_COLUMNS = "sku_id, item_group_id, price, row_hash, fingerprint, flags"

# (sku_id, item_group_id, price, row_hash, fingerprint, flags): see connector.rows.RowState
SkuState = tuple[str, str, str, str, bytes, int]


class Snapshot:
    """One site's committed snapshot plus the staging area of its runs."""

    def __init__(self, state_dir: Path, site_id: str) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.site = site_id
        self.path = state_dir / "snapshot.sqlite"
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")  # a delta's row join reads `sku` while a run stages
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        for table in ("sku", "staged"):
            present = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            for column, kind in _ADDED:
                if column not in present:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        self._db.execute("INSERT OR IGNORE INTO site_state (site) VALUES (?)", (site_id,))

    def close(self) -> None:
        self._db.close()

    def _state(self, column: str) -> str | None:
        row = self._db.execute(f"SELECT {column} FROM site_state WHERE site = ?", (self.site,)).fetchone()
        return row[0]

    @property
    def exists(self) -> bool:
        """True once a product run for this site was acknowledged by TikTok."""
        return self._state("last_committed_run") is not None

    @property
    def last_committed_run(self) -> str | None:
        return self._state("last_committed_run")

    @property
    def last_stamp(self) -> str | None:
        """The file-name timestamp of the last staged product run (feed names must never repeat)."""
        return self._state("last_stamp")

    @property
    def inventory_digest(self) -> str | None:
        """SHA-1 of the last inventory export TikTok acknowledged: a delta sync resends only on change."""
        row = self._db.execute("SELECT digest FROM inventory_state WHERE site = ?", (self.site,)).fetchone()
        return row[0] if row else None

    def commit_inventory(self, digest: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO inventory_state VALUES (?, ?)", (self.site, digest))

    def previous(self, sku_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """SKU -> (row_hash, price) TikTok was last sent, for the SKUs of `sku_ids` it knows.

        One query per batch of a run's SKUs (at most 30,000), instead of one per SKU.
        """
        marks = ",".join("?" * len(sku_ids))
        cursor = self._db.execute(
            f"SELECT sku_id, row_hash, price FROM sku WHERE site = ? AND sku_id IN ({marks})",
            (self.site, *sku_ids))
        return {sku_id: (row_hash, price) for sku_id, row_hash, price in cursor}

    def begin_staging(self, run_id: str, carry_over: bool) -> None:
        """Open a run's staging; `carry_over` starts it from the snapshot (SFCC delta imports)."""
        self._db.execute("BEGIN IMMEDIATE")
        self._db.execute("DELETE FROM staged WHERE site = ? AND run_id = ?", (self.site, run_id))
        if carry_over:
            self._db.execute(
                f"INSERT INTO staged (site, run_id, {_COLUMNS}) SELECT site, ?, {_COLUMNS} FROM sku "
                "WHERE site = ?", (run_id, self.site))

    def stage(self, run_id: str, rows: Iterable[SkuState]) -> None:
        """Add or replace SKUs of the run (batched by the caller)."""
        self._db.executemany(
            f"INSERT OR REPLACE INTO staged (site, run_id, {_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ((self.site, run_id, *row) for row in rows))

    def unstage(self, run_id: str, product_ids: Iterable[str]) -> None:
        """Drop SKUs deleted by ID; deleting a master drops every SKU of its item group."""
        self._db.executemany(
            "DELETE FROM staged WHERE site = ? AND run_id = ? AND (sku_id = ? OR item_group_id = ?)",
            ((self.site, run_id, product_id, product_id) for product_id in product_ids))

    def finish_staging(self, stamp: str) -> None:
        """Make the staging durable and remember the run's file-name timestamp."""
        self._db.execute("UPDATE site_state SET last_stamp = ? WHERE site = ?", (stamp, self.site))
        self._db.execute("COMMIT")

    def abort_staging(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def staged_prices(self, run_id: str) -> Iterator[tuple[str, str]]:
        """(sku_id, price) of the run, sorted by SKU ID, for the tracker."""
        return self._db.execute("SELECT sku_id, price FROM staged WHERE site = ? AND run_id = ? "
                                "ORDER BY sku_id", (self.site, run_id))

    def vanished(self, run_id: str) -> Iterator[str]:
        """SKU IDs in the snapshot that the run no longer has, sorted: the delete feed."""
        cursor = self._db.execute(
            "SELECT sku_id FROM sku WHERE site = ? EXCEPT "
            "SELECT sku_id FROM staged WHERE site = ? AND run_id = ? ORDER BY sku_id",
            (self.site, self.site, run_id))
        return (sku_id for (sku_id,) in cursor)

    def commit_run(self, run_id: str) -> int:
        """Replace the snapshot by the run's staging, in one transaction; returns the SKU count."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.execute("DELETE FROM sku WHERE site = ?", (self.site,))
            self._db.execute(
                f"INSERT INTO sku (site, {_COLUMNS}) SELECT site, {_COLUMNS} FROM staged "
                "WHERE site = ? AND run_id = ?", (self.site, run_id))
            self._db.execute("DELETE FROM staged WHERE site = ? AND run_id = ?", (self.site, run_id))
            self._db.execute("UPDATE site_state SET last_committed_run = ? WHERE site = ?",
                             (run_id, self.site))
            count = self._db.execute("SELECT COUNT(*) FROM sku WHERE site = ?", (self.site,)).fetchone()[0]
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return count

    def discard_runs_except(self, keep: Iterable[str]) -> None:
        """Forget staging left by runs that never became pending (crashed before their manifest)."""
        keep_ids = set(keep)
        stale = [run_id for (run_id,) in self._db.execute(
            "SELECT DISTINCT run_id FROM staged WHERE site = ?", (self.site,)) if run_id not in keep_ids]
        for run_id in stale:
            self._db.execute("DELETE FROM staged WHERE site = ? AND run_id = ?", (self.site, run_id))
