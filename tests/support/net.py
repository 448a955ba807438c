"""HTTP as the tests speak it: one request helper, Basic auth, and small recording servers on loopback."""

from __future__ import annotations

import base64
import functools
import ssl
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REQUEST_TIMEOUT_S = 10.0
# How often a test server's loop looks for a stop request: the libraries' 0.5 s (http.server's
# poll_interval, cheroot's expiration_interval) made every teardown wait about that long.
STOP_POLL_S = 0.02


@functools.cache
def trusting(ca_file: str) -> ssl.SSLContext:
    """A verifying client context that trusts the CA in `ca_file` (a test's or the simulator's)."""
    return ssl.create_default_context(cafile=ca_file)


def request(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None,
            ca_file: str | Path | None = None) -> tuple[int, bytes]:
    """Send one request; an HTTP error status is an answer to assert on, not an exception.

    https verifies against `ca_file` when given, else the system store, as a careful client does."""
    prepared = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    context = trusting(str(ca_file)) if ca_file else None
    try:
        with urllib.request.urlopen(prepared, timeout=REQUEST_TIMEOUT_S, context=context) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def basic_auth(user: str, password: str) -> dict[str, str]:
    """The Authorization header a WebDAV client sends for these credentials."""
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


class LocalHTTPServer:
    """An http.server handler on 127.0.0.1 and a free port, served from a thread until `stop()`;
    https with the given server context."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], tls: ssl.SSLContext | None = None) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        if tls:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(STOP_POLL_S,),
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and free the port, so a later connection is refused."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
