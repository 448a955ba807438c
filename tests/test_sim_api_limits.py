"""The TikTok API's limits against a real server: a body over the cap is refused unread with 413 in TikTok's
envelope (`serve --max-request-body` moves the cap), a deeply nested JSON body is 400, and `/api/jobs`
pages, filters by state and keeps its default answer bounded."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.simulator_client import FINISHED, Client, running
from support.waiting import wait_for

from simulator.api import JOB_STATES, JOBS_PAGE
from simulator.requestlimits import DEFAULT_MAX_REQUEST_BODY

ALERT = "/tbp/v2.0/feed/download/"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    with running(tmp_path / "sim", dav_user="merchant", dav_password="access-key") as sim:
        yield sim


def head_only(
    port: int, path: str, length: int, chunk: bytes = b"", keep_alive: bool = True
) -> tuple[bytes, bytes]:
    """Send a POST's head declaring `length` body bytes and at most `chunk` of them; the answer, and what
    the server sends after it (b"" when it closed the connection)."""
    close = "" if keep_alive else "Connection: close\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{close}"
                     f"Content-Length: {length}\r\n\r\n".encode() + chunk)
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(65536)
        head, _, body = answer.partition(b"\r\n\r\n")
        size = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")))
        while len(body) < size:
            body += sock.recv(65536)
        return answer.split(b"\r\n", 1)[0] + b"\r\n" + body, sock.recv(65536)


def test_a_500_mb_alert_is_refused_unread_with_413_and_the_connection_closed(client: Client) -> None:
    answer, after = head_only(client.server.port, ALERT, 500 * 1000 * 1000, b"{" * 1000)
    status, _, body = answer.partition(b"\r\n")
    assert status.startswith(b"HTTP/1.1 413 ")
    envelope = json.loads(body)
    assert envelope["code"] == 41300 and "--max-request-body" in envelope["message"]
    assert after == b""  # closed: the 500 MB were never read
    assert client.jobs() == []


def test_a_chunked_body_growing_past_the_cap_is_cut_off_with_413(client: Client) -> None:
    chunk = b" " * 65536
    with socket.create_connection(("127.0.0.1", client.server.port), timeout=10) as sock:
        sock.sendall(f"POST {ALERT} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n".encode()
                     + b"Content-Type: application/json\r\n\r\n1\r\n{\r\n")
        sent = 0
        with contextlib.suppress(OSError):  # the server may close while the rest is still going out
            while sent <= 2 * DEFAULT_MAX_REQUEST_BODY:
                sock.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
                sent += len(chunk)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status, _, rest = answer.partition(b"\r\n")
    assert status.startswith(b"HTTP/1.1 413 "), answer[:300]
    envelope = json.loads(rest.partition(b"\r\n\r\n")[2])
    assert envelope["code"] == 41300 and "--max-request-body" in envelope["message"]
    assert client.jobs() == []


def test_a_body_at_the_cap_is_read_and_one_byte_over_is_not(client: Client) -> None:
    padding = " " * (DEFAULT_MAX_REQUEST_BODY - 2)
    status, answer = client.api("POST", ALERT, raw=("{" + padding + "}").encode())
    assert status == 200 and answer["code"] != 41300
    over, _ = head_only(client.server.port, ALERT, DEFAULT_MAX_REQUEST_BODY + 1)
    assert over.startswith(b"HTTP/1.1 413 ") and b'"code": 41300' in over


def test_a_json_body_nested_100000_deep_answers_400(client: Client) -> None:
    for raw in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000):
        status, answer = client.api("POST", ALERT, raw=raw)
        assert (status, answer["code"]) == (400, 40000), answer
        assert "nested too deeply" in answer["message"]


def test_serve_max_request_body_moves_the_cap(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "from simulator.cli import main; main()", "serve", "--data-dir",
               str(tmp_path / "sim"), "--port", "0", "--max-request-body", "300"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        banner: dict[str, str] = {}
        while not (line := proc.stdout.readline()).startswith("Press Ctrl-C"):
            assert line, proc.stderr.read() if proc.stderr else ""
            name, _, value = line.partition(":")
            banner[name] = value.strip()
        port = int(banner["TikTok Shop API"].rsplit(":", 1)[1])
        try:
            over, _ = head_only(port, ALERT, 301, b"{" + b" " * 299 + b"}")
            under, _ = head_only(port, ALERT, 300, b"{" + b" " * 298 + b"}", keep_alive=False)
        finally:
            proc.terminate()
            proc.communicate(timeout=20)
    assert over.startswith(b"HTTP/1.1 413 ")
    assert under.startswith(b"HTTP/1.1 200 ") and b'"code":40002' in under.replace(b" ", b"")


def _jobs(client: Client, query: str) -> tuple[int, dict]:
    return client.api("GET", "/api/jobs" + query)


def test_api_jobs_pages_with_limit_and_cursor_and_filters_by_state(client: Client) -> None:
    ids = [client.alert()["data"]["job_id"] for _ in range(5)]
    finished = wait_for(lambda: all(j["state"] in FINISHED for j in client.jobs()) and client.jobs(),
                        "the jobs to finish")
    status, first = _jobs(client, "?limit=2")
    assert status == 200 and [j["id"] for j in first["jobs"]] == ids[:2] and first["next_cursor"]
    status, second = _jobs(client, f"?limit=2&cursor={first['next_cursor']}")
    assert [j["id"] for j in second["jobs"]] == ids[2:4]
    status, last = _jobs(client, f"?limit=2&cursor={second['next_cursor']}")
    assert [j["id"] for j in last["jobs"]] == ids[4:] and last["next_cursor"] == ""
    for state in JOB_STATES:
        expected = [j["id"] for j in finished if j["state"] == state]
        assert [j["id"] for j in _jobs(client, f"?state={state}")[1]["jobs"]] == expected


@pytest.mark.parametrize("query", ["?limit=0", "?limit=1001", "?limit=ten", "?cursor=abc", "?state=done"])
def test_api_jobs_refuses_a_bad_query_with_400(client: Client, query: str) -> None:
    status, answer = _jobs(client, query)
    assert (status, answer["code"]) == (400, 40000), answer
    assert query[1:].split("=")[1] in answer["message"]


def test_api_jobs_answers_at_most_a_page_by_default(client: Client) -> None:
    for _ in range(JOBS_PAGE + 1):
        client.alert()
    status, answer = _jobs(client, "")
    assert status == 200 and len(answer["jobs"]) == JOBS_PAGE and answer["next_cursor"]
    rest = _jobs(client, f"?cursor={answer['next_cursor']}")[1]
    assert len(rest["jobs"]) == 1 and rest["next_cursor"] == ""
