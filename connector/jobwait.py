"""`sync --wait`: follow the simulator's jobs for this run's alerts until each ends, for CI runs.

Real TikTok has no such call: an alert is acknowledged and the outcome shows only in the shop. The
simulator answers an alert with `data.job_id` and serves `GET /api/jobs/<id>`, so a CI run against it can
fail when a job failed (an unreadable file, a refused download) instead of reporting success.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote, urlsplit

from connector.tls import client_context, untrusted, untrusted_message

JOBS_PATH = "/api/jobs/"
FINISHED = ("completed", "failed")
POLL_S = 0.2


class JobWaitError(RuntimeError):
    """A job could not be followed to its end: the simulator is unreachable, or the wait ran out."""


def _job(tiktok_url: str, job_id: str, timeout: float, ca_file: Path | None) -> dict:
    url = tiktok_url.rstrip("/") + JOBS_PATH + quote(job_id, safe="")
    context = client_context(ca_file) if urlsplit(url).scheme == "https" else None
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as answer:
            job = json.load(answer)
    except urllib.error.HTTPError as error:
        raise JobWaitError(f"GET {url} answered HTTP {error.code} (is --tiktok-url the simulator? "
                           "real TikTok has no job API)") from None
    except (OSError, ValueError) as error:
        if certificate_error := untrusted(error):
            raise JobWaitError(f"GET {url}: {untrusted_message(urlsplit(url).netloc, certificate_error)}") \
                from None
        raise JobWaitError(f"GET {url} failed: {error}") from None
    if not isinstance(job, dict) or "state" not in job:
        raise JobWaitError(f"GET {url} answered no job (is --tiktok-url the simulator?)")
    return job


def wait_for_jobs(tiktok_url: str, job_ids: Iterable[str], timeout: float,
                  ca_file: Path | None = None) -> list[dict]:
    """Each job as it ended, in the order given; JobWaitError when one has not ended within `timeout`."""
    deadline = time.monotonic() + timeout
    finished = []
    for job_id in job_ids:
        while (job := _job(tiktok_url, job_id, 10.0, ca_file))["state"] not in FINISHED:
            if time.monotonic() > deadline:
                raise JobWaitError(f"job {job_id} is still {job['state']} after {timeout:g} s "
                                   "(--wait-timeout)")
            time.sleep(POLL_S)
        finished.append(job)
    return finished


def _where(example: dict) -> str:
    file = example.get("file") or ""
    return f"{file or '?'}:{example['line']}" if example.get("line") else file


def describe_failure(job: dict) -> list[str]:
    """A failed job as lines for the terminal: what failed, then its error issues with where they were."""
    lines = [f"job {job['id']} ({job['feed_type']}/{job['update_type']}) failed: {job.get('error')}"]
    for group in job.get("issues", []):
        if group.get("severity") != "error":
            continue
        where = ", ".join(_where(example) for example in group.get("examples", []))
        line = f"  {group['code']} x{group['count']}: {group['message']}"
        lines.append(f"{line} ({where})" if where else line)
    return lines
