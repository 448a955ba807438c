"""Pick up: list the alerted WebDAV folder and download the files this job has not seen yet.

The alert names a folder, never a file (cartridge behaviour), so TikTok has to find the new files
itself. Names carry a 12-hour clock and do not sort, so files are taken in order of their WebDAV
modification time. Only the tenant's registered host is ever contacted (the API checked the URL).
"""

from __future__ import annotations

import base64
import http.client
import ssl
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote, urlsplit

from lxml import etree

from simulator import xmlsafe
from simulator.job import JobContext, JobFailed, PickedFile
from simulator.shop import is_processed
from simulator.tenant import ForeignUrl, check_folder_url

TIMEOUT_S = 60
CHUNK = 1 << 16
_DAV = "DAV:"
_PROPFIND = (
    f'<?xml version="1.0" encoding="utf-8"?><propfind xmlns="{_DAV}"><prop><resourcetype/>'
    "<getcontentlength/><getlastmodified/><getetag/></prop></propfind>"
).encode()
_D = f"{{{_DAV}}}"


@dataclass(frozen=True)
class RemoteFile:
    """One entry of a PROPFIND listing."""

    href: str
    name: str
    size: int | None
    etag: str | None
    modified: float
    collection: bool


def _connection(ctx: JobContext) -> http.client.HTTPConnection:
    parts = urlsplit(ctx.url)
    if parts.scheme == "https":
        return http.client.HTTPSConnection(parts.hostname or "", parts.port, timeout=TIMEOUT_S,
                                           context=ctx.trust)
    return http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=TIMEOUT_S)


def _unreachable(ctx: JobContext, what: str, error: OSError) -> JobFailed:
    """Why a call did not get through; an untrusted certificate names the host and the fix."""
    if isinstance(error, ssl.SSLCertVerificationError):
        return JobFailed(f"{what}: the TLS certificate of {urlsplit(ctx.url).netloc} does not verify "
                         f"({error.verify_message}); start tiktok-sim serve with --ca-file naming the CA "
                         "that signed it")
    return JobFailed(f"{what} failed: {error}")


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
    conn = _connection(ctx)
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
        raise _unreachable(ctx, f"PROPFIND {ctx.url}", error) from error
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


def _download(ctx: JobContext, entry: RemoteFile) -> PickedFile:
    target = ctx.work_dir / entry.name
    conn = _connection(ctx)
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
        raise _unreachable(ctx, f"GET {entry.href}", error) from error
    finally:
        conn.close()
    return PickedFile(entry.name, entry.href, entry.size, entry.etag, target)


def pick_up(ctx: JobContext) -> None:
    """Find the new files of this alert's kind, oldest first, and download them into the job's folder."""
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
        and ctx.flow.pattern.fullmatch(e.name)
    ]
    conn = ctx.store.connection()
    new = sorted(
        (e for e in candidates if not is_processed(conn, ctx.tenant.id, e)),
        key=lambda e: (e.modified, e.name),
    )
    ctx.counts.update(files_listed=len(listing), files_matching=len(candidates), files_new=len(new))
    ctx.work_dir.mkdir(parents=True, exist_ok=True)
    ctx.files = [_download(ctx, entry) for entry in new]
