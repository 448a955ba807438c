"""Inventory alert: upload, verify (accuracy and completeness), integrate into the listings.

Sellers lose money on oversold or wrongly zeroed stock, so nothing is applied until every file of the
job has been read to its end (a truncated file only shows at its last byte), and then all of it lands
in ONE transaction. SKUs missing from the file keep their stock. Each inventory list is a TikTok
warehouse: the warehouse id is the SFCC `list-id` itself, so both sides name it the same way.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from simulator import webhooks
from simulator.inventoryfile import InventoryFileError, InventoryRecord, read_inventory
from simulator.job import JobContext, PickedFile
from simulator.rules.issues import Issue, Tally, make_issue
from simulator.rules.profiles import get_profile
from simulator.shop import mark_processed
from simulator.store import stage

_STAGED = (
    "line", "list_id", "sku_id", "quantity", "perpetual", "handling", "preorder_allocation", "in_stock_date"
)
_COUNTERS = ("read", "applied", "unknown", "duplicate", "capped", "missing", "errors")


def _report_issue(ctx: JobContext, issue: Issue, file: str) -> None:
    """Count a reader finding in the report, and keep it on the job."""
    ctx.add_issue(issue, file)
    if issue.code == "INVENTORY_DUPLICATE_RECORD":
        _note(ctx, "duplicate", issue.sku_id)
    elif issue.code == "INVENTORY_QUANTITY_CAPPED":
        _note(ctx, "capped", issue.sku_id)
    elif issue.severity == "error":
        _note(ctx, "errors", f"{issue.sku_id}: {issue.message} ({issue.value})")
    if issue.severity == "error":  # the reader skipped this record: it was read, not staged
        ctx.report["read"] += 1
        if issue.sku_id:  # the SKU had a record, a bad one: it is not "missing" from the file
            ctx.store.connection().execute(
                "INSERT INTO staged_rejects (job_id, sku_id) VALUES (?, ?)", (ctx.job_id, issue.sku_id)
            )


def _note(ctx: JobContext, counter: str, example: str | None) -> None:
    """Count a finding in the report's own counters, keeping a few examples of it."""
    Tally(ctx.report, ctx.report["examples"]).add(counter, example)


def _stage_file(ctx: JobContext, picked: PickedFile, records: Iterator[InventoryRecord]) -> None:
    with ctx.store.transaction() as conn:
        rows = (
            (r.line, r.list_id, r.product_id, r.quantity, int(r.perpetual), r.handling or "",
             r.preorder_allocation, r.in_stock_date)
            for r in records
        )  # fmt: skip
        staged = stage(conn, "staged_stock", _STAGED, ctx.job_id, picked.name, rows)
        ctx.report["read"] += staged  # after staging: the reader's callbacks count skipped records meanwhile


def upload(ctx: JobContext) -> None:
    """Read every file to its end into staging; a file that fails as a whole is rejected (recorded
    processed-with-failure, nothing of it applied) and the others go on."""
    ctx.report.update({name: 0 for name in _COUNTERS}, examples={})
    profile = get_profile(ctx.tenant.region)
    for picked in list(ctx.files):
        records = read_inventory(
            picked.path, profile, lambda issue, name=picked.name: _report_issue(ctx, issue, name)
        )
        try:
            _stage_file(ctx, picked, records)
        except InventoryFileError as error:  # none of its records stay staged: the transaction rolled back
            ctx.reject(picked, picked.name, error.line, f"{error.message}; no stock of the file was changed")
    ctx.counts["records"] = ctx.report["read"]
    ctx.save()


def verify(ctx: JobContext) -> None:
    """Accuracy against the shop (unknown SKUs create nothing) and completeness (live SKUs missing)."""
    tenant = ctx.tenant.id
    conn = ctx.store.connection()
    unknown = conn.execute(
        "SELECT file, line, sku_id FROM staged_stock s WHERE job_id = ? AND NOT EXISTS (SELECT 1 FROM skus k"
        " WHERE k.tenant = ? AND k.sku_id = s.sku_id AND k.deleted = 0) ORDER BY seq",
        (ctx.job_id, tenant),
    )
    for file, line, sku in unknown:
        ctx.add_issue(make_issue("INVENTORY_UNKNOWN_SKU", line=line, sku_id=sku, value=sku), file)
        _note(ctx, "unknown", sku)
    missing = conn.execute(
        "SELECT sku_id, item_group_id FROM skus k WHERE tenant = ? AND deleted = 0 AND NOT EXISTS"
        " (SELECT 1 FROM staged_stock s WHERE s.job_id = ? AND s.sku_id = k.sku_id) AND NOT EXISTS"
        " (SELECT 1 FROM staged_rejects r WHERE r.job_id = ? AND r.sku_id = k.sku_id) ORDER BY sku_id",
        (tenant, ctx.job_id, ctx.job_id),
    )
    for sku, group in missing if ctx.files else ():  # no file read (none new, or rejected): none missing
        ctx.add_issue(make_issue("INVENTORY_MISSING_SKU", sku_id=sku, item_group_id=group, value=sku), "")
        _note(ctx, "missing", sku)
    ctx.save()


def integrate(ctx: JobContext) -> None:
    """Apply every verified record of known SKUs in one transaction; the last record of a SKU wins."""
    tenant = ctx.tenant.id
    with ctx.store.transaction() as conn:
        stock_changes = webhooks.StockChanges(conn, tenant, ctx.job_id)
        applied = conn.execute(
            "INSERT INTO stock (tenant, sku_id, warehouse_id, list_id, quantity, handling,"
            " preorder_allocation,"
            " in_stock_date, updated_at) SELECT ?, s.sku_id, s.list_id, s.list_id, s.quantity, s.handling,"
            " s.preorder_allocation, s.in_stock_date, ? FROM staged_stock s WHERE s.job_id = ? AND EXISTS"
            " (SELECT 1 FROM skus k WHERE k.tenant = ? AND k.sku_id = s.sku_id AND k.deleted = 0)"
            " ORDER BY s.seq"
            " ON CONFLICT (tenant, sku_id, warehouse_id) DO UPDATE SET quantity = excluded.quantity,"
            " handling = excluded.handling, preorder_allocation = excluded.preorder_allocation,"
            " in_stock_date = excluded.in_stock_date, updated_at = excluded.updated_at",
            (tenant, time.time(), ctx.job_id, tenant),
        ).rowcount
        stock_changes.queue()
        mark_processed(conn, tenant, ctx.job_id, ctx.files)
    ctx.report["applied"] = applied
    ctx.count("applied", applied)
    ctx.save()
