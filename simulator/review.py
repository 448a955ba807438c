"""Review: fold the staged feed rows into the shop, then check every product they touched.

Rows identical to what the shop holds change nothing, so a re-delivered file sends no product back to
review. Changed or new products go to PENDING/AUDITING in the same transaction that stores the rows
and marks the files processed; their outcome is decided here and applied by the publish step.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from collections.abc import Iterable, Iterator
from functools import partial

from simulator import shop
from simulator.job import JobContext
from simulator.rules.engine import check_group
from simulator.rules.issues import Issue, audit_failed_reasons, blocks_publication, product_warnings
from simulator.rules.profiles import get_profile
from simulator.rules.record import FeedRecord
from simulator.store import job_batches

# Products in one review before its checks go to worker processes. Below it, handing the rows over costs
# about what it saves: checks come in batches of 1,000 products, so fewer than two keep one worker busy, and
# 2,000 products checked in 0.28 s here against 0.34 s through the workers (4,000: 0.82 s against 0.75 s).
PARALLEL_AT = 4_000

SkuRow = tuple[int, str, str, str]  # line, stored row values (JSON), sku_id, file: one current SKU
Batch = list[tuple[str, list[SkuRow]]]  # products by item_group_id, each with its current SKUs
Outcome = tuple[str, str, str, str, str]  # item_group_id, target status, title, reasons, warnings (JSON)
Checked = tuple[list[Outcome], list[tuple[Issue, str]]]  # the outcomes, and each issue with its file


class FileChanges:
    """What each feed file did to each product: changed fields and SKU counts.

    Kept compact (a bitmask of field names and two counters per file and product), because a first
    sync of a million SKUs touches every product and this is the only per-product state held."""

    def __init__(self) -> None:
        self._bits: dict[str, int] = {}
        self._entries: dict[tuple[str, str], list[int]] = {}
        self._filled_masks: dict[str, int] = {}

    def _mask(self, fields: Iterable[str]) -> int:
        mask = 0
        for name in fields:
            mask |= self._bits.setdefault(name, 1 << len(self._bits))
        return mask

    def note(self, file: str, group: str, fields: Iterable[str], added: int = 0, changed: int = 0) -> None:
        entry = self._entries.setdefault((sys.intern(file), group), [0, 0, 0])
        entry[0] |= self._mask(fields)
        entry[1] += added
        entry[2] += changed

    def note_added(self, file: str, group: str, filled: str) -> None:
        """A new SKU whose non-empty fields are `filled` (names, one per line, as staged): rows mostly
        fill the same fields, so each distinct list is turned into a mask once."""
        mask = self._filled_masks.get(filled)
        if mask is None:
            mask = self._filled_masks[filled] = self._mask(filled.split("\n") if filled else ())
        entry = self._entries.setdefault((sys.intern(file), group), [0, 0, 0])
        entry[0] |= mask
        entry[1] += 1

    def history(self) -> Iterator[tuple[tuple[str, str], dict]]:
        names = sorted(self._bits)
        for key, (mask, added, changed) in self._entries.items():
            fields = [name for name in names if mask & self._bits[name]]
            yield key, {"fields": fields, "added_skus": added, "changed_skus": changed}


def _apply_batch(
    conn: sqlite3.Connection,
    ctx: JobContext,
    rows: list[sqlite3.Row],
    changes: FileChanges,
) -> dict[str, None]:
    """Upsert the new and changed SKUs of a batch of staged rows; returns the groups touched, in feed
    order: new products get their ids in that order, so the same feed gives the same ids every run."""
    tenant = ctx.tenant.id
    skus = list({row["sku_id"] for row in rows})
    stored = {
        r[0]: (r[1], r[2], r[3])
        for r in conn.execute(
            f"SELECT sku_id, item_group_id, row_values, deleted FROM skus WHERE tenant = ?"
            f" AND sku_id IN ({','.join('?' * len(skus))})",
            (tenant, *skus),
        )
    }
    touched: dict[str, None] = {}  # an ordered set: a set's order changes with the hash seed
    upserts = []
    now = time.time()
    for row in rows:
        sku, group, values = row["sku_id"], row["item_group_id"], row["row_values"]
        old = stored.get(sku)
        if old is not None and not old[2] and old[0] == group and old[1] == values:
            ctx.count("unchanged")
            continue
        if old is None or old[2]:
            changes.note_added(row["file"], group, row["filled"])
        else:
            new, before = json.loads(values), json.loads(old[1])
            fields = (k for k in new.keys() | before.keys() if new.get(k) != before.get(k))
            changes.note(row["file"], group, fields, changed=1)
            if old[0] != group:
                touched[old[0]] = None
                changes.note(row["file"], old[0], ["item_group_id"])
        stored[sku] = (group, values, 0)
        touched[group] = None
        upserts.append((tenant, sku, group, row["line"], row["file"], values, now))
    conn.executemany(
        "INSERT INTO skus (tenant, sku_id, item_group_id, line, file, row_values, deleted, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, 0, ?) ON CONFLICT (tenant, sku_id) DO UPDATE SET"
        " item_group_id = excluded.item_group_id, line = excluded.line, file = excluded.file,"
        " row_values = excluded.row_values, deleted = 0, updated_at = excluded.updated_at",
        upserts,
    )
    ctx.count("skus_changed", len(upserts))
    return touched


def _apply(ctx: JobContext) -> None:
    """Store changed rows, send their products (and any left PENDING by an interrupted job) to review."""
    changes = FileChanges()
    with ctx.store.transaction() as conn:
        for rows in job_batches(
            conn, "SELECT rowid, * FROM staged_rows WHERE job_id = ? AND rowid > ?", ctx.job_id
        ):
            touched = _apply_batch(conn, ctx, rows, changes)
            conn.executemany(
                "INSERT OR IGNORE INTO job_groups (job_id, item_group_id) VALUES (?, ?)",
                [(ctx.job_id, group) for group in touched],
            )
        conn.execute(
            "INSERT OR IGNORE INTO job_groups (job_id, item_group_id) SELECT ?, item_group_id"
            " FROM products WHERE tenant = ? AND status = ?",
            (ctx.job_id, ctx.tenant.id, shop.PENDING),
        )
        shop.write_history(conn, ctx.tenant.id, ctx.job_id, changes.history())
        for rows in job_batches(
            conn, "SELECT rowid, item_group_id FROM job_groups WHERE job_id = ? AND rowid > ?", ctx.job_id
        ):
            pending = [shop.Change(row["item_group_id"], shop.PENDING) for row in rows]
            shop.transition(conn, ctx.tenant.id, ctx.job_id, pending)
        shop.mark_processed(conn, ctx.tenant.id, ctx.job_id, ctx.files)


def check_batch(region: str, batch: Batch) -> Checked:
    """Each product's review over all its current SKUs: the status publish moves it to (DELETED when no
    SKU is left), and the issues found, in order, each with the file its SKU came from. Pure: it runs in a
    worker process for a large review."""
    profile = get_profile(region)
    outcomes: list[Outcome] = []
    found: list[tuple[Issue, str]] = []
    for group, rows in batch:
        if not rows:
            outcomes.append((group, shop.DELETED, "", "[]", "[]"))
            continue
        records = [FeedRecord(line, json.loads(values)) for line, values, _, _ in rows]
        files = {sku: file for _, _, sku, file in rows}
        issues = check_group(records, profile)
        found += [(issue, files.get(issue.sku_id or "", "")) for issue in issues]
        failed = blocks_publication(issues)
        target, reasons = (shop.FAILED, audit_failed_reasons(issues)) if failed else (shop.ACTIVATE, [])
        warnings = product_warnings(issues)
        outcomes.append((group, target, _title(records), json.dumps(reasons), json.dumps(warnings)))
    return outcomes, found


def _title(records: list[FeedRecord]) -> str:
    default = next((r for r in records if r.values.get("is_default_variant", "").lower() == "true"), None)
    return (default or records[0]).values.get("title", "")


def _batches(conn: sqlite3.Connection, ctx: JobContext) -> Iterator[Batch]:
    """The job's touched products, a batch at a time, each with its live SKUs in sku_id order (all of them,
    not only the changed ones: a product is reviewed whole); one SKU query per batch, not one per product.
    Plain tuples, not rows by name: they go to a worker process as they are."""
    for rows in job_batches(
        conn, "SELECT rowid, item_group_id FROM job_groups WHERE job_id = ? AND rowid > ?", ctx.job_id
    ):
        groups = [row["item_group_id"] for row in rows]
        found: dict[str, list[SkuRow]] = {group: [] for group in groups}
        skus = conn.cursor()
        skus.row_factory = None
        skus.execute(
            f"SELECT item_group_id, line, row_values, sku_id, file FROM skus INDEXED BY skus_group_sku"
            f" WHERE tenant = ? AND item_group_id IN ({','.join('?' * len(groups))}) AND deleted = 0"
            f" ORDER BY item_group_id, sku_id",
            (ctx.tenant.id, *groups),
        )
        for row in skus:
            found[row[0]].append(row[1:])
        yield list(found.items())


def review(ctx: JobContext) -> None:
    """Apply the staged rows, then check each touched product and record its outcome for publish.

    The checks of a large review run in worker processes (`workers.py`) while this thread reads the next
    products and writes the outcomes; results come back in order, so the job's report is the same."""
    _apply(ctx)
    for counter in ("unchanged", "skus_changed", "products", "published", "failed"):
        ctx.counts.setdefault(counter, 0)
    region = get_profile(ctx.tenant.region).region
    conn = ctx.store.connection()
    products = conn.execute("SELECT COUNT(*) FROM job_groups WHERE job_id = ?", (ctx.job_id,)).fetchone()[0]
    check = partial(check_batch, region)
    pool = ctx.workers if products >= PARALLEL_AT else None
    for outcomes, issues in (pool.map if pool else map)(check, _batches(conn, ctx)):
        for issue, file in issues:
            ctx.add_issue(issue, file)
        with ctx.store.transaction() as write:
            write.executemany(
                "INSERT INTO job_outcomes (job_id, item_group_id, target, title, reasons, warnings)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(ctx.job_id, *outcome) for outcome in outcomes],
            )
        ctx.count("products", len(outcomes))
    ctx.save()
