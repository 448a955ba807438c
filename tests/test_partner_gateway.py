"""The Partner API gateway, shops and tokens, as an app developer meets them on a real socket.

Every refusal carries TikTok's code, message, HTTP status, a 34-character request_id and `data: null`;
a refused call changes nothing.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cartridge import AUTH_CALLBACK, call, callback_body, external_data
from support.partner import PartnerClient, authorize, for_server, sign
from support.simulator_client import Client, row
from support.waiting import wait_for

from simulator.gateway import sign as gateway_sign
from simulator.server import SimServer

SHOPS = "/authorization/202309/shops"
PRODUCT = "/product/202309/products/1729000000000000001"
SEARCH = "/product/202502/products/search"
REQUEST_ID = re.compile(r"^\d{14}[0-9A-F]{20}$")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SimServer]:
    with SimServer(tmp_path / "sim") as sim:
        yield sim


@pytest.fixture
def partner(server: SimServer) -> PartnerClient:
    return for_server(server)


def refused(answer: tuple[int, dict], status: int, code: int, words: str) -> None:
    """Assert TikTok's refusal shape: HTTP status, code, a message naming the problem, data null."""
    got_status, body = answer
    assert (got_status, body["code"]) == (status, code), answer
    assert words in body["message"], body
    assert body["data"] is None and REQUEST_ID.match(body["request_id"]), body


def test_the_official_signing_test_vector() -> None:
    """TikTok's "Sign your API request" example, checked by both the test client and the gateway."""
    expected = "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8"
    query = {"app_key": "29a39d", "timestamp": "1623812664"}
    assert sign(SHOPS, query, b"", "e59af819cc") == expected
    assert gateway_sign("e59af819cc", SHOPS, list(query.items()), b"") == expected


def test_token_get_shops_and_refresh(server: SimServer) -> None:
    client, token = authorize(server.base_url, server.app_key, server.app_secret, server.external_business_id)
    now = int(time.time())
    assert token["access_token"].startswith("TTP_") and token["refresh_token"]
    # absolute Unix times, not durations: 7 days for the access token
    assert abs(token["access_token_expire_in"] - (now + 7 * 86400)) < 60
    assert token["refresh_token_expire_in"] > token["access_token_expire_in"]
    assert token["user_type"] == 0 and token["seller_base_region"] == "US" and token["open_id"]
    assert isinstance(token["granted_scopes"], list) and token["seller_name"]

    status, answer = client.get(SHOPS)
    assert (status, answer["code"], answer["message"]) == (200, 0, "Success"), answer
    (shop,) = answer["data"]["shops"]
    assert set(shop) == {"id", "name", "region", "seller_type", "cipher", "code"}
    assert all(isinstance(value, str) and value for value in shop.values()), shop
    assert shop["id"].isdigit() and len(shop["id"]) == 19 and shop["cipher"] == client.shop_cipher

    status, answer = client.call("GET", "/api/v2/token/refresh", {
        "app_key": server.app_key, "app_secret": server.app_secret,
        "refresh_token": token["refresh_token"], "grant_type": "refresh_token"})
    assert (status, answer["code"]) == (200, 0), answer
    fresh = answer["data"]
    assert fresh["access_token"] != token["access_token"] and fresh["open_id"] == token["open_id"]
    assert fresh["refresh_token"] == token["refresh_token"]
    for access in (fresh["access_token"], token["access_token"]):  # the older one lives until it expires
        client.access_token = access
        assert client.get(SHOPS)[1]["data"]["shops"] == [shop]


def token_get(client: PartnerClient, server: SimServer, **query: str) -> tuple[int, dict]:
    full = {"app_key": server.app_key, "app_secret": server.app_secret, "grant_type": "authorized_code",
            **query}
    return client.call("GET", "/api/v2/token/get", full)


def new_code(client: PartnerClient, tenant: str) -> str:
    status, answer = client.call("POST", f"/_sim/shops/{tenant}/auth_code", {})
    assert status == 200, answer
    return answer["code"]


def test_an_auth_code_works_once(server: SimServer, partner: PartnerClient) -> None:
    code = new_code(partner, server.external_business_id)
    assert token_get(partner, server, auth_code=code)[1]["code"] == 0
    status, answer = token_get(partner, server, auth_code=code)
    assert (status, answer["code"], answer["message"]) == (200, 36004004, "Invalid auth code."), answer
    assert answer["data"] is None


@pytest.mark.parametrize(("query", "code", "words"), [
    ({"app_secret": "wrong"}, 36009004, "app_secret"),
    ({"app_key": "wrong"}, 36009004, "app_key"),
    ({"grant_type": "refresh_token"}, 36009004, "grant_type"),
    ({"auth_code": "never-issued"}, 36004004, "Invalid auth code"),
    ({"auth_code": ""}, 36009004, "auth_code"),
], ids=["wrong-secret", "wrong-app-key", "wrong-grant-type", "unknown-code", "no-code"])
def test_token_get_refusals_spend_no_code(server: SimServer, partner: PartnerClient, query: dict[str, str],
                                          code: int, words: str) -> None:
    good = new_code(partner, server.external_business_id)
    status, answer = token_get(partner, server, **{"auth_code": good, **query})
    assert (status, answer["code"]) == (200, code) and words in answer["message"], answer
    assert token_get(partner, server, auth_code=good)[1]["code"] == 0  # the code was not spent


def test_refresh_with_an_unknown_refresh_token(server: SimServer, partner: PartnerClient) -> None:
    status, answer = partner.call("GET", "/api/v2/token/refresh", {
        "app_key": server.app_key, "app_secret": server.app_secret, "refresh_token": "TTP_nope",
        "grant_type": "refresh_token"})
    assert (answer["code"], answer["message"]) == (36004005, "can not find related auth record"), answer


def test_an_auth_code_for_a_shop_that_never_onboarded(partner: PartnerClient) -> None:
    status, answer = partner.call("POST", "/_sim/shops/nobody/auth_code", {})
    assert (status, answer["code"]) == (404, 40004) and "nobody" in answer["message"], answer


def unsigned(client: PartnerClient, path: str, **changes: str | None) -> dict[str, str]:
    """A signed query, then `changes` applied after signing (None drops a key)."""
    query = client.signed_query(path)
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return query


def resigned(client: PartnerClient, path: str, **changes: str | None) -> dict[str, str]:
    """`changes` applied first, then signed correctly: only the change itself can be refused."""
    query = unsigned(client, path, **changes)
    query.pop("sign")
    query["sign"] = sign(path, query, b"", client.app_secret)
    return query


@pytest.mark.parametrize("path", [SHOPS, PRODUCT])
def test_credential_refusals(partner: PartnerClient, path: str) -> None:
    now = int(time.time())
    cases = [
        (unsigned(partner, path, app_key=None), 400, 36009004, "'app_key'"),
        (unsigned(partner, path, app_key="not-the-app"), 400, 36009004, "Invalid 'app_key'"),
        (resigned(partner, path, timestamp=None), 400, 36009004, "'timestamp'"),
        (resigned(partner, path, timestamp=str(now - 301)), 400, 36009004, "earlier than 5 minutes"),
        (resigned(partner, path, timestamp=str(now + 60)), 400, 36009004, "by more than 30 seconds"),
        (resigned(partner, path, timestamp="soon"), 400, 36009004, "Unix time"),
        (resigned(partner, path, timestamp=f" {now}"), 400, 36009004, "Unix time"),
        (resigned(partner, path, timestamp="-1"), 400, 36009004, "lesser than 0"),
        (unsigned(partner, path, sign=None), 401, 36009004, "signature"),
        (unsigned(partner, path, timestamp=str(now - 1)), 401, 106001, "'sign'"),
        (unsigned(partner, path, sign="0" * 64), 401, 106001, "'sign'"),
    ]
    for query, status, code, words in cases:
        refused(partner.call("GET", path, query), status, code, words)
    wrong_secret = PartnerClient(partner.base_url, partner.app_key, "not-the-secret", partner.access_token,
                                 partner.shop_cipher)
    refused(wrong_secret.get(path), 401, 106001, "'sign'")


def test_the_signature_covers_the_body(partner: PartnerClient) -> None:
    body = b'{"status":"ACTIVATE"}'
    query = partner.signed_query(SEARCH, body, page_size="10")
    refused(partner.call("POST", SEARCH, query, b'{"status":"DRAFT"}'), 401, 106001, "'sign'")
    status, answer = partner.call("POST", SEARCH, query, body)
    assert (status, answer["code"]) == (200, 0), answer


@pytest.mark.parametrize("path", [SHOPS, PRODUCT])
def test_token_refusals(partner: PartnerClient, path: str) -> None:
    for token, words in (("", "Missing credentials"), ("TTP_never-issued", "invalid")):
        answer = partner.call("GET", path, partner.signed_query(path), headers={"x-tts-access-token": token})
        refused(answer, 401, 36009004, words)


def test_shop_cipher_rules(server: SimServer, partner: PartnerClient) -> None:
    refused(partner.call("GET", PRODUCT, resigned(partner, PRODUCT, shop_cipher=None)),
            400, 106013, "shop_cipher")
    refused(partner.call("GET", SHOPS, resigned(partner, SHOPS, shop_cipher=partner.shop_cipher)),
            400, 36009004, "Unexpected identifier")
    refused(partner.call("GET", PRODUCT, resigned(partner, PRODUCT, shop_cipher="ROW_unknown")),
            403, 101000, "shop_cipher")


def second_shop(server: SimServer) -> PartnerClient:
    """Onboard `tenant-2` (site RefArch) with a signed callback; a client authorized for its shop."""
    body = callback_body("tenant-2", "http://127.0.0.1:9", "u", "k")
    external = external_data("tenant-2", server.external_data_key)
    assert call(server.base_url, "POST", AUTH_CALLBACK, external, body)[1]["code"] == 0
    return for_server(server, "tenant-2")


def test_a_token_cannot_use_another_shops_cipher(server: SimServer, partner: PartnerClient) -> None:
    """Two shops, two tokens: a token names its own shop only."""
    other = second_shop(server)
    assert other.shop_cipher != partner.shop_cipher
    other.shop_cipher = partner.shop_cipher
    refused(other.get(PRODUCT), 403, 101000, "shop_cipher")
    assert other.get(SHOPS)[1]["data"]["shops"][0]["name"] == "RefArch"


def test_an_expired_token_is_refused(tmp_path: Path) -> None:
    with SimServer(tmp_path / "sim", access_token_lifetime_s=2) as server:
        partner = for_server(server)

        def expired() -> tuple[int, dict] | None:
            answer = partner.get(SHOPS)
            return answer if answer[1]["code"] != 0 else None

        refused(wait_for(expired, "the access token to expire"), 401, 105002, "expired")


def test_unknown_paths_and_methods_answer_tiktoks_envelope(partner: PartnerClient) -> None:
    """A made-up path is 404/36009009 even with a fake app_key: no path, no credential check."""
    for path in ("/product/202309/nothing", "/event/202309/nothing", "/nothing"):
        refused(partner.call("GET", path, {"app_key": "fake"}), 404, 36009009, "Invalid path")
    refused(partner.call("DELETE", SHOPS, partner.signed_query(SHOPS)), 405, 36009010, "Invalid method")


def test_tokens_shops_and_keys_survive_a_restart(tmp_path: Path) -> None:
    with SimServer(tmp_path / "sim") as first:
        partner = for_server(first)
        before = partner.get(SHOPS)[1]["data"]["shops"]
    with SimServer(tmp_path / "sim", port=0) as second:
        assert (second.app_key, second.app_secret) == (partner.app_key, partner.app_secret)
        partner.base_url = second.base_url
        status, answer = partner.get(SHOPS)
        assert (status, answer["data"]["shops"]) == (200, before), answer


def test_a_token_sees_only_its_own_shops_products(server: SimServer, partner: PartnerClient) -> None:
    """The default shop has a product; another shop's token finds nothing, not even by the product's id."""
    shop = Client(server)
    shop.drop_feed([row("SKU-1", "G-1")])
    assert shop.run()["state"] == "completed"
    body = {"status": "ACTIVATE"}
    (mine,) = partner.post(SEARCH, body, page_size="10")[1]["data"]["products"]
    own = partner.get(f"/product/202309/products/{mine['id']}")
    assert own[1]["code"] == 0 and own[1]["data"]["id"] == mine["id"], own

    other = second_shop(server)
    status, answer = other.post(SEARCH, body, page_size="10")
    assert (status, answer["code"], answer["data"]["products"]) == (200, 0, []), answer
    status, answer = other.get(f"/product/202309/products/{mine['id']}")
    assert answer["code"] != 0 and answer["data"] is None, answer


def test_tenants_of_a_data_folder_from_before_shops_get_one(tmp_path: Path) -> None:
    """A data folder written before shops existed: its onboarded tenants can still be authorized."""
    (tmp_path / "sim").mkdir()
    with sqlite3.connect(tmp_path / "sim" / "jobs.sqlite3") as old:
        old.execute("CREATE TABLE tenants (id TEXT PRIMARY KEY, webdav_base TEXT NOT NULL,"
                    " user TEXT NOT NULL, password TEXT NOT NULL, site_id TEXT NOT NULL DEFAULT '',"
                    " region TEXT NOT NULL DEFAULT 'US', registered_at REAL NOT NULL)")
        old.execute("INSERT INTO tenants VALUES (?, ?, ?, ?, ?, ?, ?)",
                    ("old-tenant", "http://127.0.0.1:9", "u", "k", "Old", "US", 0))
    old.close()
    with SimServer(tmp_path / "sim") as server:
        partner = for_server(server, "old-tenant")
        (shop,) = partner.get(SHOPS)[1]["data"]["shops"]
        assert (shop["name"], shop["region"]) == ("Old", "US")
