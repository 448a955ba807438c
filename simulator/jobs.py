"""Jobs: one record per alert, its steps with timestamps, and the per-tenant workers that run them.

An alert is answered at once; the work runs here, in the background, one queue per tenant so that a
tenant's alerts (delete, then update) are processed in the order they arrived. Every job ends
`completed` or `failed`; an unexpected exception fails the job with its message instead of killing
the worker. The steps of each flow live in their own modules; this one only sequences them.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from simulator.store import Store, Tenant

MAX_EXAMPLES = 5
_STOP = -1
_log = logging.getLogger("simulator.jobs")


class JobFailed(Exception):
    """An expected reason to fail a job (unreadable file, WebDAV refused us...): shown to the user."""


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class PickedFile:
    """A file taken from the tenant's WebDAV folder for this job."""

    name: str
    href: str
    size: int | None
    etag: str | None
    path: Path


@dataclass
class JobContext:
    """What the steps of one job share: the job's record, its files and what it found."""

    store: Store
    job_id: int
    tenant: Tenant
    feed_type: str
    update_type: str
    url: str
    work_dir: Path
    files: list[PickedFile] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    issues: dict[str, dict[str, Any]] = field(default_factory=dict)
    steps: list[dict[str, str]] = field(default_factory=list)

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def add_issue(self, issue: Any, file: str = "") -> None:
        """Aggregate an engine Issue by code, keeping a count and a few examples (Merchant Center style)."""
        entry = self.issues.setdefault(
            issue.code,
            {
                "code": issue.code,
                "severity": issue.severity,
                "field": issue.field,
                "message": issue.message,
                "hint": issue.hint,
                "count": 0,
                "examples": [],
            },
        )
        entry["count"] += 1
        if len(entry["examples"]) < MAX_EXAMPLES:
            entry["examples"].append(
                {
                    "file": file,
                    "line": issue.line,
                    "sku_id": issue.sku_id,
                    "item_group_id": issue.item_group_id,
                    "value": issue.value,
                    "message": issue.message,
                }
            )

    def step(self, name: str) -> None:
        """Record that a step starts now, and publish what the job knows so far."""
        self.steps.append({"name": name, "at": now_iso()})
        self.save()

    def save(self, **extra: Any) -> None:
        self.store.save_job(
            self.job_id,
            steps=self.steps,
            counts=self.counts,
            report=self.report,
            issues=list(self.issues.values()),
            files=[f.name for f in self.files],
            **extra,
        )


Step = Callable[[JobContext], None]


def _flows() -> dict[tuple[str, str], list[tuple[str, Step]]]:
    """Each alert kind's steps, in order (imported late: the step modules import this one)."""
    from simulator import deletion, inventory, pickup, publish, review, upload

    product = [
        ("pickup", pickup.pick_up),
        ("upload", upload.upload_product_feeds),
        ("review", review.review),
        ("publish", publish.publish),
    ]
    stock = [
        ("pickup", pickup.pick_up),
        ("upload", inventory.upload),
        ("verify", inventory.verify),
        ("integrate", inventory.integrate),
    ]
    return {
        ("product", "update"): product,
        ("product", "create"): product,
        ("product", "delete"): [
            ("pickup", pickup.pick_up),
            ("upload", upload.upload_delete_feeds),
            ("delete", deletion.delete),
        ],
        ("inventory", "create"): stock,
        ("inventory", "update"): stock,
    }


class JobRunner:
    """Per-tenant FIFO workers over the store; `submit` records a queued job and returns its id."""

    def __init__(self, store: Store, data_dir: Path) -> None:
        self.store = store
        self.uploads = data_dir / "uploads"
        self._queues: dict[str, queue.Queue[int]] = {}
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._stopping = False
        self._flows = _flows()

    def start(self) -> None:
        """Re-queue, in their original order, the jobs a previous run left queued or running.

        Safe because a job changes the shop in one transaction that also marks its files processed:
        a re-run either finds the files still new, or finds nothing to do.
        """
        for job_id in self.store.unfinished_jobs():
            job = self.store.get_job(job_id) or {}
            report = {**job.get("report", {}), "requeued_after_restart": True}
            self.store.save_job(
                job_id, state="queued", steps=[], counts={}, issues=[], files=[], report=report
            )
            self._enqueue(job["tenant"], job_id)

    def submit(self, tenant: str, feed_type: str, update_type: str, url: str) -> int:
        job_id = self.store.create_job(tenant, feed_type, update_type, url)
        self._enqueue(tenant, job_id)
        return job_id

    def stop(self, timeout: float = 5.0) -> None:
        """End the workers after their current job, waiting at most `timeout` for each.

        A job still running after that is cut off with the process; it is re-queued at the next start."""
        with self._lock:
            self._stopping = True
            for q in self._queues.values():
                q.put(_STOP)
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)

    def _enqueue(self, tenant: str, job_id: int) -> None:
        with self._lock:
            if self._stopping:
                return
            q = self._queues.get(tenant)
            if q is None:
                q = self._queues[tenant] = queue.Queue()
                thread = threading.Thread(target=self._work, args=(q,), name=f"jobs-{tenant}", daemon=True)
                self._threads.append(thread)
                thread.start()
            q.put(job_id)

    def _work(self, q: queue.Queue[int]) -> None:
        while (job_id := q.get()) != _STOP:
            try:
                self.run(job_id)
            except Exception:  # the store itself failed; the job is re-queued at the next start
                _log.exception("job %s could not be recorded", job_id)

    def run(self, job_id: int) -> None:
        """Run one job to `completed` or `failed`; never raises."""
        job = self.store.get_job(job_id)
        if job is None:
            return
        ctx: JobContext | None = None
        try:
            tenant = self.store.get_tenant(job["tenant"])
            if tenant is None:
                raise JobFailed(f"tenant {job['tenant']!r} is no longer registered")
            ctx = JobContext(
                self.store,
                job_id,
                tenant,
                job["feed_type"],
                job["update_type"],
                job["url"],
                self.uploads / str(job_id),
                report=job.get("report", {}),
            )
            self.store.save_job(job_id, state="running")
            for name, step in self._flows[(ctx.feed_type, ctx.update_type)]:
                ctx.step(name)
                step(ctx)
            ctx.save(state="completed")
        except Exception as error:  # every job must end; the message is the user's diagnosis
            if not isinstance(error, JobFailed):
                _log.exception("job %s failed", job_id)
            message = str(error) or type(error).__name__
            if ctx is None:
                self.store.save_job(job_id, state="failed", error=message)
            else:
                ctx.save(state="failed", error=message)
        finally:
            self.store.clear_job_scratch(job_id)
