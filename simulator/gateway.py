"""TikTok's Partner API gateway: who may call `/product/…`, `/event/…`, `/authorization/…`, `/seller/…`.

`install(app, partner)` adds one `before_request` hook to the app. For every request whose path
matched a route under one of those prefixes it checks, in this order, and refuses with TikTok's code,
message and HTTP status at the first failure (docs/partner-api.md):

    app_key -> timestamp (now - 5 min .. now + 30 s) -> sign -> x-tts-access-token -> shop_cipher

`shop_cipher` is required under `/product/` and `/event/` and must be absent under `/authorization/`
and `/seller/`. A path that matches no route never reaches the hook: routing answers 404/36009009
(or 405/36009010 for a known path with another method) first, as TikTok's gateway does.

A blueprint needs nothing to be gated: any route it serves under those prefixes is. Inside such a
route, `caller_shop()` is the shop the access token speaks for (for `/product/` and `/event/`, also
the shop `shop_cipher` named). The cartridge's own `/tbp/…` calls are not gated here: they keep the
cartridge's authentication (none for the alert, the `external_data` HMAC for the connection calls).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

from flask import Flask, current_app, g, jsonify, request

from simulator.envelope import Refusal, envelope
from simulator.shops import Shop, shop_by_cipher, shop_of
from simulator.tokens import TokenExpired, caller

# First path segment -> whether `shop_cipher` is required (True) or must be absent (False).
PARTNER_PREFIXES = {"product": True, "event": True, "authorization": False, "seller": False}
TIMESTAMP_PAST_S = 5 * 60
TIMESTAMP_FUTURE_S = 30
UNSIGNED = ("sign", "access_token")
TOKEN_HEADER = "x-tts-access-token"

BAD_REQUEST = 36009004
INVALID_SIGN = 106001
EXPIRED_TOKEN = 105002
SHOP_MISMATCH = 101000
MISSING_CIPHER = 106013
INVALID_PATH = 36009009
INVALID_METHOD = 36009010


@dataclass(frozen=True)
class PartnerApp:
    """The one app this TikTok knows: its key and secret, and how long its access tokens live."""

    app_key: str
    app_secret: str
    access_token_lifetime_s: int


class GatewayRefusal(Refusal):
    """A Partner API call the gateway refused, before any handler ran."""


def sign(app_secret: str, path: str, query: list[tuple[str, str]], body: bytes) -> str:
    """TikTok's request signature: HMAC-SHA256(secret, secret + path + sorted key+value + body + secret)."""
    signed = sorted((pair for pair in query if pair[0] not in UNSIGNED), key=lambda pair: pair[0])
    pairs = "".join(key + value for key, value in signed)
    message = app_secret.encode() + path.encode() + pairs.encode() + body + app_secret.encode()
    return hmac.new(app_secret.encode(), message, hashlib.sha256).hexdigest()


def install(app: Flask, partner: PartnerApp) -> None:
    """Gate every Partner API route of `app` with the app's key and secret."""
    app.extensions["partner_app"] = partner
    app.before_request(_check)
    app.register_error_handler(GatewayRefusal, _refused)


def partner_app() -> PartnerApp:
    return current_app.extensions["partner_app"]


def caller_shop() -> Shop:
    """The authenticated shop of the current Partner API request."""
    return g.partner_shop


def _refused(error: GatewayRefusal):
    return jsonify(envelope(error.code, error.message)), error.status


def _check() -> None:
    if request.url_rule is None:
        return  # no such route: the 404/405 handlers answer first, as TikTok's gateway does
    require_cipher = PARTNER_PREFIXES.get(request.path.split("/")[1])
    if require_cipher is None:
        return
    partner = partner_app()
    _check_app_key(partner)
    _check_timestamp()
    _check_sign(partner)
    shop = _token_shop(partner)
    _check_cipher(shop, require_cipher)
    g.partner_shop = shop


def _check_app_key(partner: PartnerApp) -> None:
    app_key = request.args.get("app_key")
    if not app_key:
        message = "Missing credentials. The request does not include the required 'app_key' query parameter."
        raise GatewayRefusal(BAD_REQUEST, message, 400)
    if not hmac.compare_digest(app_key.encode(), partner.app_key.encode()):
        raise GatewayRefusal(BAD_REQUEST, "Invalid credentials. Invalid 'app_key' query parameter.", 400)


def _check_timestamp() -> None:
    raw = request.args.get("timestamp")
    if not raw:
        raise GatewayRefusal(
            BAD_REQUEST, "Invalid timestamp. The 'timestamp' query parameter is required.", 400
        )
    if not raw.removeprefix("-").isdigit():  # int() would also take " 1", "+1" and "1_0"
        message = "Invalid timestamp. The 'timestamp' query parameter must be Unix time in seconds."
        raise GatewayRefusal(BAD_REQUEST, message, 400)
    timestamp = int(raw)
    now = time.time()
    if timestamp < 0:
        problem = "must not be lesser than 0"
    elif timestamp < now - TIMESTAMP_PAST_S:
        problem = "must not be earlier than 5 minutes before the current time"
    elif timestamp > now + TIMESTAMP_FUTURE_S:
        problem = "must not exceed the current time by more than 30 seconds"
    else:
        return
    raise GatewayRefusal(
        BAD_REQUEST, f"Invalid timestamp. The value of the 'timestamp' query parameter {problem}.", 400
    )


def _check_sign(partner: PartnerApp) -> None:
    given = request.args.get("sign")
    if not given:
        message = "Missing credentials. The request does not include a required signature in the query."
        raise GatewayRefusal(BAD_REQUEST, message, 401)
    multipart = (request.mimetype or "").startswith("multipart/form-data")
    body = b"" if multipart else request.get_data(cache=True)
    expected = sign(partner.app_secret, request.path, list(request.args.items(multi=True)), body)
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise GatewayRefusal(INVALID_SIGN, "Invalid credentials. The 'sign' query parameter is invalid.", 401)


def _token_shop(partner: PartnerApp) -> Shop:
    token = request.headers.get(TOKEN_HEADER, "")
    if not token:
        raise GatewayRefusal(
            BAD_REQUEST,
            f"Missing credentials. The request does not include the required '{TOKEN_HEADER}' header.",
            401,
        )
    store = current_app.extensions["sim"]["store"]
    try:
        seller = caller(store, token)
    except TokenExpired:
        message = f"Expired credentials. The 'access_token' or '{TOKEN_HEADER}' header has expired."
        raise GatewayRefusal(EXPIRED_TOKEN, message, 401) from None
    shop = shop_of(store, seller.tenant_id) if seller and seller.app_key == partner.app_key else None
    if shop is None:
        message = f"Invalid credentials. The '{TOKEN_HEADER}' header is invalid."
        raise GatewayRefusal(BAD_REQUEST, message, 401)
    return shop


def _check_cipher(shop: Shop, required: bool) -> None:
    cipher = request.args.get("shop_cipher")
    if not required:
        if cipher is not None:
            raise GatewayRefusal(
                BAD_REQUEST,
                "Unexpected identifier. The 'shop_cipher' query parameter is not required for this request.",
                400,
            )
        return
    if not cipher:
        raise GatewayRefusal(
            MISSING_CIPHER,
            "Missing identifier. The 'shop_cipher' query parameter is required to identify the target shop.",
            400,
        )
    named = shop_by_cipher(current_app.extensions["sim"]["store"], cipher)
    if named is None or named.tenant_id != shop.tenant_id:
        message = (
            "Invalid query or header. The 'shop_cipher' query parameter"
            f" or '{TOKEN_HEADER}' header is invalid."
        )
        raise GatewayRefusal(SHOP_MISMATCH, message, 403)
