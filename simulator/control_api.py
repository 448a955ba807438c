"""The control API under `/_sim/`: reset, review modes, decisions by hand, faults (docs/control-api.md).

A QA engineer drives the simulator here between and during scenarios (moto's `/moto-api/`, WireMock's
faults). Handlers only translate HTTP to `control.py`, `moderation.py` and `faults.py`. The API is
unsigned: on a loopback address anyone on the machine may call it, as anyone may call the WebDAV there;
when `serve` binds another address every `/_sim/` call but health needs the WebDAV credentials (Basic).
Armed faults answer before the TikTok handler they hit runs, after the Partner API gateway let the call
through, so a fault on a tenant only hits calls that tenant made.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request

from simulator import access, control, faults, moderation
from simulator.envelope import Refusal, envelope
from simulator.product_api import SIM_BAD_VALUE, SIM_NOT_FOUND
from simulator.review_clock import ReviewClock
from simulator.store import Store
from simulator.tokens import tenant_of

UNAUTHORIZED = 40100
FORBIDDEN = 40300
CONFLICT = 40900
REVIEW_FIELDS = ("mode", "delay_s", "external_business_id")
MAX_REVIEW_DELAY_S = 7 * 24 * 3600
REASON_FIELDS = ("position", "reasons", "suggestions")
OPEN_PATHS = ("/_sim/health",)
# The TikTok endpoint each fault target hits (the webhook and pickup faults hit the simulator's own calls).
FAULT_ENDPOINTS = {
    "tiktok.feed_download": "alert",
    "tiktok.auth_callback": "auth_callback",
    "auth.token_get": "token",
    "auth.token_refresh": "token",
}


@dataclass(frozen=True)
class ControlPlane:
    """What the control API acts on besides the store, and whom it lets in (None: anyone, on loopback)."""

    dav_root: Path
    uploads: Path
    clock: ReviewClock
    credentials: tuple[str, str] | None


control_api = Blueprint("control", __name__)


def install(app: Flask, plane: ControlPlane) -> None:
    """Serve the control API on `app`; call after the gateway is installed, so faults see its caller."""
    app.extensions["control"] = plane
    app.register_blueprint(control_api)


def _plane() -> ControlPlane:
    return current_app.extensions["control"]


def _store() -> Store:
    return current_app.extensions["sim"]["store"]


@control_api.errorhandler(Refusal)
def _refused(error: Refusal):
    return jsonify(envelope(error.code, error.message)), error.status


def _bad(message: str) -> Refusal:
    return Refusal(SIM_BAD_VALUE, message, 400)


# --- who may call, and the faults every call may hit ------------------------------------------------------


@control_api.before_app_request
def _guard() -> Response | None:
    """`/_sim/` (but health) under the rule of `access`: Basic off loopback, no cross-site writes."""
    if not request.path.startswith("/_sim/") or request.path in OPEN_PATHS:
        return None
    refused = access.refusal(request, _plane().credentials)
    if refused is None:
        return None
    status, why = refused
    answer = jsonify(envelope(UNAUTHORIZED if status == 401 else FORBIDDEN, f"the control API: {why}"))
    answer.status_code = status
    if status == 401:
        answer.headers["WWW-Authenticate"] = 'Basic realm="tiktok-sim control API"'
    return answer


@control_api.before_app_request
def _inject() -> Response | None:
    """Answer a call an armed fault hits with the fault's code or status, after its delay."""
    armed = faults.of(_store())
    if not armed.armed():
        return None  # the common case: no tenant lookup, no body parsed
    target, tenant = _fault_target()
    if target is None:
        return None
    fault = armed.take(target, tenant)
    if fault is None:
        return None
    fault.stall()
    if fault.code is None and fault.http_status is None:
        return None
    status = fault.http_status or 200
    code = fault.code if fault.code is not None else status * 100
    answer = jsonify(envelope(code, f"injected fault {fault.id} on {target}"))
    answer.status_code = status
    return answer


def _fault_target() -> tuple[str | None, str | None]:
    """Which fault target this call is, and the tenant it speaks for (None when it names none)."""
    endpoint = request.endpoint or ""
    if request.path.startswith("/product/") and endpoint.startswith("product."):
        shop = g.get("partner_shop")
        return "product_api", shop.tenant_id if shop else None
    target = FAULT_ENDPOINTS.get(endpoint)
    if target == "token":
        secret = request.args.get("auth_code") or request.args.get("refresh_token") or ""
        return target, tenant_of(_store(), secret)
    if target is not None:
        body = request.get_json(force=True, silent=True)
        tenant = body.get("external_business_id") if isinstance(body, dict) else None
        return target, tenant if isinstance(tenant, str) else None
    return None, None


# --- reading bodies ---------------------------------------------------------------------------------------


def _body(fields: tuple[str, ...]) -> dict[str, Any]:
    """The JSON object body (empty allowed); 400 naming the first unknown field."""
    if not request.get_data(cache=True).strip():
        return {}
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise _bad("the request body is not a JSON object")
    for key in body:
        if key not in fields:
            known = ", ".join(fields) if fields else "none"
            raise _bad(f"unknown field '{key}' (known: {known})")
    return body


def _tenant(body: dict[str, Any]) -> str | None:
    """The body's external_business_id, which must be a registered tenant; None when absent."""
    tenant = body.get("external_business_id")
    if tenant is None:
        return None
    if not isinstance(tenant, str) or not tenant:
        raise _bad(f"'external_business_id' must be a non-empty string, got {tenant!r}")
    if _store().get_tenant(tenant) is None:
        message = f"unknown external_business_id {tenant!r}: the shop never onboarded"
        raise Refusal(SIM_NOT_FOUND, message, 404)
    return tenant


# --- reset ------------------------------------------------------------------------------------------------


@control_api.post("/_sim/reset")
def reset():
    """Empty everything, or one tenant's state; 409 naming the jobs that have not finished."""
    tenant = _tenant(_body(("external_business_id",)))
    plane = _plane()
    started = time.perf_counter()
    try:
        done = control.reset(_store(), faults.of(_store()), plane.dav_root, plane.uploads, tenant)
    except control.JobsRunning as error:
        raise Refusal(CONFLICT, str(error), 409) from error
    plane.clock.wake()
    return jsonify(envelope(0, "OK", {**done, "took_ms": round((time.perf_counter() - started) * 1000, 3)}))


# --- review modes and decisions by hand -------------------------------------------------------------------


@control_api.put("/_sim/review")
def set_review():
    """Set the review mode of one tenant (`external_business_id`), or the default of every tenant."""
    body = _body(REVIEW_FIELDS)
    tenant = _tenant(body)
    mode = body.get("mode")
    if mode not in moderation.MODES:
        raise _bad(f"'mode' must be one of {', '.join(moderation.MODES)}, got {mode!r}")
    delay = body.get("delay_s")
    if mode != moderation.DELAYED and delay is not None:
        raise _bad(f"'delay_s' applies only to the delayed mode, not to {mode}")
    if mode == moderation.DELAYED and (
        isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= MAX_REVIEW_DELAY_S
    ):
        raise _bad(f"'delay_s' must be a number of seconds from 0 to {MAX_REVIEW_DELAY_S} in delayed mode,"
                   f" got {delay!r}")
    chosen = moderation.ReviewMode(mode, float(delay or 0))
    moderation.set_mode(_store(), tenant or moderation.EVERY_TENANT, chosen)
    _plane().clock.wake()
    return jsonify(envelope(0, "OK", {"external_business_id": tenant, **chosen.as_json()}))


@control_api.get("/_sim/review")
def get_review():
    """The mode in force: for one tenant (`?external_business_id=`), or the default and every tenant's own."""
    store = _store()
    tenant = request.args.get("external_business_id")
    if tenant is not None:
        _tenant({"external_business_id": tenant})
        data = {"external_business_id": tenant, **moderation.mode_of(store.connection(), tenant).as_json()}
    else:
        modes = moderation.modes(store)
        default = modes.pop(moderation.EVERY_TENANT, moderation.ReviewMode())
        data = {**default.as_json(), "tenants": {t: mode.as_json() for t, mode in modes.items()}}
    return jsonify(envelope(0, "OK", {**data, "held": moderation.held_count(store, tenant)}))


def _decide(product_id: str, decide: Any, *args: Any):
    try:
        return jsonify(envelope(0, "OK", decide(_store(), product_id, *args)))
    except LookupError as error:
        raise Refusal(SIM_NOT_FOUND, str(error), 404) from error
    except moderation.NotHeld as error:
        return jsonify(envelope(CONFLICT, str(error), {"id": product_id, "status": error.status})), 409


@control_api.post("/_sim/products/<product_id>/approve")
def approve(product_id: str):
    """A held product goes live: PENDING -> ACTIVATE."""
    _body(())
    return _decide(product_id, moderation.approve)


@control_api.post("/_sim/products/<product_id>/reject")
def reject(product_id: str):
    """A held product fails review with the reasons given: PENDING -> FAILED."""
    body = _body(("reasons",))
    return _decide(product_id, moderation.reject, _reasons(body.get("reasons")))


def _reasons(value: Any) -> list[dict[str, Any]]:
    """TikTok's `audit_failed_reasons`, checked entry by entry; 400 names the entry and field."""
    if not isinstance(value, list) or not value:
        raise _bad("'reasons' must be a non-empty array of {position, reasons, suggestions}")
    checked = []
    for index, entry in enumerate(value):
        where = f"reasons[{index}]"
        if not isinstance(entry, dict):
            raise _bad(f"'{where}' must be an object with position, reasons and suggestions")
        for key in entry:
            if key not in REASON_FIELDS:
                raise _bad(f"unknown field '{where}.{key}' (known: {', '.join(REASON_FIELDS)})")
        if not isinstance(entry.get("position"), str) or not entry["position"]:
            raise _bad(f"'{where}.position' must be a non-empty string")
        for key in ("reasons", "suggestions"):
            texts = entry.get(key, [])
            if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
                raise _bad(f"'{where}.{key}' must be an array of strings")
        if not entry.get("reasons"):
            raise _bad(f"'{where}.reasons' must hold at least one reason")
        checked.append({"position": entry["position"], "reasons": entry["reasons"],
                        "suggestions": entry.get("suggestions", [])})
    return checked


# --- faults -----------------------------------------------------------------------------------------------


@control_api.post("/_sim/faults")
def arm_fault():
    """Arm a fault: the next `times` matching calls answer its code or status, or take `delay_s` longer."""
    try:
        fields = faults.parse(_body(faults.FIELDS))
    except faults.FaultRefused as error:
        raise _bad(str(error)) from error
    _tenant(fields)
    fault = faults.of(_store()).arm(fields)
    return jsonify(envelope(0, "OK", fault.as_json()))


@control_api.get("/_sim/faults")
def list_faults():
    """The armed faults, oldest first, with the calls each still hits (`times`)."""
    return jsonify(envelope(0, "OK", {"faults": [f.as_json() for f in faults.of(_store()).armed()]}))


@control_api.delete("/_sim/faults")
def clear_faults():
    """Clear every fault, or one tenant's (`?external_business_id=`)."""
    tenant = request.args.get("external_business_id")
    if tenant is not None:
        _tenant({"external_business_id": tenant})
    return jsonify(envelope(0, "OK", {"cleared": faults.of(_store()).clear(tenant)}))
