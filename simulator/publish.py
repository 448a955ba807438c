"""Publish: move every reviewed product to the status its review decided, all in one transaction.

The review stored each product's target status; this step only applies them through the shop's
transition table, so a product is never ACTIVATE (or FAILED) before every product of the job is reviewed.
"""

from __future__ import annotations

from simulator.job import JobContext
from simulator.shop import ACTIVATE, DELETED, FAILED, Change, transition
from simulator.store import job_batches

_COUNTERS = {ACTIVATE: "published", FAILED: "failed", DELETED: "deleted"}


def publish(ctx: JobContext) -> None:
    """Move every reviewed product to its target status, all in one transaction."""
    with ctx.store.transaction() as conn:
        for rows in job_batches(
            conn,
            "SELECT rowid, item_group_id, target, title, reasons, warnings FROM job_outcomes"
            " WHERE job_id = ? AND rowid > ?",
            ctx.job_id,
        ):
            changes = []
            for _, group, target, title, reasons, warnings in rows:
                changes.append(Change(group, target, title or None, reasons, warnings))
                ctx.count(_COUNTERS[target])
            transition(conn, ctx.tenant.id, ctx.job_id, changes)
    ctx.save()
