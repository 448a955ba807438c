"""The request journal: a bounded ring of every request the simulator served or sent, secrets masked.

QA engineers assert on it (WireMock's `/__admin/requests`): the order of a sync's WebDAV calls and
alerts, what pickup fetched, each webhook attempt. `middleware` journals what comes in, around the one
WSGI dispatcher, so the TikTok API and the embedded WebDAV are seen alike; `watch` and `Journal.outbound`
journal what the simulator sends. Bodies are never kept whole: their size and SHA-256 are counted while
they stream, and only API bodies up to `JSON_CAP` are kept, parsed, with secret keys masked.
Credentials never reach an entry: headers, query parameters and JSON keys that carry them are masked.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from simulator.per_store import PerStore

DEFAULT_SIZE = 1000
JSON_CAP = 64 * 1024
MASK = "***"
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-tts-access-token", "cookie", "set-cookie"}
)
SECRET_QUERY = frozenset(
    {"sign", "access_token", "app_secret", "auth_code", "code", "refresh_token", "external_data"}
)
# JSON keys whose value is masked wherever they appear: passwords, secrets, tokens, signatures, HMACs.
SECRET_KEY = re.compile(r"password|secret|token|auth_code|sign|hmac|external_data", re.IGNORECASE)
DIRECTIONS = ("inbound", "outbound")

Entry = dict[str, Any]
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def mask_query(query: str) -> str:
    """The raw query with the value of every secret parameter replaced; the rest kept byte for byte."""
    if not query:
        return query
    parts = []
    for pair in query.split("&"):
        key, eq, _ = pair.partition("=")
        parts.append(f"{key}={MASK}" if eq and key.lower() in SECRET_QUERY else pair)
    return "&".join(parts)


def mask_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name: MASK if name.lower() in SECRET_HEADERS else value for name, value in headers}


def mask_json(value: Any) -> Any:
    """A copy of a parsed JSON value with every secret key's value masked, at any depth."""
    if isinstance(value, dict):
        return {k: MASK if SECRET_KEY.search(k) else mask_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_json(v) for v in value]
    return value


def _parsed(kept: bytes | None, size: int) -> Any:
    """The body as masked JSON, when it was kept whole and is JSON; None otherwise."""
    if kept is None or size == 0 or size > JSON_CAP:
        return None
    try:
        return mask_json(json.loads(kept))
    except ValueError:
        return None


class Journal:
    """The last `size` entries, oldest first; safe to share between threads."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        if size < 1:
            raise ValueError(f"journal size must be at least 1, got {size}")
        self._entries: deque[Entry] = deque(maxlen=size)
        self._lock = threading.Lock()
        self._seq = 0

    def add(self, entry: Entry) -> None:
        with self._lock:
            self._seq += 1
            self._entries.append({"seq": self._seq, **entry})

    def entries(
        self, since: int = 0, direction: str | None = None, method: str | None = None, path_prefix: str = ""
    ) -> list[Entry]:
        with self._lock:
            found = list(self._entries)
        return [
            e for e in found
            if e["seq"] > since and (direction is None or e["direction"] == direction)
            and (method is None or e["method"] == method) and e["path"].startswith(path_prefix)
        ]  # fmt: skip

    @property
    def last_seq(self) -> int:
        return self._seq

    def clear(self) -> None:
        """Empty the ring; sequence numbers go on, so a reader's `since` stays meaningful."""
        with self._lock:
            self._entries.clear()

    def outbound(
        self, method: str, url: str, headers: dict[str, str], body: bytes, started: tuple[float, float],
        status: int, error: str | None = None,
    ) -> None:
        """One request the simulator sent, `started` at (wall clock, monotonic clock): `status` 0 when no
        answer came (`error` says why)."""
        parts = urlsplit(url)
        entry = {
            "time": started[0], "direction": "outbound", "method": method,
            "host": parts.netloc.rpartition("@")[2], "path": parts.path, "query": mask_query(parts.query),
            "status": status, "duration_ms": _ms_since(started[1]),
            "headers": mask_headers(headers.items()), "body_size": len(body),
            "body_sha256": hashlib.sha256(body).hexdigest(),
        }  # fmt: skip
        parsed = _parsed(body, len(body))
        if parsed is not None:
            entry["json"] = parsed
        if error:
            entry["error"] = error
        self.add(entry)


def now() -> tuple[float, float]:
    """When a request starts: the wall clock for the entry, the monotonic clock for its duration."""
    return time.time(), time.monotonic()


def _ms_since(clock: float) -> float:
    return round((time.monotonic() - clock) * 1000, 3)


# --- the journal of each simulator -----------------------------------------------------------------------

# The journal of the simulator that owns a store (`of(store)`): pickup and the webhook sender get only the
# store. The server attaches its own; a store used without a server gets a private one.
of: PerStore[Journal] = PerStore(Journal)
attach = of.attach


# --- inbound: WSGI middleware ------------------------------------------------------------------------------


class _CountingInput:
    """wsgi.input that counts and hashes what the app reads, and keeps the first bytes of API bodies."""

    def __init__(self, stream: Any, keep: bool) -> None:
        self._stream = stream
        self.size = 0
        self.sha = hashlib.sha256()
        self.kept: bytearray | None = bytearray() if keep else None

    def _take(self, data: bytes) -> bytes:
        self.size += len(data)
        self.sha.update(data)
        if self.kept is not None and len(self.kept) <= JSON_CAP:
            self.kept += data[: JSON_CAP + 1 - len(self.kept)]
        return data

    def read(self, *args: Any) -> bytes:
        return self._take(self._stream.read(*args))

    def readline(self, *args: Any) -> bytes:
        return self._take(self._stream.readline(*args))

    def readlines(self, *args: Any) -> list[bytes]:
        return [self._take(line) for line in self._stream.readlines(*args)]

    def __iter__(self) -> Iterator[bytes]:
        return (self._take(line) for line in self._stream)


class _Answer:
    """The app's response iterable. It journals the request just before it hands over the answer's last
    chunk, so a client that got the whole answer finds the entry; or at close, if the answer broke off."""

    def __init__(self, body: Iterable[bytes], finish: Callable[[], None]) -> None:
        self._body = body
        self._finish: Callable[[], None] | None = finish

    def _done(self) -> None:
        finish, self._finish = self._finish, None
        if finish is not None:
            finish()

    def __iter__(self) -> Iterator[bytes]:
        chunks = iter(self._body)
        held = next(chunks, None)
        for chunk in chunks:
            yield held  # type: ignore[misc]  # not None: the loop runs only after a first chunk
            held = chunk
        self._done()
        if held is not None:
            yield held

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._done()


def middleware(app: WsgiApp, journal: Journal, skip: tuple[str, ...], no_json: tuple[str, ...]) -> WsgiApp:
    """`app` with every request journaled, except paths under `skip` (the control plane reading itself).

    Bodies under `no_json` (the WebDAV mount) are only counted and hashed, never kept."""

    def journaled(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(skip):
            return app(environ, start_response)
        started, clock = now()
        body = _CountingInput(environ["wsgi.input"], keep=not path.startswith(no_json))
        environ["wsgi.input"] = body
        status = [0]

        def noted(status_line: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            status[0] = int(status_line[:3])
            return start_response(status_line, headers, *exc_info)

        def finish() -> None:
            sent = (
                (k.removeprefix("HTTP_").replace("_", "-").title(), v)
                for k, v in environ.items() if k.startswith(("HTTP_", "CONTENT_"))
            )
            entry = {
                "time": started, "direction": "inbound", "method": environ.get("REQUEST_METHOD", ""),
                "path": path, "query": mask_query(environ.get("QUERY_STRING", "")), "status": status[0],
                "duration_ms": _ms_since(clock), "headers": mask_headers(sent),
                "body_size": body.size, "body_sha256": body.sha.hexdigest(),
            }  # fmt: skip
            parsed = _parsed(bytes(body.kept) if body.kept is not None else None, body.size)
            if parsed is not None:
                entry["json"] = parsed
            journal.add(entry)

        try:
            answer = app(environ, noted)
        except BaseException:
            finish()
            raise
        return _Answer(answer, finish)

    return journaled


# --- outbound: the simulator's own HTTP calls -------------------------------------------------------------


def watch(conn: http.client.HTTPConnection, journal: Journal) -> http.client.HTTPConnection:
    """Journal the request `conn` sends, once its answer's status line came (or the call failed)."""
    send, answer = conn.request, conn.getresponse
    sent: dict[str, Any] = {}

    def request(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None,
                **kwargs: Any) -> None:
        sent.update(method=method, url=url, headers=dict(headers or {}), body=body or b"", started=now())
        try:
            send(method, url, body, headers or {}, **kwargs)
        except OSError as error:
            _sent(journal, conn, sent, 0, str(error))
            raise

    def getresponse() -> http.client.HTTPResponse:
        try:
            response = answer()
        except OSError as error:
            _sent(journal, conn, sent, 0, str(error))
            raise
        _sent(journal, conn, sent, response.status)
        return response

    conn.request = request  # type: ignore[method-assign]
    conn.getresponse = getresponse  # type: ignore[method-assign]
    return conn


def _sent(journal: Journal, conn: http.client.HTTPConnection, sent: dict[str, Any], status: int,
          error: str | None = None) -> None:
    scheme = "https" if isinstance(conn, http.client.HTTPSConnection) else "http"
    url = f"{scheme}://{conn.host}:{conn.port}{sent['url']}"
    journal.outbound(sent["method"], url, sent["headers"], sent["body"], sent["started"], status, error)
