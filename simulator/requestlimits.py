"""Request bodies the simulator refuses without reading, and a connection it closes instead of draining.

Two WSGI-level pieces, so a refusal never costs the memory or time of the body it refuses:

- `BodyCap` wraps the TikTok app (`create_app`): a request whose declared body is over the cap is
  answered 413 in TikTok's JSON envelope before anything reads it; a chunked one is cut off with the
  same 413 as soon as it grows past the cap. (Flask's MAX_CONTENT_LENGTH silently truncates a chunked
  body at the cap instead.)
- `ClosingGateway` is cheroot's WSGI gateway, except that when the application answers before reading
  a large request body (a 401 to a 1 GB PUT), the connection is closed. cheroot's own gateway keeps
  the connection and reads the unread rest of the body in one `read()` first: a 1 GB body became 1 GB
  of memory. A client that sends such a body before reading the answer may see the connection reset;
  one that reads the answer first (or sends `Expect: 100-continue` and waits) gets the refusal.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from cheroot import wsgi
from werkzeug.exceptions import RequestEntityTooLarge

from simulator.envelope import envelope

DEFAULT_MAX_REQUEST_BODY = 1 << 20  # bytes: the largest call the cartridge makes is a few KB of JSON
TOO_LARGE = 41300  # as every HTTP error of the app: status * 100
# An unread rest up to this is read (cheroot does it in one read), so the client gets a clean answer and
# keeps its connection; a larger one is not worth its memory: the connection is closed instead.
DRAIN_LIMIT = 1 << 20

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _over(size: str, max_bytes: int) -> str:
    return f"the body is {size} bytes, over the limit of {max_bytes} (tiktok-sim serve --max-request-body)"


class BodyCap:
    """Refuse a request declaring more than `max_bytes` of body with 413 and the envelope, unread; a
    chunked body (no declared length) is cut off with the same 413 once it grows past the cap."""

    def __init__(self, app: WsgiApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        declared = (environ.get("CONTENT_LENGTH") or "").strip()
        if declared.isdigit() and int(declared) > self.max_bytes:
            message = f"Request Entity Too Large: {_over(declared, self.max_bytes)}"
            body = json.dumps(envelope(TOO_LARGE, message)).encode()
            start_response("413 Request Entity Too Large", [
                ("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if not declared:
            environ["wsgi.input"] = _CappedInput(environ["wsgi.input"], self.max_bytes)
        return self.app(environ, start_response)


class _CappedInput:
    """wsgi.input that raises 413 (answered in the envelope by the app) past `max_bytes`."""

    def __init__(self, stream: Any, max_bytes: int) -> None:
        self.stream, self.max_bytes, self.room = stream, max_bytes, max_bytes

    def _count(self, data: bytes) -> bytes:
        self.room -= len(data)
        if self.room < 0:
            raise RequestEntityTooLarge(_over(f"more than {self.max_bytes}", self.max_bytes))
        return data

    def _size(self, size: int | None) -> int:
        return self.room + 1 if size is None or size < 0 else min(size, self.room + 1)

    def read(self, size: int | None = -1) -> bytes:
        return self._count(self.stream.read(self._size(size)))

    def readline(self, size: int | None = -1) -> bytes:
        return self._count(self.stream.readline(self._size(size)))

    def readinto(self, buffer: bytearray) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class ClosingGateway(wsgi.Gateway_10):
    """cheroot's WSGI 1.0 gateway that closes the connection rather than drain a large unread body."""

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        write = super().start_response(status, headers, exc_info)
        rfile = self.req.rfile
        if (getattr(rfile, "remaining", 0) or 0) > DRAIN_LIMIT or (
                self.req.chunked_read and not getattr(rfile, "closed", True)):  # a chunked body left unread
            self.req.close_connection = True
        return write
