"""A small real WebDAV host that misbehaves on request: the SFCC instance of the pickup tests.

It answers PROPFIND (Depth 1) and GET below the Impex mount, as an SFCC instance does, from files held
in memory. The tests make it lie the ways a flaky network or a busy instance does: a GET that declares
the whole Content-Length and sends half, a file that is still growing while it is listed, a file
listed with a WebDAV lock on it. Every request is counted, so a test can tell what pickup asked.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from urllib.parse import quote, unquote, urlsplit
from xml.sax.saxutils import escape

from support.net import LocalHTTPServer
from support.sfcc import MOUNT


@dataclass
class _File:
    data: bytes
    modified: float
    locked: bool = False


@dataclass
class LyingDav:
    """The files of one folder and how the host lies about them; start with `serve()`."""

    folder: str
    files: dict[str, _File] = field(default_factory=dict)
    short_gets: int = 0  # the next this many GETs send half of what their Content-Length declares
    # (name, bytes): after each listing, the next part of a file still being written is appended to it
    grow_after_listing: list[tuple[str, bytes]] = field(default_factory=list)
    broken_listing: bool = False  # PROPFIND answers 207 with a body that is not well-formed XML
    requests: Counter = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: LocalHTTPServer | None = None
    _clock: float = 1_790_000_000.0

    @property
    def url(self) -> str:
        assert self._server is not None, "serve() first"
        return self._server.url

    @property
    def folder_url(self) -> str:
        return f"{self.url}{MOUNT}/{self.folder}"

    def put(self, name: str, data: bytes, locked: bool = False) -> None:
        """Write (or rewrite) a file; each write gets a later modification time, as a real host's."""
        with self._lock:
            self._clock += 1
            self.files[name] = _File(data, self._clock, locked)

    def append(self, name: str, data: bytes) -> None:
        """The next part of a file still being written."""
        with self._lock:
            current = self.files[name]
        self.put(name, current.data + data, current.locked)

    def unlock(self, name: str) -> None:
        with self._lock:
            self.files[name].locked = False

    def serve(self) -> LyingDav:
        self._server = LocalHTTPServer(_handler(self))
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()

    def listing(self) -> bytes:
        """The PROPFIND Depth 1 answer for the folder: the folder, then each file with its lock, if any."""
        with self._lock:
            files = dict(self.files)
        base = f"{MOUNT}/{self.folder}"
        entries = [_response(base + "/", "<D:resourcetype><D:collection/></D:resourcetype>")]
        for name, found in files.items():
            lock = ("<D:lockdiscovery><D:activelock><D:locktype><D:write/></D:locktype><D:lockscope>"
                    "<D:exclusive/></D:lockscope><D:depth>0</D:depth></D:activelock></D:lockdiscovery>"
                    if found.locked else "<D:lockdiscovery/>")
            modified = formatdate(found.modified, usegmt=True)
            props = (f"<D:resourcetype/><D:getcontentlength>{len(found.data)}</D:getcontentlength>"
                     f"<D:getetag>\"{hashlib.sha1(found.data).hexdigest()}\"</D:getetag>"
                     f"<D:getlastmodified>{modified}</D:getlastmodified>{lock}")
            entries.append(_response(f"{base}/{quote(name)}", props))
        return ('<?xml version="1.0" encoding="utf-8"?><D:multistatus xmlns:D="DAV:">'
                + "".join(entries) + "</D:multistatus>").encode()

    def body(self, name: str) -> tuple[bytes, int] | None:
        """The bytes to send and the Content-Length to declare, or None when there is no such file."""
        with self._lock:
            found = self.files.get(name)
            if found is None:
                return None
            if self.short_gets:
                self.short_gets -= 1
                return found.data[: len(found.data) // 2], len(found.data)
            return found.data, len(found.data)


def _response(href: str, props: str) -> str:
    return (f"<D:response><D:href>{escape(href)}</D:href><D:propstat><D:prop>{props}</D:prop>"
            "<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>")


def _handler(host: LyingDav) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # quiet: pytest shows what matters
            pass

        def _answer(self, status: int, body: bytes, length: int | None = None,
                    kind: str = "text/plain") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body) if length is None else length))
            if length is not None and length != len(body):
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(body)

        def do_PROPFIND(self) -> None:  # noqa: N802 (the WebDAV method's name)
            host.requests["PROPFIND"] += 1
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            listing = b"<D:multistatus xmlns:D='DAV:'><D:response>" if host.broken_listing else host.listing()
            self._answer(207, listing, kind="application/xml; charset=utf-8")
            if host.grow_after_listing:
                host.append(*host.grow_after_listing.pop(0))

        def do_GET(self) -> None:  # noqa: N802
            host.requests["GET"] += 1
            name = unquote(urlsplit(self.path).path).rsplit("/", 1)[-1]
            found = host.body(name)
            if found is None:
                self._answer(404, b"not found")
            else:
                self._answer(200, *found, kind="application/octet-stream")

    return Handler
