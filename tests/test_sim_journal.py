"""The request journal: every request in and out, in order, bounded, filtered, and never a secret in clear."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support.cartridge import AUTH_CALLBACK, call, callback_body, external_data
from support.net import basic_auth
from support.partner import PartnerClient
from support.sfcc import PRODUCT_FOLDER
from support.simulator_client import Client, feed, row, running
from support.webhook_receiver import WebhookReceiver

from simulator.cli import main as simulator_main
from simulator.dav import DAV_MOUNT
from simulator.journal import JSON_CAP

ALERT = "/tbp/v2.0/feed/download/"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    with running(tmp_path / "sim") as sim:
        yield sim


def journal(client: Client, query: str = "") -> list[dict[str, Any]]:
    status, answer = client.api("GET", "/_sim/journal" + query)
    assert status == 200 and answer["code"] == 0, answer
    return answer["data"]["entries"]


def test_a_sync_is_journaled_in_order_with_its_bodies_counted(client: Client) -> None:
    data = feed([row("A1", "GOOD")])
    client.drop(PRODUCT_FOLDER, "tiktok-feed-RefArch-20261126000001-en_US.txt", data)
    assert client.run()["state"] == "completed"
    entries = journal(client, "?direction=inbound")
    calls = [(e["method"], e["path"].rsplit("/", 1)[-1])
             for e in entries if e["method"] in ("PUT", "MOVE", "POST")]
    assert calls == [("PUT", "TEMP_tiktok-feed-RefArch-20261126000001-en_US.txt"),
                     ("MOVE", "TEMP_tiktok-feed-RefArch-20261126000001-en_US.txt"), ("POST", "")]
    put = next(e for e in entries if e["method"] == "PUT")
    sha256 = hashlib.sha256(data).hexdigest()
    assert (put["status"], put["body_size"], put["body_sha256"]) == (201, len(data), sha256)
    assert "json" not in put  # a WebDAV body is counted, never kept
    assert put["path"].startswith(DAV_MOUNT) and put["duration_ms"] >= 0 and put["time"] > 0
    alert = next(e for e in entries if e["path"] == ALERT)
    assert alert["json"]["params"]["feed_type"] == "product" and alert["status"] == 200
    assert [e["seq"] for e in entries] == sorted(e["seq"] for e in entries)


def test_pickup_calls_are_journaled_outbound(client: Client) -> None:
    client.drop_feed([row("A1", "GOOD")])
    assert client.run()["state"] == "completed"
    outbound = journal(client, "?direction=outbound")
    assert [e["method"] for e in outbound] == ["PROPFIND", "GET"]
    assert all(e["headers"]["Authorization"] == "***" and e["status"] in (200, 207) for e in outbound)
    assert outbound[0]["host"] == client.server.base_url.split("://")[1]


def test_filters_since_and_clear(client: Client) -> None:
    client.drop_feed([row("A1", "GOOD")])
    assert client.run()["state"] == "completed"
    everything = journal(client)
    assert {e["method"] for e in journal(client, "?method=put")} == {"PUT"}
    assert {e["path"] for e in journal(client, "?path_prefix=/tbp/")} == {ALERT}
    middle = everything[len(everything) // 2]["seq"]
    assert [e["seq"] for e in journal(client, f"?since={middle}")] == [
        e["seq"] for e in everything if e["seq"] > middle]
    status, answer = client.api("DELETE", "/_sim/journal")
    assert status == 200 and answer["data"]["last_seq"] == everything[-1]["seq"]
    assert journal(client) == []
    client.api("GET", "/api/jobs")
    (after,) = journal(client)
    assert after["seq"] == everything[-1]["seq"] + 1  # numbers go on after a clear


def test_the_journal_is_a_bounded_ring(tmp_path: Path) -> None:
    with running(tmp_path / "sim", journal_size=3) as client:
        for _ in range(5):
            client.api("GET", "/api/jobs")
        assert [e["seq"] for e in journal(client)] == [3, 4, 5]


@pytest.mark.parametrize(("query", "named"), [
    ("?sinse=3", "'sinse'"), ("?since=-1", "'since'"), ("?since=x", "'since'"),
    ("?direction=up", "'direction'"),
])
def test_bad_journal_queries_are_refused_naming_the_parameter(client: Client, query: str, named: str) -> None:
    status, answer = client.api("GET", "/_sim/journal" + query)
    assert (status, answer["code"]) == (400, 40003) and named in answer["message"], answer


def test_a_large_api_body_is_counted_not_kept(client: Client) -> None:
    body = json.dumps({"pad": "x" * JSON_CAP}).encode()
    client.api("POST", ALERT, raw=body)
    (entry,) = journal(client, "?path_prefix=/tbp/")
    assert entry["body_size"] == len(body) and "json" not in entry


def test_no_secret_is_journaled_in_clear(client: Client) -> None:
    """Every credential a run uses, grepped for in the whole journal."""
    server = client.server
    tenant = server.external_business_id
    receiver = WebhookReceiver()
    try:
        extra = external_data(tenant, server.external_data_key)
        status, _ = call(server.base_url, "POST", AUTH_CALLBACK, extra,
                         callback_body(tenant, server.base_url, server.dav_user, server.dav_password))
        assert status == 200
        partner = PartnerClient(server.base_url, server.app_key, server.app_secret)
        code = partner.call("POST", f"/_sim/shops/{tenant}/auth_code", {})[1]["code"]
        query = {"app_key": server.app_key, "app_secret": server.app_secret, "auth_code": code,
                 "grant_type": "authorized_code"}
        token = partner.call("GET", "/api/v2/token/get", query)[1]["data"]
        refreshed = partner.call("GET", "/api/v2/token/refresh", {**query, "grant_type": "refresh_token",
                                                                    "refresh_token": token["refresh_token"]})
        partner.access_token = refreshed[1]["data"]["access_token"]
        signed = partner.signed_query("/authorization/202309/shops")
        partner.call("GET", "/authorization/202309/shops", signed)
        partner.shop_cipher = partner.get("/authorization/202309/shops")[1]["data"]["shops"][0]["cipher"]
        body = json.dumps({"address": receiver.url, "event_type": "PRODUCT_CREATION"}).encode()
        hooks = "/event/202309/webhooks"
        partner.call("PUT", hooks, partner.signed_query(hooks, body), body)
        client.drop_feed([row("A1", "GOOD")])
        assert client.run()["state"] == "completed"
        (delivery,) = receiver.wait(1)
    finally:
        receiver.stop()
    everything = json.dumps(journal(client))
    secrets = {
        "WebDAV password": server.dav_password, "app secret": server.app_secret,
        "external-data key": server.external_data_key, "external_data": extra,
        "external_data hmac": json.loads(base64.b64decode(extra))["hmac"],
        "auth code": code, "access token": token["access_token"], "refresh token": token["refresh_token"],
        "refreshed access token": partner.access_token, "sign": signed["sign"],
        "Basic auth": basic_auth(server.dav_user, server.dav_password)["Authorization"].split()[1],
        "webhook signature": delivery.headers["Authorization"],
    }
    assert all(secrets.values())
    leaked = [name for name, secret in secrets.items() if secret in everything]
    assert leaked == [], f"in clear in the journal: {leaked}"
    assert "/api/v2/token/get" in everything and "/event/202309/webhooks" in everything


@pytest.mark.parametrize(("option", "named"), [
    (["--webhook-retry", "1,x"], "--webhook-retry"), (["--webhook-retry", "-1"], "--webhook-retry"),
    (["--journal-size", "0"], "--journal-size"),
])
def test_bad_serve_options_are_one_line(tmp_path: Path, option: list[str], named: str) -> None:
    args = ["serve", "--port", "0", "--data-dir", str(tmp_path), *option]
    result = CliRunner().invoke(simulator_main, args)
    assert result.exit_code == 2 and named in result.output, result.output


def test_a_full_reset_empties_the_journal_and_a_tenant_reset_keeps_it(client: Client) -> None:
    client.api("GET", "/api/jobs")
    client.api("POST", "/_sim/reset", {"external_business_id": client.server.external_business_id})
    assert len(journal(client)) == 1
    client.api("POST", "/_sim/reset")
    assert journal(client) == []
