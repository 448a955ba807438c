"""TLS on cheroot with each handshake done by the worker thread that serves the connection.

cheroot's own adapter completes the handshake on its one accepting thread, so a client that connected
and said nothing held up every new connection until its socket timed out (10 s). Here the accepting
thread only wraps the socket; the handshake runs on the connection's first turn in a worker thread,
like the reading of a slow request, and its failures end as cheroot's own would: a dropped handshake
closes the connection, plain HTTP on the https port gets cheroot's 400 in plain text.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from typing import Any

from cheroot.server import HTTPConnection
from cheroot.ssl.builtin import BuiltinSSLAdapter

_PLAIN_MESSAGE = b"The client sent a plain HTTP request, but this server only speaks HTTPS on this port."
_PLAIN_HTTP_400 = (b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                   b"Content-Length: %d\r\n\r\n%s" % (len(_PLAIN_MESSAGE), _PLAIN_MESSAGE))


class DeferredHandshakeAdapter(BuiltinSSLAdapter):
    """Wraps accepted sockets without their handshake (`TlsConnection` does it)."""

    def wrap(self, sock: socket.socket) -> tuple[ssl.SSLSocket, dict[str, Any]]:
        wrapped = self.context.wrap_socket(sock, do_handshake_on_connect=False, server_side=True)
        # The cipher is not known before the handshake: requests see the scheme, not SSL_CIPHER & co.
        return wrapped, {"wsgi.url_scheme": "https", "HTTPS": "on", **self._server_env}


class TlsConnection(HTTPConnection):
    """An https connection that completes its handshake before its first request is read."""

    _shaken = False

    def communicate(self) -> bool:
        if not self._shaken:
            if not self._handshake():
                return False
            self._shaken = True
        return super().communicate()

    def _handshake(self) -> bool:
        """True once done; False (the connection is closed by the caller) when the peer failed it."""
        try:
            self.socket.do_handshake()
        except ssl.SSLError as error:
            if "http request" in str(error).lower():  # OpenSSL's reason when a plain request came
                self._answer_plain_request()
            return False
        except OSError:  # the peer went away or timed out during the handshake
            return False
        return True

    def _answer_plain_request(self) -> None:
        """Tell a plain-HTTP client what went wrong, in plain text, never serving it."""
        with contextlib.suppress(OSError):
            socket.socket.sendall(self.socket, _PLAIN_HTTP_400)  # the TCP socket under the TLS layer
