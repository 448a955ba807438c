"""The job runner: one queue per tenant, each job's flow run step by step to `completed` or `failed`.

An alert is answered at once; the work runs here, in the background, one queue per tenant so that a
tenant's alerts (delete, then update) are processed in the order they arrived. Every job ends
`completed` or `failed`; an unexpected exception fails the job with its message instead of killing
the worker. Which steps a job runs is the flow table's business (`flows.py`); this module only runs them.
"""

from __future__ import annotations

import logging
import queue
import shutil
import ssl
import threading
from pathlib import Path
from typing import TextIO

from simulator.flows import FLOWS
from simulator.job import JobContext, JobFailed, Limits
from simulator.store import Store
from simulator.workers import WorkerPool

_STOP = -1
_log = logging.getLogger(__name__)
# One line per step and one per outcome: what `tiktok-sim serve` shows on its console.
JOB_LOG = logging.getLogger("tiktok-sim.jobs")


def log_jobs_to(stream: TextIO) -> None:
    """Show each job's steps and outcome on `stream`, one line each (`tiktok-sim serve`'s console)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    JOB_LOG.addHandler(handler)
    JOB_LOG.setLevel(logging.INFO)
    JOB_LOG.propagate = False


class JobRunner:
    """Per-tenant FIFO workers over the store; `submit` records a queued job and returns its id."""

    def __init__(self, store: Store, data_dir: Path, trust: ssl.SSLContext | None = None,
                 limits: Limits | None = None) -> None:
        self.store = store
        self.uploads = data_dir / "uploads"
        self.trust = trust or ssl.create_default_context()
        self.limits = limits or Limits()
        self._queues: dict[str, queue.Queue[int]] = {}
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._stopping = False
        self.workers = WorkerPool()  # started by the first large job, ended by `stop`

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
        self.workers.close()

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
        kind = f"{job['feed_type']}/{job['update_type']}"
        try:
            tenant = self.store.get_tenant(job["tenant"])
            if tenant is None:
                raise JobFailed(f"tenant {job['tenant']!r} is no longer registered")
            ctx = JobContext(
                self.store,
                job_id,
                tenant,
                FLOWS[(job["feed_type"], job["update_type"])],
                job["url"],
                self.uploads / str(job_id),
                report=job.get("report", {}),
                trust=self.trust,
                limits=self.limits,
                workers=self.workers,
            )
            self.store.save_job(job_id, state="running")
            for name, step in ctx.flow.steps:
                JOB_LOG.info("job %s %s: %s", job_id, kind, name)
                ctx.step(name)
                step(ctx)
            if ctx.rejected:  # the other files were applied; the sender must still hear of these
                raise JobFailed("; ".join(map(str, ctx.rejected))
                                + " (recorded as failed: tried again only once the file changes)")
            ctx.save(state="completed")
            JOB_LOG.info("job %s %s: completed %s", job_id, kind,
                         " ".join(f"{k}={v}" for k, v in ctx.counts.items()))
        except Exception as error:  # every job must end; the message is the user's diagnosis
            if not isinstance(error, JobFailed):
                _log.exception("job %s failed", job_id)
            message = str(error) or type(error).__name__
            if ctx is None:
                self.store.save_job(job_id, state="failed", error=message)
            else:
                ctx.save(state="failed", error=message)
            JOB_LOG.info("job %s %s: failed: %s", job_id, kind, message)
        finally:
            self.store.clear_job_scratch(job_id)
            self._prune_uploads()

    def _prune_uploads(self) -> None:
        """Keep the raw files of the last `keep_uploads` jobs (never a queued or running one's), and no
        empty folder."""
        if not self.uploads.is_dir():
            return
        busy = {str(job_id) for job_id in self.store.unfinished_jobs()}
        folders = sorted((p for p in self.uploads.iterdir() if p.is_dir() and p.name.isdigit()),
                         key=lambda p: int(p.name), reverse=True)
        for rank, folder in enumerate(folders):
            try:
                unused = rank >= self.limits.keep_uploads or not any(folder.iterdir())
                if unused and folder.name not in busy:
                    shutil.rmtree(folder, ignore_errors=True)
            except FileNotFoundError:  # another tenant's worker pruned it first
                continue
