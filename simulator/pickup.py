"""Pick up: list the alerted WebDAV folder and download the files this job has not seen yet.

The alert names a folder, never a file (cartridge behaviour), so TikTok has to find the new files
itself. Names carry a 12-hour clock and do not sort, so files are taken in order of their WebDAV
modification time. Only the tenant's registered host is ever contacted (the API checked the URL).

Nothing half-there is taken (docs/formats.md, 9). On any host but the embedded one (whose PUTs appear
whole), a file is taken only once its size and ETag held across the settle interval and no lock is
listed on it; the cartridge writes a delete feed under its final name, so a file still being written is
in the listing. A download counts only when its bytes match Content-Length and the listed size; a short
or failed one is tried again with backoff, and then fails the job with the file still new, so the next
alert fetches it again. A file over the maximum download size is recorded processed-with-failure. Every
call to the host goes through `_send`.
"""

from __future__ import annotations

import base64
import http.client
import ssl
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import cast
from urllib.parse import quote, unquote, urlsplit

from lxml import etree

from simulator import faults, journal, xmlsafe
from simulator.job import JobContext, JobFailed, PickedFile
from simulator.shop import is_processed
from simulator.tenant import ForeignUrl, check_folder_url, origin

TIMEOUT_S = 60
CHUNK = 1 << 16
_DAV = "DAV:"
_PROPFIND = (
    f'<?xml version="1.0" encoding="utf-8"?><propfind xmlns="{_DAV}"><prop><resourcetype/>'
    "<getcontentlength/><getlastmodified/><getetag/><lockdiscovery/></prop></propfind>"
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
    locked: bool = False

    @property
    def version(self) -> tuple[int | None, str | None, float]:
        """What must hold still for the file to count as written whole."""
        return self.size, self.etag, self.modified


class _ShortTransfer(Exception):
    """A download that ended early or failed: worth another try."""


class _TooLarge(Exception):
    """A file over the maximum download size: no try will fit it."""


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
        locked=any(p.find(f"{_D}lockdiscovery/{_D}activelock") is not None for p in props),
    )


def _timestamp(http_date: str | None) -> float:
    """getlastmodified as epoch seconds; an unreadable date sorts first rather than failing the job."""
    try:
        return parsedate_to_datetime(http_date).timestamp() if http_date else 0.0
    except (TypeError, ValueError):
        return 0.0


Exchange = tuple[http.client.HTTPConnection, http.client.HTTPResponse]


class _InjectedAnswer:
    """What a fault armed on `pickup` answers instead of the host (docs/control-api.md): its HTTP error."""

    def __init__(self, status: int, fault_id: int) -> None:
        self.status, self.reason = status, f"(injected fault {fault_id})"

    def read(self, *_: int) -> bytes:
        return b""

    def getheader(self, _: str, default: str | None = None) -> str | None:
        return default


def _send(ctx: JobContext, method: str, path: str, body: bytes | None = None,
          headers: dict[str, str] | None = None) -> Exchange:
    """The one way pickup calls the tenant's host: the request sent, its answer's head read. The caller
    reads the body and closes the connection."""
    fault = faults.of(ctx.store).take("pickup", ctx.tenant.id)
    if fault is not None:
        fault.stall()
    conn = journal.watch(_connection(ctx), journal.of(ctx.store))  # each call sent is an outbound entry
    if fault is not None and fault.http_status:
        return conn, cast(http.client.HTTPResponse, _InjectedAnswer(fault.http_status, fault.id))
    try:
        conn.request(method, path, body=body, headers={**_headers(ctx), **(headers or {})})
        return conn, conn.getresponse()
    except BaseException:
        conn.close()
        raise


def list_folder(ctx: JobContext) -> list[RemoteFile]:
    """PROPFIND Depth 1 of the alerted folder; the folder itself is left out."""
    path = urlsplit(ctx.url).path.rstrip("/") + "/"
    conn: http.client.HTTPConnection | None = None
    try:
        conn, answer = _send(ctx, "PROPFIND", path, _PROPFIND,
                             {"Depth": "1", "Content-Type": "application/xml"})
        body = answer.read()
    except (OSError, http.client.HTTPException) as error:
        raise _unreachable(ctx, f"PROPFIND {ctx.url}", error) from error
    finally:
        if conn is not None:
            conn.close()
    if answer.status != 207:
        raise _refusal(f"PROPFIND {ctx.url}", answer.status, answer.reason)
    try:
        tree = xmlsafe.fromstring(body, f"PROPFIND {ctx.url}")
    except (ValueError, etree.XMLSyntaxError) as error:  # a syntax error is no ValueError in lxml
        raise JobFailed(f"PROPFIND {ctx.url} answered unreadable XML: {error}") from error
    folder = unquote(path).rstrip("/")
    entries = (_entry(r) for r in tree.iter(f"{_D}response"))
    return [e for e in entries if e is not None and urlsplit(e.href).path != folder]


def _fetch_once(ctx: JobContext, entry: RemoteFile, target: Path) -> None:
    """One GET into `target`; _ShortTransfer unless every byte the server declared and listed arrived."""
    limit = ctx.limits.max_download
    conn: http.client.HTTPConnection | None = None
    received, declared = 0, None
    try:
        conn, answer = _send(ctx, "GET", urlsplit(ctx.url).path.rstrip("/") + "/" + quote(entry.name))
        if answer.status != 200:
            error = _refusal(f"GET {entry.href}", answer.status, answer.reason)
            if answer.status in (401, 403, 404):
                raise error
            raise _ShortTransfer(str(error))
        declared = answer.getheader("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise _TooLarge(f"{declared} bytes declared")
        received = 0
        with open(target, "wb") as out:
            while chunk := answer.read(CHUNK):
                received += len(chunk)
                if received > limit:
                    raise _TooLarge(f"more than {limit} bytes sent")
                out.write(chunk)
    except http.client.IncompleteRead as error:
        raise _ShortTransfer(f"the connection ended after {received + len(error.partial)} bytes "
                             f"of {declared}") from None
    except (OSError, http.client.HTTPException) as error:
        if isinstance(error, ssl.SSLCertVerificationError):
            raise _unreachable(ctx, f"GET {entry.href}", error) from error
        raise _ShortTransfer(f"GET {entry.href} failed: {error}") from error
    finally:
        if conn is not None:
            conn.close()
    for what, expected in (("Content-Length", declared), ("the listed size", entry.size)):
        if expected is not None and str(expected).isdigit() and int(expected) != received:
            raise _ShortTransfer(f"received {received} bytes, {what} says {expected}")


def _download(ctx: JobContext, entry: RemoteFile) -> PickedFile | None:
    """The file, whole, after at most `retries` more tries with doubling waits; None when it is too large
    (then recorded processed-with-failure); JobFailed, with the file still new, when no try was whole."""
    target = ctx.work_dir / entry.name
    wait = ctx.limits.backoff_s
    for attempt in range(ctx.limits.retries + 1):
        try:
            if entry.size is not None and entry.size > ctx.limits.max_download:
                raise _TooLarge(f"{entry.size} bytes listed")
            _fetch_once(ctx, entry, target)
            return PickedFile(entry.name, entry.href, entry.size, entry.etag, target)
        except _TooLarge as error:
            target.unlink(missing_ok=True)
            ctx.reject(entry, entry.name, None, f"larger than the maximum download size of "
                                                f"{ctx.limits.max_download} bytes ({error}); not fetched")
            return None
        except _ShortTransfer as error:
            target.unlink(missing_ok=True)  # nothing of a partial transfer is kept, let alone applied
            if attempt == ctx.limits.retries:
                raise JobFailed(f"GET {entry.href}: incomplete after {attempt + 1} tries ({error}); nothing "
                                "was applied and the file stays new, so the next alert fetches it again"
                                ) from None
            ctx.count("download_retries")
            time.sleep(wait)
            wait *= 2
    raise AssertionError("unreachable")  # the loop returns or raises


def _new_files(ctx: JobContext) -> tuple[list[RemoteFile], int, int]:
    """This flow's files not processed yet, oldest first; with how many the folder and the pattern held."""
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
    new = sorted((e for e in candidates if not is_processed(conn, ctx.tenant.id, e)),
                 key=lambda e: (e.modified, e.name))
    return new, len(listing), len(candidates)


def _settled(ctx: JobContext, new: list[RemoteFile]) -> list[RemoteFile]:
    """The files whose size, ETag and date held across the settle interval with no lock on them, up to
    the first that did not (later files wait too, so files still apply in order). Waits up to
    `settle_max_s` for files still being written; those left are for a later alert."""
    limits = ctx.limits
    atomic = bool(limits.atomic_origin) and origin(ctx.url) == origin(limits.atomic_origin)
    if not new or atomic or limits.settle_s <= 0:
        return new
    deadline = time.monotonic() + limits.settle_max_s
    before = {e.href: e for e in new}
    while True:
        time.sleep(limits.settle_s)
        now, _, _ = _new_files(ctx)
        ready: list[RemoteFile] = []
        for entry in now:
            earlier = before.get(entry.href)
            if entry.locked or earlier is None or earlier.locked or earlier.version != entry.version:
                break
            ready.append(entry)
        if len(ready) == len(now) or time.monotonic() + limits.settle_s > deadline:
            ctx.counts["files_unsettled"] = len(now) - len(ready)
            return ready
        before = {e.href: e for e in now}


def pick_up(ctx: JobContext) -> None:
    """Find the new files of this alert's kind, oldest first, and download them into the job's folder."""
    try:
        check_folder_url(ctx.url, ctx.tenant)
    except ForeignUrl as error:
        raise JobFailed(f"nothing fetched: {error}") from error
    new, listed, matching = _new_files(ctx)
    ctx.counts.update(files_listed=listed, files_matching=matching, files_new=len(new))
    new = _settled(ctx, new)
    if new:
        ctx.work_dir.mkdir(parents=True, exist_ok=True)
    ctx.files = [picked for entry in new if (picked := _download(ctx, entry)) is not None]
