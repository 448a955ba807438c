"""The notify call as TikTok receives it: exact body, retries, clear failure; and the auth callback."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from urllib.parse import unquote

import pytest
from support.connector_servers import AlertServer

from connector.alert import AlertError, notify, onboard

FOLDER = "https://host/on/demandware.servlet/webdav/Sites/Impex/src/feeds/export/social/tiktok/product"


@pytest.fixture
def alerts() -> Iterator[AlertServer]:
    server = AlertServer()
    yield server
    server.stop()


def test_body_is_the_cartridges_compact_json_in_key_order(alerts: AlertServer) -> None:
    assert notify(alerts.url, "tenant-1", FOLDER + "/", "product", "delete") == 1
    assert alerts.paths == ["/tbp/v2.0/feed/download/"]
    assert alerts.raw == [(
        '{"business_platform":"SALESFORCE","external_business_id":"tenant-1","params":{"url":"'
        + FOLDER + '","feed_type":"product","update_type":"delete"}}').encode()]
    assert alerts.headers[0]["content-type"] == "application/json"
    assert "authorization" not in alerts.headers[0]


@pytest.mark.parametrize("how", ["code", "http"])
def test_two_failures_then_success_takes_three_attempts(alerts: AlertServer, how: str) -> None:
    alerts.fail(2, how)
    assert notify(alerts.url, "tenant-1", FOLDER, "inventory", "create") == 3
    assert len(alerts.calls) == 3


def test_three_failures_raise_a_clear_error(alerts: AlertServer) -> None:
    alerts.fail(3)
    with pytest.raises(AlertError, match=r"alert product/update to http://127\.0\.0\.1:\d+/tbp/v2\.0/feed/"
                                         r"download/ failed 3 times \(last: code 40004: unknown tenant\)"):
        notify(alerts.url, "tenant-1", FOLDER, "product", "update")
    assert len(alerts.calls) == 3


def test_unreachable_tiktok_is_a_clear_error() -> None:
    server = AlertServer()
    server.stop()
    with pytest.raises(AlertError, match="cannot reach TikTok"):
        notify(server.url, "tenant-1", FOLDER, "product", "update")


def test_onboarding_posts_the_auth_callback_with_the_webdav_url(alerts: AlertServer) -> None:
    fields = {"external_business_id": "tenant-1", "app_id": "app", "client_id": "cid", "client_secret": "cs",
              "commerce_cloud_username": "bm-user", "commerce_cloud_password": "key", "site_id": "RefArch",
              "webdav_password": "key", "create_order_url": "https://shop/OrderCreate-Social",
              "website_url": "https://shop", "webdav_url": "http://127.0.0.1:8080", "locale": "en_US"}
    onboard(alerts.url, fields, "secret")
    path, _, query = alerts.paths[0].partition("?external_data=")
    assert path == "/tbp/v2.0/salesforce/auth_callback/"
    assert list(alerts.calls[0]) == ["external_business_id", "app_id", "business_platform", "client_id",
                                     "client_secret", "commerce_cloud_username", "commerce_cloud_password",
                                     "ocapi_version", "site_id", "webdav_password", "create_order_url",
                                     "website_url", "webdav_url"]
    assert alerts.calls[0]["webdav_url"] == "http://127.0.0.1:8080"
    assert alerts.calls[0]["ocapi_version"] == "v22_6"
    assert alerts.headers[0]["x-debug-refreshconfig"] == "1"
    external = json.loads(base64.b64decode(unquote(query)))
    assert external["external_business_id"] == "tenant-1" and external["locale"] == "en"
    assert len(external["hmac"]) == 64
