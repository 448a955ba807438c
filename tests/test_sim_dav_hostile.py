"""The embedded WebDAV under hostile or broken requests, against a real server: a PUT is seen only whole,
an unauthenticated body is never read, malformed requests answer 4xx, and no host disk figure leaks."""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.net import basic_auth
from support.simulator_client import Client, running
from support.waiting import wait_for

from simulator import xmlsafe
from simulator.dav import HIDDEN_PREFIX, impex_root

GIB = 1 << 30
FOLDER = "src/feeds"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    with running(tmp_path / "sim", dav_user="merchant", dav_password="access-key") as sim:
        sim.dav("MKCOL", "src")
        sim.dav("MKCOL", FOLDER)
        yield sim


def _open(client: Client, method: str, relpath: str, headers: dict[str, str]) -> socket.socket:
    """A raw connection that has sent the request head only: the test decides what of the body follows."""
    sock = socket.create_connection(("127.0.0.1", client.server.port), timeout=10)
    path = f"{client.server.dav_url.split(str(client.server.port), 1)[1]}/{relpath}"
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n".encode("latin-1"))
    return sock


def _read_answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _listing(client: Client) -> bytes:
    status, body = client.dav("PROPFIND", FOLDER + "/", headers={"Depth": "1"})
    assert status == 207, status
    return body


def _disk_names(client: Client) -> list[str]:
    return sorted(p.name for p in (impex_root(client.server.data_dir) / FOLDER).iterdir())


def _writing(client: Client) -> bool:
    return any(name.startswith(HIDDEN_PREFIX) for name in _disk_names(client))


def test_an_unauthenticated_1_gib_put_is_refused_before_its_body_and_the_connection_closed(
    client: Client,
) -> None:
    sock = _open(client, "PUT", f"{FOLDER}/big.txt", {"Content-Length": str(GIB)})
    sock.sendall(b"x" * 65536)  # a little of the body; the answer must not wait for the rest
    answer = _read_answer(sock)  # returns only because the server closes instead of draining 1 GiB
    sock.close()
    assert answer.startswith(b"HTTP/1.1 401 "), answer[:200]
    assert b'WWW-Authenticate: Basic realm="SFCC WebDAV"' in answer
    assert _disk_names(client) == []


@pytest.mark.parametrize("header", [
    "Basic %%%not-base64%%%", "Basic " + base64.b64encode(b"no-colon").decode(), "Basic",
    "Basic " + base64.b64encode(b"\xff\xfe:\x00").decode(), "Bearer abc", "Basic " + "A" * 10000,
])
def test_a_malformed_basic_auth_header_answers_401(client: Client, header: str) -> None:
    status, _ = client.dav("GET", f"{FOLDER}/", headers={"Authorization": header}, auth=False)
    assert status == 401


@pytest.mark.parametrize("method", ["GET", "PUT", "PROPFIND", "DELETE"])
def test_a_nul_in_the_path_answers_400(client: Client, method: str) -> None:
    status, body = client.dav(method, f"{FOLDER}/a%00b.txt", b"x" if method == "PUT" else None)
    assert status == 400 and b"NUL" in body
    assert _disk_names(client) == []


@pytest.mark.parametrize("method", ["GET", "PUT", "MKCOL"])
def test_a_file_name_over_255_bytes_answers_400(client: Client, method: str) -> None:
    name = "%C3%A9" * 128  # 128 "é": 256 bytes in UTF-8, 128 characters
    status, body = client.dav(method, f"{FOLDER}/{name}", b"x" if method == "PUT" else None)
    assert status == 400 and b"255 bytes" in body
    assert _disk_names(client) == []


def test_a_lock_body_with_a_doctype_answers_400_and_locks_nothing(client: Client) -> None:
    client.dav("PUT", f"{FOLDER}/a.txt", b"hello")
    lockinfo = (b'<?xml version="1.0"?><!-- owner --><!DOCTYPE lockinfo [<!ENTITY e "x">]>'
                b'<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>'
                b"<D:locktype><D:write/></D:locktype><D:owner>&e;</D:owner></D:lockinfo>")
    status, body = client.dav("LOCK", f"{FOLDER}/a.txt", lockinfo, {"Content-Type": "application/xml"})
    assert status == 400 and b"DOCTYPE" in body
    assert client.dav("PUT", f"{FOLDER}/a.txt", b"still writable")[0] == 204


def test_propfind_reports_no_disk_quota(client: Client) -> None:
    allprop = b'<?xml version="1.0"?><propfind xmlns="DAV:"><allprop/></propfind>'
    quota = (b'<?xml version="1.0"?><propfind xmlns="DAV:"><prop><quota-used-bytes/><quota-available-bytes/>'
             b"</prop></propfind>")
    for body in (allprop, quota):
        status, answer = client.dav("PROPFIND", FOLDER + "/", body, {"Depth": "0"})
        assert status == 207
        found = [prop.tag for stat in xmlsafe.fromstring(answer).iter("{DAV:}propstat")
                 if " 200 " in (stat.findtext("{DAV:}status") or "") for prop in stat.iter()]
        assert not any("quota" in str(tag) for tag in found), found
        assert ("{DAV:}displayname" in found) == (body == allprop)


def test_a_put_is_visible_only_once_complete(client: Client) -> None:
    data = b"sku_id\n" + b"PX-16372\n" * 10000
    credentials = basic_auth(client.server.dav_user, client.server.dav_password)
    sock = _open(client, "PUT", f"{FOLDER}/delete.txt", {"Content-Length": str(len(data)), **credentials})
    sock.sendall(data[: len(data) // 2])
    wait_for(lambda: _writing(client), "the PUT to start writing")
    assert b"delete.txt" not in _listing(client) and HIDDEN_PREFIX.encode() not in _listing(client)
    assert client.dav("GET", f"{FOLDER}/delete.txt")[0] == 404
    hidden = next(n for n in _disk_names(client) if n.startswith(HIDDEN_PREFIX))
    assert client.dav("GET", f"{FOLDER}/{hidden}")[0] == 404
    sock.sendall(data[len(data) // 2:])
    assert sock.recv(65536).startswith(b"HTTP/1.1 201 ")
    sock.close()
    assert client.dav("GET", f"{FOLDER}/delete.txt") == (200, data)
    assert _disk_names(client) == ["delete.txt"]


@pytest.mark.parametrize("existing", [None, b"old content\n"])
def test_an_interrupted_put_leaves_nothing_visible_and_no_litter(
    client: Client, existing: bytes | None
) -> None:
    if existing is not None:
        client.dav("PUT", f"{FOLDER}/feed.txt", existing)
    credentials = basic_auth(client.server.dav_user, client.server.dav_password)
    sock = _open(client, "PUT", f"{FOLDER}/feed.txt", {"Content-Length": "100000", **credentials})
    sock.sendall(b"PX-16\n" * 1000)
    wait_for(lambda: _writing(client), "the PUT to start writing")
    sock.close()  # the connection drops mid-body
    wait_for(lambda: not _writing(client), "the temporary file to go")
    expected = [] if existing is None else ["feed.txt"]
    assert _disk_names(client) == expected
    if existing is not None:
        assert client.dav("GET", f"{FOLDER}/feed.txt") == (200, existing)


def test_hidden_names_are_reserved(client: Client) -> None:
    status, _ = client.dav("PUT", f"{FOLDER}/{HIDDEN_PREFIX}mine", b"x")
    assert status in (403, 404, 409)
    assert _disk_names(client) == []


def test_a_killed_process_s_temporaries_are_removed_at_the_next_start(tmp_path: Path) -> None:
    folder = impex_root(tmp_path / "sim") / FOLDER
    folder.mkdir(parents=True)
    (folder / f"{HIDDEN_PREFIX}abc").write_bytes(b"half a feed")
    (folder / "kept.txt").write_bytes(b"whole")
    with running(tmp_path / "sim", dav_user="merchant", dav_password="access-key") as client:
        assert client.dav("GET", f"{FOLDER}/kept.txt") == (200, b"whole")
    assert sorted(p.name for p in folder.iterdir()) == ["kept.txt"]
