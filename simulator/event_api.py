"""TikTok's Event API 202309: `PUT`, `GET` and `DELETE /event/202309/webhooks`, one shop's subscriptions.

The gateway signs these in (a path under `/event/` needs app_key, sign, token and shop_cipher), so a
handler only reads `caller_shop()`. Bodies are checked strictly: an unknown field, a missing one or an
event type TikTok does not list is refused with 400 naming it, before anything changes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, request

from simulator import webhooks
from simulator.envelope import Refusal, envelope
from simulator.gateway import BAD_REQUEST, caller_shop
from simulator.store import Store

PATH = "/event/202309/webhooks"

event_api = Blueprint("event", __name__)


def _store() -> Store:
    return current_app.extensions["sim"]["store"]


def _bad(message: str) -> Refusal:
    return Refusal(BAD_REQUEST, f"Invalid parameter. {message}", 400)


def _body(fields: tuple[str, ...]) -> dict[str, str]:
    """The JSON object body with exactly these string fields; 400 naming the first that is wrong."""
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise _bad("The request body must be a JSON object.")
    for key in body:
        if key not in fields:
            raise _bad(f"Unknown field '{key}' (expected: {', '.join(fields)}).")
    for key in fields:
        if not isinstance(body.get(key), str) or not body[key]:
            raise _bad(f"'{key}' is required and must be a non-empty string.")
    return body


def _event_type(body: dict[str, Any]) -> str:
    kind = body["event_type"]
    if kind not in webhooks.EVENT_TYPES:
        raise _bad(f"'event_type' {kind!r} is not an event type TikTok Shop sends.")
    return kind


def _address(body: dict[str, Any]) -> str:
    """An http(s) URL with a host. TikTok asks for https on a domain without a port; a simulator on a
    laptop delivers to local receivers, so plain http, IPs and ports are allowed (docs/partner-api.md)."""
    address = body["address"]
    if len(address) > webhooks.MAX_ADDRESS:
        raise _bad(f"'address' is longer than {webhooks.MAX_ADDRESS} characters.")
    try:
        parts = urlsplit(address)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as error:
        raise _bad(f"'address' {address!r} is not a URL: {error}.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _bad(f"'address' {address!r} must be an http or https URL with a host.")
    if parts.username is not None or parts.password is not None:  # it would be kept and shown in clear
        raise _bad("'address' must not carry a user or password.")
    return address


@event_api.put(PATH)
def update_webhook():
    """Update Shop Webhook: this shop's address for one event type (set, or replaced)."""
    body = _body(("address", "event_type"))
    kind, address = _event_type(body), _address(body)
    webhooks.subscribe(_store(), caller_shop().tenant_id, kind, address)
    return jsonify(envelope(0, "Success", {}))


@event_api.get(PATH)
def get_webhooks():
    """Get Shop Webhooks: every subscription of this shop."""
    found = webhooks.subscriptions(_store(), caller_shop().tenant_id)
    return jsonify(envelope(0, "Success", {"webhooks": found, "total_count": len(found)}))


@event_api.delete(PATH)
def delete_webhook():
    """Delete Shop Webhook: succeeds whether or not the event type had an address, as TikTok's does."""
    kind = _event_type(_body(("event_type",)))
    webhooks.unsubscribe(_store(), caller_shop().tenant_id, kind)
    return jsonify(envelope(0, "Success", {}))
