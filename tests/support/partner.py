"""A TikTok Partner API client as an app developer writes one: signed calls, a token, a shop cipher.

Written from TikTok's documented signing rules, not from the simulator's code, so a test that uses it
checks the simulator's gateway against the documentation.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

from support.net import request


def sign(path: str, query: dict[str, str], body: bytes, app_secret: str) -> str:
    """TikTok's `sign`: HMAC-SHA256 keyed with the secret, of secret+path+sorted key+value+body+secret."""
    pairs = "".join(f"{key}{query[key]}" for key in sorted(query) if key not in ("sign", "access_token"))
    message = app_secret.encode() + path.encode() + pairs.encode() + body + app_secret.encode()
    return hmac.new(app_secret.encode(), message, hashlib.sha256).hexdigest()


class PartnerClient:
    """Signed Partner API calls for one app and (once `access_token` is set) one seller's shop.

    `shop_cipher` is sent on every call except under `/authorization/`, where TikTok refuses it."""

    def __init__(self, base_url: str, app_key: str, app_secret: str, access_token: str = "",
                 shop_cipher: str = "", ca_file: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.app_key = app_key
        self.app_secret = app_secret
        self.access_token = access_token
        self.shop_cipher = shop_cipher
        self.ca_file = ca_file

    def signed_query(self, path: str, body: bytes = b"", **query: str) -> dict[str, str]:
        """The query a signed call sends: common parameters, `query`, then the sign over all of it."""
        full = {"app_key": self.app_key, "timestamp": str(int(time.time()))}
        if self.shop_cipher and not path.startswith("/authorization/"):
            full["shop_cipher"] = self.shop_cipher
        full.update({key: str(value) for key, value in query.items()})
        full["sign"] = sign(path, full, body, self.app_secret)
        return full

    def call(self, method: str, path: str, query: dict[str, str], body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, Any]:
        """Send a request with exactly this query (signed or not); returns (HTTP status, parsed JSON)."""
        sent = {"content-type": "application/json"}
        if self.access_token:
            sent["x-tts-access-token"] = self.access_token
        sent.update(headers or {})
        url = f"{self.base_url}{path}?{urlencode(query)}"
        status, data = request(method, url, body, sent, **({"ca_file": self.ca_file} if self.ca_file else {}))
        return status, json.loads(data)

    def get(self, path: str, **query: str) -> tuple[int, Any]:
        return self.call("GET", path, self.signed_query(path, **query))

    def post(self, path: str, json_body: Any, **query: str) -> tuple[int, Any]:
        body = json.dumps(json_body, separators=(",", ":")).encode()
        return self.call("POST", path, self.signed_query(path, body, **query), body)


def authorize(base_url: str, app_key: str, app_secret: str, external_business_id: str,
              ca_file: str | None = None) -> tuple[PartnerClient, dict[str, Any]]:
    """A seller's authorization end to end: auth code, token, and the shop's cipher from the shops call.

    Returns the client, ready for shop calls, and the token answer's `data`."""
    client = PartnerClient(base_url, app_key, app_secret, ca_file=ca_file)
    status, answer = client.call("POST", f"/_sim/shops/{external_business_id}/auth_code", {})
    assert status == 200, (status, answer)
    query = {"app_key": app_key, "app_secret": app_secret, "auth_code": answer["code"],
             "grant_type": "authorized_code"}
    status, answer = client.call("GET", "/api/v2/token/get", query)
    assert status == 200 and answer["code"] == 0, (status, answer)
    token = answer["data"]
    client.access_token = token["access_token"]
    status, answer = client.get("/authorization/202309/shops")
    assert status == 200 and answer["code"] == 0, (status, answer)
    (shop,) = answer["data"]["shops"]
    client.shop_cipher = shop["cipher"]
    return client, token


def for_server(server: Any, external_business_id: str | None = None) -> PartnerClient:
    """A client authorized for a running SimServer's tenant (its default one unless named)."""
    tenant = external_business_id or server.external_business_id
    return authorize(server.base_url, server.app_key, server.app_secret, tenant,
                     getattr(server, "ca_path", None))[0]
