"""The cartridge's `external_data`: decode it from the raw query, and check its HMAC and timestamp.

Only a caller holding the app's external-data key can make a valid one, so it is what makes the tenant
registry trustworthy: the auth callback, the connection status and the disconnect all start here.
The HMAC is the cartridge's (reference: cartridge-feeds-and-calls.md 5.2): lower-case hex HMAC-SHA256,
keyed with the external-data key, over
`version=<v>&timestamp=<ms>&locale=<lang>&business_platform=<p>&external_business_id=<id>`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import unquote

from simulator.envelope import Refusal

# How far `timestamp` (epoch ms) may lie from now. The cartridge stamps it just before each call, so
# minutes cover slow networks and clock drift between an SFCC instance and TikTok, while a captured
# external_data cannot be replayed later (docs/partner-api.md).
MAX_AGE_MS = 10 * 60 * 1000
MAX_AHEAD_MS = 60 * 1000
SIGNED_FIELDS = ("version", "timestamp", "locale", "business_platform", "external_business_id")

INVALID = 40006
BAD_HMAC = 40007
STALE = 40008


class ExternalDataRefused(Refusal):
    """external_data is missing, unreadable, wrongly signed or stale; `code` is the refusal's code."""


def decode(raw_query: str) -> dict[str, Any]:
    """The decoded `external_data` of a raw query string: the cartridge appends its base64 without
    URL-encoding it, so a `+` in it must not become a space as a form decoder would make it."""
    for pair in raw_query.split("&"):
        name, _, value = pair.partition("=")
        if name == "external_data" and value:
            raw = unquote(value).replace(" ", "+")
            try:
                decoded = json.loads(base64.b64decode(raw + "=" * (-len(raw) % 4)))
            except (binascii.Error, ValueError) as error:
                raise ExternalDataRefused(INVALID, f"external_data is not base64 JSON: {error}") from error
            if not isinstance(decoded, dict):
                raise ExternalDataRefused(INVALID, "external_data is not a JSON object")
            return decoded
    raise ExternalDataRefused(INVALID, "the external_data query parameter is missing")


def verify(data: dict[str, Any], key: str, now_ms: int | None = None) -> str:
    """Check the HMAC, then the timestamp; returns the signed `external_business_id`."""
    values = {}
    for name in (*SIGNED_FIELDS, "hmac"):
        value = data.get(name)
        if name == "timestamp" and type(value) is int:  # a JSON number is as good as a string of digits
            value = str(value)
        if not isinstance(value, str) or not value:
            raise ExternalDataRefused(INVALID, f"external_data.{name} is missing or not a string")
        values[name] = value
    signed = "&".join(f"{name}={values[name]}" for name in SIGNED_FIELDS)
    expected = hmac.new(key.encode(), signed.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(values["hmac"].encode(), expected.encode()):
        raise ExternalDataRefused(BAD_HMAC, "external_data.hmac is wrong: the app's key did not sign it")
    if not values["timestamp"].isdigit():
        raise ExternalDataRefused(INVALID, "external_data.timestamp is not epoch milliseconds")
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    age = now_ms - int(values["timestamp"])
    if age > MAX_AGE_MS or age < -MAX_AHEAD_MS:
        raise ExternalDataRefused(
            STALE,
            f"external_data.timestamp {values['timestamp']} is {abs(age) // 1000} s "
            f"{'old' if age > 0 else 'ahead'}: allowed is {MAX_AGE_MS // 60000} min old to "
            f"{MAX_AHEAD_MS // 1000} s ahead",
        )
    return values["external_business_id"]
