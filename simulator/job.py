"""What a job step receives: the job's context, the files it picked up, and the way to fail it.

Steps import this module, never each other and never the runner, so the flows can list the steps
without an import loop. The job record itself lives in the store; the context publishes to it.
"""

from __future__ import annotations

import re
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.feedfile import MAX_LINE_BYTES
from simulator.rules.issues import Issue, IssueSummary
from simulator.shop import RemoteFileId, mark_failed
from simulator.store import Store
from simulator.tenant import Tenant
from simulator.workers import WorkerPool


class JobFailed(Exception):
    """An expected reason to fail a job (unreadable file, WebDAV refused us...): shown to the user."""


@dataclass
class PickedFile:
    """A file taken from the tenant's WebDAV folder for this job."""

    name: str
    href: str
    size: int | None
    etag: str | None
    path: Path


Step = Callable[["JobContext"], None]


@dataclass(frozen=True)
class Limits:
    """How far a job trusts a WebDAV host and its files; each is a `tiktok-sim serve` option, and the
    defaults and their reasons are in docs/formats.md, 9."""

    settle_s: float = 2.0  # a foreign host's file is taken once its size and ETag held this long
    settle_max_s: float = 30.0  # how long one job waits for files still being written
    retries: int = 3  # a short or failed download is tried this many times more
    backoff_s: float = 1.0  # the first wait before trying again; each next wait doubles
    max_download: int = 4 << 30  # bytes of one file
    max_line: int = MAX_LINE_BYTES
    keep_uploads: int = 50  # jobs whose raw files stay under uploads/
    atomic_origin: str = ""  # the embedded WebDAV: its PUTs appear whole, so no settle wait


@dataclass(frozen=True)
class RejectedFile:
    """A file that cannot be read as a whole: recorded processed-with-failure, nothing of it applied."""

    name: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.name}:{self.line}" if self.line else self.name
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class Flow:
    """One kind of alert: the files it picks up and the steps that handle them, in order."""

    feed_type: str
    update_type: str
    pattern: re.Pattern[str]
    steps: tuple[tuple[str, Step], ...]


@dataclass
class JobContext:
    """What the steps of one job share: the job's record, its flow, its files and what it found."""

    store: Store
    job_id: int
    tenant: Tenant
    flow: Flow
    url: str
    work_dir: Path
    files: list[PickedFile] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    issues: IssueSummary = field(
        default_factory=lambda: IssueSummary(("line", "sku_id", "item_group_id", "value", "message"))
    )
    steps: list[dict[str, Any]] = field(default_factory=list)
    # Whom pickup trusts on an https WebDAV host: the system store plus the CAs `serve` was given.
    trust: ssl.SSLContext = field(default_factory=ssl.create_default_context)
    limits: Limits = field(default_factory=Limits)
    rejected: list[RejectedFile] = field(default_factory=list)
    # The runner's worker processes for a large review's checks; None does them in this thread.
    workers: WorkerPool | None = None

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def add_issue(self, issue: Issue, file: str = "") -> None:
        """Keep an Issue on the job, with the file it was found in."""
        self.issues.add(issue, file=file)

    def reject(self, file: RemoteFileId, name: str, line: int | None, reason: str) -> None:
        """Record a file that cannot be read as a whole as processed-with-failure, at once and on its own,
        so the flow's later files go through; it is tried again only once its size or ETag changes."""
        rejected = RejectedFile(name, line, reason)
        with self.store.transaction() as conn:
            mark_failed(conn, self.tenant.id, self.job_id, file, str(rejected))
        self.rejected.append(rejected)
        self.files = [f for f in self.files if f.href != file.href]
        self.report.setdefault("rejected_files", []).append({"file": name, "line": line, "reason": reason})

    def step(self, name: str) -> None:
        """Record that a step starts now (epoch seconds, as TikTok times things); publish the job so far."""
        self.steps.append({"name": name, "at": int(time.time())})
        self.save()

    def save(self, **extra: Any) -> None:
        self.store.save_job(
            self.job_id,
            steps=self.steps,
            counts=self.counts,
            report=self.report,
            issues=self.issues.groups(),
            files=[f.name for f in self.files] + [r.name for r in self.rejected],
            **extra,
        )
