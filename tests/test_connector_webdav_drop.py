"""Dropping files on a real WsgiDAV server: folder creation, TEMP_ then MOVE, idempotence, errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.connector_servers import DAV_PASSWORD, DAV_USER, AlertServer, DavServer
from support.sfcc import PRODUCT_FOLDER

from connector.webdav import WebDavClient, WebDavError


@pytest.fixture
def dav(tmp_path: Path) -> Iterator[DavServer]:
    server = DavServer(tmp_path / "impex")
    yield server
    server.stop()


def test_feed_is_put_as_temp_then_moved_into_place(dav: DavServer, tmp_path: Path) -> None:
    local = tmp_path / "tiktok-feed-S-20240315021530-en_US.txt"
    local.write_text('"sku_id"\n"A"\n', encoding="utf-8")
    client = WebDavClient(dav.url, DAV_USER, DAV_PASSWORD)

    assert client.drop(local, PRODUCT_FOLDER, local.name, via_temp=True)

    assert dav.names(PRODUCT_FOLDER) == [local.name]
    assert dav.file(f"{PRODUCT_FOLDER}/{local.name}").read_bytes() == local.read_bytes()
    writes = [(method, path) for method, path, _ in dav.requests if method in ("PUT", "MOVE")]
    temp = f"{PRODUCT_FOLDER}/TEMP_{local.name}"
    assert writes == [("PUT", temp), ("MOVE", temp)]
    created = [path for method, path, status in dav.requests if method == "MKCOL" and status == 201]
    assert created == ["src", "src/feeds", "src/feeds/export", "src/feeds/export/social",
                       "src/feeds/export/social/tiktok", PRODUCT_FOLDER]


def test_redrop_of_a_file_already_in_place_sends_nothing(dav: DavServer, tmp_path: Path) -> None:
    local = tmp_path / "feed.txt"
    local.write_text("x\n", encoding="utf-8")
    WebDavClient(dav.url, DAV_USER, DAV_PASSWORD).drop(local, PRODUCT_FOLDER, local.name, via_temp=True)
    dav.requests.clear()

    again = WebDavClient(dav.url, DAV_USER, DAV_PASSWORD)
    assert not again.drop(local, PRODUCT_FOLDER, local.name, via_temp=True)

    assert [method for method, _, _ in dav.requests if method in ("PUT", "MOVE")] == []


def test_direct_put_overwrites_and_leaves_no_temp(dav: DavServer, tmp_path: Path) -> None:
    local = tmp_path / ".lastrun.txt"
    client = WebDavClient(dav.url, DAV_USER, DAV_PASSWORD)
    for text in ('{"deltaEnabled":false,"deleteFileGenerated":true}',
                 '{"deltaEnabled":true,"deleteFileGenerated":true}'):
        local.write_text(text, encoding="utf-8")
        client.drop(local, f"{PRODUCT_FOLDER}/tracking/S", local.name, via_temp=False)
    assert dav.file(f"{PRODUCT_FOLDER}/tracking/S/.lastrun.txt").read_text() == local.read_text()
    assert not any(path.name.startswith("TEMP_") for path in dav.root.rglob("*"))


def test_wrong_password_is_a_clear_error(dav: DavServer, tmp_path: Path) -> None:
    local = tmp_path / "feed.txt"
    local.write_text("x\n", encoding="utf-8")
    with pytest.raises(WebDavError, match=r"HTTP 401: the instance refused the credentials"):
        WebDavClient(dav.url, DAV_USER, "wrong").drop(local, PRODUCT_FOLDER, local.name, via_temp=True)
    assert dav.names(PRODUCT_FOLDER) == []


def test_server_error_and_unreachable_host_are_clear_errors(tmp_path: Path) -> None:
    local = tmp_path / "feed.txt"
    local.write_text("x\n", encoding="utf-8")
    not_dav = AlertServer()   # answers 501 to MKCOL: not a WebDAV server
    try:
        with pytest.raises(WebDavError, match=r"MKCOL http://127\.0\.0\.1:\d+/on/demandware\.servlet/webdav/"
                                              r"Sites/Impex/src answered HTTP 501"):
            WebDavClient(not_dav.url, DAV_USER, DAV_PASSWORD).drop(local, PRODUCT_FOLDER, "f.txt",
                                                                   via_temp=True)
    finally:
        not_dav.stop()
    with pytest.raises(WebDavError, match="cannot reach the instance"):
        WebDavClient(not_dav.url, DAV_USER, DAV_PASSWORD).drop(local, PRODUCT_FOLDER, "f.txt", via_temp=True)


def test_move_never_overwrites_a_different_file(dav: DavServer, tmp_path: Path) -> None:
    client = WebDavClient(dav.url, DAV_USER, DAV_PASSWORD)
    local = tmp_path / "feed.txt"
    local.write_text("first\n", encoding="utf-8")
    client.drop(local, PRODUCT_FOLDER, "feed.txt", via_temp=True)
    local.write_text("second, longer\n", encoding="utf-8")
    with pytest.raises(WebDavError, match="not overwritten"):
        client.drop(local, PRODUCT_FOLDER, "feed.txt", via_temp=True)
    assert dav.file(f"{PRODUCT_FOLDER}/feed.txt").read_text() == "first\n"
