"""https connections are accepted while another client sits silent, half-way or plain-HTTP on the port:
the handshake runs on the connection's worker thread, never on the one thread that accepts."""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from support.simulator_client import Client, running

# Well below cheroot's 10 s socket timeout, which a silent client used to hold every new connection for.
PROMPT_S = 3.0


def health_seconds(client: Client) -> float:
    """How long a fresh https client waits for the health answer."""
    trust = ssl.create_default_context(cafile=str(client.ca_file))
    start = time.monotonic()
    with urllib.request.urlopen(client.server.base_url + "/_sim/health", timeout=15, context=trust) as answer:
        assert answer.status == 200
    return time.monotonic() - start


@contextlib.contextmanager
def connected(client: Client) -> Iterator[socket.socket]:
    """A TCP connection to the simulator's https port that sends nothing until told to."""
    sock = socket.create_connection(("127.0.0.1", client.server.port), timeout=15)
    try:
        yield sock
    finally:
        sock.close()


def test_a_silent_client_does_not_hold_up_other_connections(tmp_path: Path) -> None:
    with running(tmp_path / "sim", tls=True) as client, connected(client), connected(client):
        assert health_seconds(client) < PROMPT_S
        assert health_seconds(client) < PROMPT_S


def test_a_client_that_stops_half_way_through_the_handshake_holds_up_nothing(tmp_path: Path) -> None:
    with running(tmp_path / "sim", tls=True) as client, connected(client) as sock:
        context = ssl.create_default_context(cafile=str(client.ca_file))
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        half = context.wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
        with contextlib.suppress(ssl.SSLWantReadError):
            half.do_handshake()
        sock.sendall(outgoing.read())  # the ClientHello, then silence
        assert health_seconds(client) < PROMPT_S


def test_plain_http_on_the_https_port_gets_a_plain_400_and_is_never_served(tmp_path: Path) -> None:
    with running(tmp_path / "sim", tls=True) as client, connected(client) as sock:
        sock.sendall(b"GET /_sim/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n"), answer
        assert answer.endswith(b"this server only speaks HTTPS on this port."), answer
        assert b'"ok"' not in answer and b"healthy" not in answer
        assert health_seconds(client) < PROMPT_S  # and the server goes on serving https
