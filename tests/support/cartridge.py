"""The cartridge's signed calls to TikTok: external_data, the auth callback, connection status, disconnect.

Written from the cartridge's source as the reference describes it, not from either side's code, so tests
check the simulator's tenant registry against what a real cartridge sends.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from support.net import request

AUTH_CALLBACK = "/tbp/v2.0/salesforce/auth_callback/"
CONNECTION_STATUS = "/tbp/v2.0/shop/connection/get_status"
DISCONNECT = "/tbp/v2.0/shop/connection/disconnect"


def external_data(tenant_id: str, key: str, *, timestamp_ms: int | None = None, locale: str = "en",
                  **fields: Any) -> str:
    """Base64 of the cartridge's compact external_data JSON, its HMAC made with `key`; not URL-encoded."""
    timestamp = str(int(time.time() * 1000) if timestamp_ms is None else timestamp_ms)
    signed = (f"version=1.0&timestamp={timestamp}&locale={locale}&business_platform=SALESFORCE"
              f"&external_business_id={tenant_id}")
    data = {"version": "1.0", "business_platform": "SALESFORCE", "external_business_id": tenant_id,
            "app_id": "app", "locale": locale, "close_method": "redirect_inside_tiktok", **fields,
            "timestamp": timestamp,
            "hmac": hmac.new(key.encode(), signed.encode(), hashlib.sha256).hexdigest()}
    return base64.b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()


def callback_body(tenant_id: str, webdav_url: str, user: str, password: str) -> dict[str, str]:
    """The cartridge's auth callback body, plus the `webdav_url` extension naming the instance."""
    return {"external_business_id": tenant_id, "app_id": "app", "business_platform": "SALESFORCE",
            "client_id": "client", "client_secret": "secret", "commerce_cloud_username": user,
            "commerce_cloud_password": password, "ocapi_version": "v22_6", "site_id": "RefArch",
            "webdav_password": password, "create_order_url": "https://shop.example/OrderCreate-Social",
            "website_url": "https://shop.example", "webdav_url": webdav_url}


def call(base_url: str, method: str, path: str, external: str, body: Any = None) -> tuple[int, Any]:
    """One cartridge call with `?external_data=` appended as is; returns (HTTP status, parsed JSON)."""
    data = None if body is None else json.dumps(body, separators=(",", ":")).encode()
    status, answer = request(method, f"{base_url}{path}?external_data={external}", data,
                             {"Content-Type": "application/json"})
    return status, json.loads(answer)
