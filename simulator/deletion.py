"""Delete: remove the SKUs a delete feed lists; a product left with no SKU becomes DELETED.

Deleted SKUs stay in the table, flagged, so a later feed can bring them back and the product API can
still show a DELETED product. Unknown SKUs are reported on the job and are not fatal: a delete feed
may well repeat a SKU the shop already dropped.
"""

from __future__ import annotations

import time
from collections import defaultdict

from simulator.job import JobContext
from simulator.rules.issues import make_issue
from simulator.shop import DELETED, Change, mark_processed, transition, write_history
from simulator.store import BATCH, job_batches


def delete(ctx: JobContext) -> None:
    """Flag the listed SKUs deleted and retire emptied products, in one transaction."""
    tenant = ctx.tenant.id
    removed: dict[tuple[str, str], int] = defaultdict(int)
    ctx.counts.setdefault("unknown", 0)
    with ctx.store.transaction() as conn:
        for rows in job_batches(
            conn,
            "SELECT rowid, file, line, sku_id FROM staged_rows WHERE job_id = ? AND rowid > ?",
            ctx.job_id,
        ):
            skus = list({row["sku_id"] for row in rows})
            live = dict(
                conn.execute(
                    f"SELECT sku_id, item_group_id FROM skus WHERE tenant = ? AND deleted = 0"
                    f" AND sku_id IN ({','.join('?' * len(skus))})",
                    (tenant, *skus),
                ).fetchall()
            )
            gone = []
            for row in rows:
                sku = row["sku_id"]
                group = live.pop(sku, None)
                if group is None:
                    issue = make_issue("DELETE_UNKNOWN_SKU", line=row["line"], sku_id=sku, value=sku)
                    ctx.add_issue(issue, row["file"])
                    ctx.count("unknown")
                    continue
                removed[(row["file"], group)] += 1
                gone.append((tenant, sku))
            # a deleted SKU loses its stock too: if a feed brings it back, it starts with none
            conn.executemany("DELETE FROM stock WHERE tenant = ? AND sku_id = ?", gone)
            conn.executemany(
                "UPDATE skus SET deleted = 1, updated_at = ? WHERE tenant = ? AND sku_id = ?",
                ((time.time(), t, sku) for t, sku in gone),
            )
            ctx.count("deleted", len(gone))
        history = ((key, {"fields": ["deleted"], "removed_skus": n}) for key, n in removed.items())
        write_history(conn, tenant, ctx.job_id, history)
        emptied = [
            group
            for group in {g for _, g in removed}
            if not conn.execute(
                "SELECT 1 FROM skus WHERE tenant = ? AND item_group_id = ? AND deleted = 0 LIMIT 1",
                (tenant, group),
            ).fetchone()
        ]
        for start in range(0, len(emptied), BATCH):
            batch = sorted(emptied[start : start + BATCH])
            transition(conn, tenant, ctx.job_id, [Change(group, DELETED) for group in batch])
        ctx.count("products_deleted", len(emptied))
        mark_processed(conn, tenant, ctx.job_id, ctx.files)
    ctx.save()
