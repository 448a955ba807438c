"""Publish: move every reviewed product to the status its review decided, all in one transaction.

The review stored each product's target status; this step only applies them through the shop's
transition table, so a product is never ACTIVATE (or FAILED) before every product of the job is reviewed.
In the tenant's `delayed` or `manual` review mode (moderation.py) a product stays PENDING, with its new
title and warnings, and its outcome is held until due or decided by hand; a product left with no SKU is
DELETED at once in every mode, since nothing is left to review.
"""

from __future__ import annotations

from simulator import moderation
from simulator.job import JobContext
from simulator.shop import ACTIVATE, DELETED, FAILED, PENDING, Change, transition
from simulator.store import job_batches

_COUNTERS = {ACTIVATE: "published", FAILED: "failed", DELETED: "deleted"}


def publish(ctx: JobContext) -> None:
    """Move every reviewed product to its target status (or hold it), all in one transaction."""
    with ctx.store.transaction() as conn:
        mode = moderation.mode_of(conn, ctx.tenant.id)
        for rows in job_batches(
            conn,
            "SELECT rowid, item_group_id, target, title, reasons, warnings FROM job_outcomes"
            " WHERE job_id = ? AND rowid > ?",
            ctx.job_id,
        ):
            changes, held = [], []
            for _, group, target, title, reasons, warnings in rows:
                if mode.holds and target != DELETED:
                    changes.append(Change(group, PENDING, title or None, None, warnings))
                    held.append(moderation.Held(group, target, reasons, warnings))
                    ctx.count("held_for_review")
                else:
                    changes.append(Change(group, target, title or None, reasons, warnings))
                    ctx.count(_COUNTERS[target])
            transition(conn, ctx.tenant.id, ctx.job_id, changes)
            published = [change.item_group_id for change in changes if change.target != PENDING]
            moderation.record(conn, ctx.tenant.id, ctx.job_id, mode, held, published)
    ctx.save()
