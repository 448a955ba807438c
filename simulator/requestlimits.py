"""Request bodies the simulator refuses without reading, and a connection it closes instead of draining.

Two WSGI-level pieces, so a refusal never costs the memory or time of the body it refuses:

- `BodyCap` wraps the TikTok app (`create_app`): a request whose declared body is over the cap is
  answered 413 in TikTok's JSON envelope before anything reads it (Flask's MAX_CONTENT_LENGTH catches
  a chunked body that grows past the cap while it is read).
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

from simulator.envelope import envelope

DEFAULT_MAX_REQUEST_BODY = 1 << 20  # bytes: the largest call the cartridge makes is a few KB of JSON
TOO_LARGE = 41300  # as every HTTP error of the app: status * 100
# An unread rest up to this is read (cheroot does it in one read), so the client gets a clean answer and
# keeps its connection; a larger one is not worth its memory: the connection is closed instead.
DRAIN_LIMIT = 1 << 20

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class BodyCap:
    """Refuse a request declaring more than `max_bytes` of body with 413 and the envelope, unread."""

    def __init__(self, app: WsgiApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        declared = (environ.get("CONTENT_LENGTH") or "").strip()
        if declared.isdigit() and int(declared) > self.max_bytes:
            message = (f"Request Entity Too Large: the body is {declared} bytes, over the limit of "
                       f"{self.max_bytes} (tiktok-sim serve --max-request-body)")
            body = json.dumps(envelope(TOO_LARGE, message)).encode()
            start_response("413 Request Entity Too Large", [
                ("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return self.app(environ, start_response)


class ClosingGateway(wsgi.Gateway_10):
    """cheroot's WSGI 1.0 gateway that closes the connection rather than drain a large unread body."""

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        write = super().start_response(status, headers, exc_info)
        if (getattr(self.req.rfile, "remaining", 0) or 0) > DRAIN_LIMIT:
            self.req.close_connection = True
        return write
