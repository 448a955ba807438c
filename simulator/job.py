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

from simulator.rules.issues import Issue, IssueSummary
from simulator.store import Store
from simulator.tenant import Tenant


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

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def add_issue(self, issue: Issue, file: str = "") -> None:
        """Keep an Issue on the job, with the file it was found in."""
        self.issues.add(issue, file=file)

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
            files=[f.name for f in self.files],
            **extra,
        )
