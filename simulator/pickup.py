"""Pick up: list the alerted WebDAV folder and download the files this job has not seen yet.

The alert names a folder, never a file (cartridge behaviour), so TikTok has to find the new files
itself. Names carry a 12-hour clock and do not sort, so files are taken in order of their WebDAV
modification time. Only the tenant's registered host is ever contacted (the API checked the URL).
"""

from __future__ import annotations

import base64
import http.client
import re
import sqlite3
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote, urlsplit

from lxml import etree

from simulator import xmlsafe
from simulator.dav import DAV_MOUNT
from simulator.jobs import JobContext, JobFailed, PickedFile
from simulator.store import Tenant

TIMEOUT_S = 60
CHUNK = 1 << 16
PATTERNS = {
    ("product", "update"): re.compile(r"tiktok-feed-.*\.txt"),
    ("product", "create"): re.compile(r"tiktok-feed-.*\.txt"),
    ("product", "delete"): re.compile(r"delete-feed-.*\.txt"),
    ("inventory", "create"): re.compile(r"inventory.*\.xml"),
    ("inventory", "update"): re.compile(r"inventory.*\.xml"),
}
_PROPFIND = (
    b'<?xml version="1.0" encoding="utf-8"?><propfind xmlns="DAV:"><prop><resourcetype/>'
    b"<getcontentlength/><getlastmodified/><getetag/></prop></propfind>"
)
_D = "{DAV:}"


class ForeignUrl(ValueError):
    """A folder URL off the tenant's registered WebDAV origin or outside its Impex root."""


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with default ports filled in; a malformed port yields port None."""
    parts = urlsplit(url)
    default_port = {"http": 80, "https": 443}.get(parts.scheme.lower())
    try:
        port = parts.port or default_port
    except ValueError:
        port = None
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def check_folder_url(url: str, tenant: Tenant) -> None:
    """Only ever fetch from the tenant's own WebDAV, below its Impex root: checked when the alert
    arrives and again before fetching, in case the tenant re-onboarded with another host meanwhile."""
    parts = urlsplit(url)
    if origin(url) != origin(tenant.webdav_base) or None in origin(url) or parts.username or parts.password:
        raise ForeignUrl(f"url {url!r} is not on the tenant's registered WebDAV host {tenant.webdav_base!r}")
    segments = unquote(parts.path).split("/")
    inside = parts.path == DAV_MOUNT or parts.path.startswith(DAV_MOUNT + "/")
    if not inside or parts.query or parts.fragment or any(s in (".", "..") for s in segments):
        raise ForeignUrl(f"url {url!r} is not below {DAV_MOUNT}")


@dataclass(frozen=True)
class RemoteFile:
    """One entry of a PROPFIND listing."""

    href: str
    name: str
    size: int | None
    etag: str | None
    modified: float
    collection: bool


def _connection(url: str) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return http.client.HTTPSConnection(parts.hostname or "", parts.port, timeout=TIMEOUT_S)
    return http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=TIMEOUT_S)


def _headers(ctx: JobContext) -> dict[str, str]:
    token = base64.b64encode(f"{ctx.tenant.user}:{ctx.tenant.password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _refusal(what: str, status: int, reason: str) -> JobFailed:
    hint = " (the tenant's WebDAV credentials were refused)" if status in (401, 403) else ""
    return JobFailed(f"{what} answered HTTP {status} {reason}{hint}")


def _entry(response: etree._Element) -> RemoteFile | None:
    """One listing entry, from the properties the server found (its `200` propstats)."""
    href = unquote(response.findtext(f"{_D}href") or "")
    props = [
        p
        for stat in response.iter(f"{_D}propstat")
        if " 200" in (stat.findtext(f"{_D}status") or "")
        for p in stat.iter(f"{_D}prop")
    ]
    if not href or not props:
        return None

    def text(name: str) -> str | None:
        return next((v for p in props if (v := p.findtext(f"{_D}{name}")) is not None), None)

    collection = any(p.find(f"{_D}resourcetype/{_D}collection") is not None for p in props)
    size_text, modified_text = text("getcontentlength"), text("getlastmodified")
    return RemoteFile(
        href=href.rstrip("/"),
        name=href.rstrip("/").rsplit("/", 1)[-1],
        size=int(size_text) if size_text and size_text.isdigit() else None,
        etag=text("getetag"),
        modified=_timestamp(modified_text),
        collection=collection,
    )


def _timestamp(http_date: str | None) -> float:
    """getlastmodified as epoch seconds; an unreadable date sorts first rather than failing the job."""
    try:
        return parsedate_to_datetime(http_date).timestamp() if http_date else 0.0
    except (TypeError, ValueError):
        return 0.0


def list_folder(ctx: JobContext) -> list[RemoteFile]:
    """PROPFIND Depth 1 of the alerted folder; the folder itself is left out."""
    path = urlsplit(ctx.url).path.rstrip("/") + "/"
    conn = _connection(ctx.url)
    try:
        conn.request(
            "PROPFIND",
            path,
            body=_PROPFIND,
            headers={**_headers(ctx), "Depth": "1", "Content-Type": "application/xml"},
        )
        answer = conn.getresponse()
        body = answer.read()
    except OSError as error:
        raise JobFailed(f"PROPFIND {ctx.url} failed: {error}") from error
    finally:
        conn.close()
    if answer.status != 207:
        raise _refusal(f"PROPFIND {ctx.url}", answer.status, answer.reason)
    try:
        tree = xmlsafe.fromstring(body, f"PROPFIND {ctx.url}")
    except ValueError as error:
        raise JobFailed(f"PROPFIND {ctx.url} answered unreadable XML: {error}") from error
    folder = unquote(path).rstrip("/")
    entries = (_entry(r) for r in tree.iter(f"{_D}response"))
    return [e for e in entries if e is not None and urlsplit(e.href).path != folder]


def is_processed(conn: sqlite3.Connection, tenant: str, entry: RemoteFile) -> bool:
    """Same name (href) with the same ETag, or with the same size when either side has no ETag."""
    rows = conn.execute(
        "SELECT size, etag FROM processed_files WHERE tenant = ? AND href = ?", (tenant, entry.href)
    )
    for size, etag in rows:
        if (etag and entry.etag and etag == entry.etag) or (
            (not etag or not entry.etag) and size == entry.size
        ):
            return True
    return False


def mark_processed(conn: sqlite3.Connection, ctx: JobContext) -> None:
    """Record this job's files as processed; call inside the transaction that applies them."""
    conn.executemany(
        "INSERT INTO processed_files (tenant, href, size, etag, job_id, processed_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(ctx.tenant.id, f.href, f.size, f.etag, ctx.job_id, time.time()) for f in ctx.files],
    )


def _download(ctx: JobContext, entry: RemoteFile) -> PickedFile:
    target = ctx.work_dir / entry.name
    conn = _connection(ctx.url)
    try:
        conn.request(
            "GET", urlsplit(ctx.url).path.rstrip("/") + "/" + quote(entry.name), headers=_headers(ctx)
        )
        answer = conn.getresponse()
        if answer.status != 200:
            raise _refusal(f"GET {entry.href}", answer.status, answer.reason)
        with open(target, "wb") as out:
            while chunk := answer.read(CHUNK):
                out.write(chunk)
    except OSError as error:
        raise JobFailed(f"GET {entry.href} failed: {error}") from error
    finally:
        conn.close()
    return PickedFile(entry.name, entry.href, entry.size, entry.etag, target)


def pick_up(ctx: JobContext) -> None:
    """Find the new files of this alert's kind, oldest first, and download them into the job's folder."""
    pattern = PATTERNS[(ctx.feed_type, ctx.update_type)]
    try:
        check_folder_url(ctx.url, ctx.tenant)
    except ForeignUrl as error:
        raise JobFailed(f"nothing fetched: {error}") from error
    listing = list_folder(ctx)
    candidates = [
        e
        for e in listing
        if not e.collection
        and not e.name.startswith("TEMP_")
        and "/" not in e.name
        and pattern.fullmatch(e.name)
    ]
    conn = ctx.store.connection()
    new = sorted(
        (e for e in candidates if not is_processed(conn, ctx.tenant.id, e)),
        key=lambda e: (e.modified, e.name),
    )
    ctx.counts.update(files_listed=len(listing), files_matching=len(candidates), files_new=len(new))
    ctx.work_dir.mkdir(parents=True, exist_ok=True)
    ctx.files = [_download(ctx, entry) for entry in new]
