"""HTTP handlers for seller authorization: the auth code a browser would give, TikTok's token endpoints,
and `GET /authorization/202309/shops`.

Real sellers authorize in a browser and TikTok redirects with `?code=`; `POST /_sim/shops/<id>/auth_code`
stands in for that, so tests and scripts get a code without one. The token endpoints live on TikTok's
auth host (`auth.tiktok-shops.com`) in real life; here they share the one port. They carry `app_key` and
`app_secret` in the query and no `sign`, as TikTok's do.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, current_app, jsonify, request

from simulator.envelope import envelope
from simulator.gateway import BAD_REQUEST, caller_shop, partner_app
from simulator.shops import Shop, shop_of
from simulator.store import Store
from simulator.tokens import Grant, TokenRefused, exchange_code, new_auth_code, refresh

USER_TYPE_SELLER = 0
GRANTED_SCOPES = ["seller.authorization.info", "seller.product.basic"]
UNKNOWN_TENANT = 40004

auth_api = Blueprint("auth", __name__)


@auth_api.errorhandler(TokenRefused)
def _refused(error: TokenRefused):
    """Token errors answer HTTP 200 with TikTok's code: no source gives their status (docs/partner-api.md)."""
    return jsonify(envelope(error.code, error.message))


def _store() -> Store:
    return current_app.extensions["sim"]["store"]


@auth_api.post("/_sim/shops/<external_business_id>/auth_code")
def auth_code(external_business_id: str):
    """The seller's consent, without a browser: a single-use code for this app and this shop."""
    if shop_of(_store(), external_business_id) is None:
        message = f"unknown external_business_id {external_business_id!r}: the shop never onboarded"
        return jsonify(envelope(UNKNOWN_TENANT, message)), 404
    return jsonify({"code": new_auth_code(_store(), external_business_id, partner_app().app_key)})


def _query(name: str) -> str:
    value = request.args.get(name, "")
    if not value:
        raise TokenRefused(BAD_REQUEST, f"Missing parameter. The '{name}' query parameter is required.")
    return value


def _app_credentials(grant_type: str) -> str:
    """Check app_key, app_secret and grant_type, in that order; returns the app key."""
    partner = partner_app()
    app_key = _query("app_key")
    if not hmac.compare_digest(app_key.encode(), partner.app_key.encode()):
        raise TokenRefused(BAD_REQUEST, "Invalid credentials. Invalid 'app_key' query parameter.")
    if not hmac.compare_digest(_query("app_secret").encode(), partner.app_secret.encode()):
        raise TokenRefused(BAD_REQUEST, "Invalid credentials. Invalid 'app_secret' query parameter.")
    if _query("grant_type") != grant_type:
        raise TokenRefused(BAD_REQUEST, f"Invalid grant_type. Only '{grant_type}' is accepted.")
    return app_key


def _token_answer(grant: Grant):
    shop = shop_of(_store(), grant.tenant_id)
    assert shop is not None  # a grant is only ever opened for a registered shop
    data = {
        "access_token": grant.access_token,
        "access_token_expire_in": grant.access_token_expire_in,
        "refresh_token": grant.refresh_token,
        "refresh_token_expire_in": grant.refresh_token_expire_in,
        "open_id": grant.open_id,
        "seller_name": shop.name,
        "seller_base_region": shop.region,
        "user_type": USER_TYPE_SELLER,
        "granted_scopes": GRANTED_SCOPES,
    }
    return jsonify(envelope(0, "success", data))


@auth_api.get("/api/v2/token/get")
def token_get():
    app_key = _app_credentials("authorized_code")
    grant = exchange_code(_store(), _query("auth_code"), app_key, partner_app().access_token_lifetime_s)
    return _token_answer(grant)


@auth_api.get("/api/v2/token/refresh")
def token_refresh():
    app_key = _app_credentials("refresh_token")
    grant = refresh(_store(), _query("refresh_token"), app_key, partner_app().access_token_lifetime_s)
    return _token_answer(grant)


@auth_api.get("/authorization/202309/shops")
def authorized_shops():
    """The shops the token may use: one, since a token belongs to one seller's shop."""
    shop: Shop = caller_shop()
    return jsonify(envelope(0, "Success", {"shops": [shop.as_json()]}))
