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
from simulator.workers import InOrder

# Products in one review before its checks go to worker processes. Below it, handing the rows over costs
# about what it saves: checks come in batches of 1,000 products, so fewer than two keep one worker busy, and
# 2,000 products checked in 0.28 s here against 0.34 s through the workers (4,000: 0.82 s against 0.75 s).
PARALLEL_AT = 4_000

StagedRow = tuple[int, str, str, str, str, str, int]  # rowid, sku_id, group, values, file, filled, line
SkuRow = tuple[int, str, str, str]  # line, stored row values (JSON), sku_id, file: one current SKU
Batch = list[tuple[str, list[SkuRow]]]  # products by item_group_id, each with its current SKUs
Outcome = tuple[str, str, str, str, str]  # item_group_id, target status, title, reasons, warnings (JSON)
Checked = tuple[list[Outcome], list[tuple[Issue, str]]]  # the outcomes, and each issue with its file
# A stored row's values: the upload wrote them as one JSON object and nothing after it, so the decoder's
# own method does without json.loads' two calls around it and its search for trailing text (6 against 8 µs)
_decode = json.JSONDecoder().raw_decode


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
    rows: list[StagedRow],
    changes: FileChanges,
) -> dict[str, None]:
    """Upsert the new and changed SKUs of a batch of staged rows; returns the groups touched, in feed
    order: new products get their ids in that order, so the same feed gives the same ids every run."""
    tenant = ctx.tenant.id
    skus = list({row[1] for row in rows})
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
    for _, sku, group, values, file, filled, line in rows:
        old = stored.get(sku)
        if old is not None and not old[2] and old[0] == group and old[1] == values:
            ctx.count("unchanged")
            continue
        if old is None or old[2]:
            changes.note_added(file, group, filled)
        else:
            new, before = json.loads(values), json.loads(old[1])
            fields = (k for k in new.keys() | before.keys() if new.get(k) != before.get(k))
            changes.note(file, group, fields, changed=1)
            if old[0] != group:
                touched[old[0]] = None
                changes.note(file, old[0], ["item_group_id"])
        stored[sku] = (group, values, 0)
        touched[group] = None
        upserts.append((tenant, sku, group, line, file, values, now))
    conn.executemany(
        "INSERT INTO skus (tenant, sku_id, item_group_id, line, file, row_values, deleted, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, 0, ?) ON CONFLICT (tenant, sku_id) DO UPDATE SET"
        " item_group_id = excluded.item_group_id, line = excluded.line, file = excluded.file,"
        " row_values = excluded.row_values, deleted = 0, updated_at = excluded.updated_at",
        upserts,
    )
    ctx.count("skus_changed", len(upserts))
    return touched


def _store_rows(conn: sqlite3.Connection, ctx: JobContext) -> None:
    """Store the changed rows and write each product's history; collect the products to review (those
    the rows touched, and any left PENDING by an interrupted job) in job_groups, in feed order."""
    changes = FileChanges()
    staged = conn.cursor()
    staged.row_factory = None  # plain tuples: a row by name costs a search of its column names
    select = ("SELECT rowid, sku_id, item_group_id, row_values, file, filled, line FROM staged_rows"
              " WHERE job_id = ? AND rowid > ?")
    for rows in job_batches(staged, select, ctx.job_id):
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
        records = [FeedRecord(line, _decode(values)[0]) for line, values, _, _ in rows]
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


def _skus(conn: sqlite3.Connection, ctx: JobContext, groups: list[str]) -> Batch:
    """Products with their live SKUs in sku_id order (all of them, not only the changed ones: a product is
    reviewed whole); one SKU query per batch, not one per product. Plain tuples, not rows by name: they
    go to a worker process as they are."""
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
    return list(found.items())


def _groups(conn: sqlite3.Connection, ctx: JobContext, after: int = 0) -> Iterator[tuple[int, list[str]]]:
    """The job's products to review after job_groups rowid `after`, a batch at a time, each batch with its
    last rowid."""
    for rows in job_batches(
        conn, "SELECT rowid, item_group_id FROM job_groups WHERE job_id = ? AND rowid > ?", ctx.job_id, after
    ):
        yield rows[-1][0], [row["item_group_id"] for row in rows]


def _record(ctx: JobContext, checked: Checked) -> None:
    """Keep one batch's issues on the job and its outcomes for publish. A savepoint: its own transaction,
    or part of the apply's while that is still open (job_outcomes is scratch, so the shop is not locked)."""
    outcomes, issues = checked
    for issue, file in issues:
        ctx.add_issue(issue, file)
    conn = ctx.store.connection()
    conn.execute("SAVEPOINT outcomes")
    try:
        conn.executemany(
            "INSERT INTO job_outcomes (job_id, item_group_id, target, title, reasons, warnings)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(ctx.job_id, *outcome) for outcome in outcomes],
        )
    except BaseException:
        conn.execute("ROLLBACK TO outcomes")
        conn.execute("RELEASE outcomes")
        raise
    conn.execute("RELEASE outcomes")
    ctx.count("products", len(outcomes))


def review(ctx: JobContext) -> None:
    """Apply the staged rows, then check each touched product and record its outcome for publish.

    One transaction stores the changed rows, moves the touched products to PENDING a batch at a time and
    marks the files processed, so a crash leaves the shop as it was. The checks of a large review run in
    worker processes (`workers.py`), started before the rows are stored: each batch moved to PENDING is
    handed to them at once, while this thread moves the next, for as long as they have room (this thread
    never waits for them there, so the transaction lasts no longer than without them); the batches they had
    no room for are read and handed over after the commit. Results come back in order, so the job's report
    is the same."""
    check = partial(check_batch, get_profile(ctx.tenant.region).region)
    if ctx.workers is not None and ctx.counts.get("records", 0) >= PARALLEL_AT:
        ctx.workers.warm(check, [])
    handed: InOrder[Batch, Checked] | None = None
    sent = 0  # the job_groups rowid up to which products went to the workers inside the transaction
    with ctx.store.transaction() as conn:
        _store_rows(conn, ctx)
        for counter in ("unchanged", "skus_changed", "products", "published", "failed"):
            ctx.counts.setdefault(counter, 0)
        products = conn.execute("SELECT COUNT(*) FROM job_groups WHERE job_id = ?", (ctx.job_id,))
        if ctx.workers is not None and products.fetchone()[0] >= PARALLEL_AT:
            handed = ctx.workers.in_order(check)
        sending = handed is not None  # until the first batch they have no room for: results stay in order
        for last, groups in _groups(conn, ctx):
            shop.transition(conn, ctx.tenant.id, ctx.job_id, [shop.Change(g, shop.PENDING) for g in groups])
            if handed is not None and sending and (sending := _has_room(ctx, handed)):
                handed.put(_skus(conn, ctx, groups))
                sent = last
        shop.mark_processed(conn, ctx.tenant.id, ctx.job_id, ctx.files)
    for _, groups in _groups(conn, ctx, sent):
        if handed is None:
            _record(ctx, check(_skus(conn, ctx, groups)))
            continue
        while handed.full():
            _record(ctx, handed.take())
        handed.put(_skus(conn, ctx, groups))
    while handed:
        _record(ctx, handed.take())
    ctx.save()


def _has_room(ctx: JobContext, handed: InOrder[Batch, Checked]) -> bool:
    """Whether the workers have room for another batch, once the results they have ready are recorded."""
    while handed.ready():
        _record(ctx, handed.take())
    return not handed.full()
