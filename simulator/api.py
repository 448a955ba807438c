"""HTTP handlers: the TikTok endpoints the cartridge calls, and the sim's own jobs API.

The product API (TikTok's and `/_sim/products`) is in `product_api.py`.

Handlers only translate HTTP to the store and the job runner and back (moto's responses.py role).
Errors answer HTTP 200 with a non-zero `code`, as TikTok's Open API does (docs/formats.md section 6).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, current_app, jsonify, request

from simulator.envelope import Refusal, envelope
from simulator.external_data import ExternalDataRefused, decode, verify
from simulator.flows import UPDATE_TYPES
from simulator.shops import disconnect, register, shop_of
from simulator.store import Store
from simulator.tenant import ForeignUrl, Tenant, check_folder_url, origin

NOT_JSON_OBJECT = 40001
MISSING_KEY = 40002
BAD_VALUE = 40003
UNKNOWN_TENANT = 40004
URL_OUTSIDE_TENANT = 40005
TENANT_DISCONNECTED = 40009
# The cartridge's connection status: "connected" is `connect == 2` (reference 5.2); 0 is this sim's "not".
CONNECTED, NOT_CONNECTED = 2, 0
DISCONNECT_BIZ_TYPE = 3
# `/api/jobs` pages: a bounded default answer (3,285 jobs were 2.2 MB in one answer), HTTP-like codes.
JOBS_PAGE, JOBS_PAGE_MAX = 100, 1000
JOB_STATES = ("queued", "running", "completed", "failed")
BAD_QUERY = 40000

tiktok_api = Blueprint("tiktok", __name__)
sim_api = Blueprint("sim", __name__)


class ApiError(Refusal):
    """A refusal with TikTok's non-zero code; answered with HTTP 200."""


@tiktok_api.errorhandler(ApiError)
def _refused(error: ApiError):
    return jsonify(envelope(error.code, error.message))


def _store() -> Store:
    return current_app.extensions["sim"]["store"]


def _json_object() -> dict[str, Any]:
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise ApiError(NOT_JSON_OBJECT, "the request body is not a JSON object")
    return body


def _required(obj: dict[str, Any], key: str, where: str = "") -> Any:
    value = obj.get(key)
    if value is None or value == "" or value == {}:
        raise ApiError(MISSING_KEY, f"required key '{where}{key}' is missing or empty")
    return value


def _text(obj: dict[str, Any], key: str, where: str = "") -> str:
    value = _required(obj, key, where)
    if not isinstance(value, str):
        raise ApiError(BAD_VALUE, f"'{where}{key}' must be a string")
    return value


def _unknown(tenant_id: str) -> ApiError:
    return ApiError(UNKNOWN_TENANT, f"unknown external_business_id {tenant_id!r}: the shop never onboarded")


@tiktok_api.post("/tbp/v2.0/feed/download/")
def feed_download():
    """The cartridge's alert: validate, record a job, answer at once; the work runs in the background."""
    body = _json_object()
    platform = _text(body, "business_platform")
    tenant_id = _text(body, "external_business_id")
    params = _required(body, "params")
    if not isinstance(params, dict):
        raise ApiError(BAD_VALUE, "'params' must be a JSON object")
    url = _text(params, "url", "params.")
    feed_type = _text(params, "feed_type", "params.")
    update_type = _text(params, "update_type", "params.")
    if platform != "SALESFORCE":
        raise ApiError(BAD_VALUE, f"business_platform {platform!r} is not allowed (expected 'SALESFORCE')")
    if feed_type not in UPDATE_TYPES:
        allowed = ", ".join(UPDATE_TYPES)
        raise ApiError(BAD_VALUE, f"params.feed_type {feed_type!r} is not allowed ({allowed})")
    if update_type not in UPDATE_TYPES[feed_type]:
        allowed = ", ".join(UPDATE_TYPES[feed_type])
        raise ApiError(
            BAD_VALUE, f"params.update_type {update_type!r} is not allowed for {feed_type} ({allowed})"
        )
    tenant = _store().get_tenant(tenant_id)
    if tenant is None:
        raise _unknown(tenant_id)
    shop = shop_of(_store(), tenant.id)
    if shop is not None and not shop.connected:
        raise ApiError(
            TENANT_DISCONNECTED, f"external_business_id {tenant_id!r} disconnected: onboard again to sync"
        )
    try:
        check_folder_url(url, tenant)
    except ForeignUrl as error:
        raise ApiError(URL_OUTSIDE_TENANT, str(error)) from error
    job_id = current_app.extensions["sim"]["runner"].submit(
        tenant.id, feed_type, update_type, url.rstrip("/")
    )
    return jsonify(envelope(0, "OK", {"job_id": str(job_id)}))


def _signed_external_data() -> tuple[dict[str, Any], str]:
    """The request's external_data and the tenant id it signs; refused unless the app's key signed it."""
    try:
        data = decode(request.query_string.decode("latin-1"))
        return data, verify(data, current_app.extensions["sim"]["external_data_key"])
    except ExternalDataRefused as error:
        raise ApiError(error.code, error.message) from error


def _same_tenant(signed_id: str, claimed: Any, where: str) -> None:
    if claimed != signed_id:
        signs = f"the external_business_id external_data signs ({signed_id!r})"
        raise ApiError(BAD_VALUE, f"{where} {claimed!r} is not {signs}")


@tiktok_api.post("/tbp/v2.0/salesforce/auth_callback/")
def auth_callback():
    """Onboarding: record the tenant, its WebDAV origin and the Basic credentials for it.

    Only a callback whose external_data the app's key signed, for this very tenant, gets here: it is
    the one way to set or change a tenant's WebDAV host and credentials. A refusal changes nothing."""
    extra, signed_id = _signed_external_data()
    body = _json_object()
    tenant_id = _text(body, "external_business_id")
    _same_tenant(signed_id, tenant_id, "external_business_id")
    user = _text(body, "commerce_cloud_username")
    password = _text(body, "commerce_cloud_password")
    webdav_url = body.get("webdav_url") or ""
    if not webdav_url and extra.get("domain"):
        domain = str(extra["domain"])
        webdav_url = domain if "://" in domain else f"https://{domain}"
    if not webdav_url:
        raise ApiError(MISSING_KEY, "required key 'webdav_url' (or 'domain' in external_data) is missing")
    scheme, host, port = origin(webdav_url)
    if scheme not in ("http", "https") or not host:
        raise ApiError(BAD_VALUE, f"webdav_url {webdav_url!r} is not an http(s) URL")
    base = f"{scheme}://{host}" + (f":{port}" if port not in (80, 443) else "")
    site_id = str(body.get("site_id") or "")
    tenant = Tenant(tenant_id, base, user, password, site_id)
    known = _store().get_tenant(tenant_id)
    register(_store(), replace(tenant, region=known.region) if known else tenant)
    return jsonify(envelope(0, "OK"))


@tiktok_api.get("/tbp/v2.0/shop/connection/get_status")
def connection_status():
    """The cartridge's "is this site connected?": `connect == 2` once onboarded and not disconnected."""
    _, tenant_id = _signed_external_data()
    shop = shop_of(_store(), tenant_id)
    connect = CONNECTED if shop is not None and shop.connected else NOT_CONNECTED
    return jsonify(envelope(0, "OK", {"connect_info": {"connect_status": {"connect": connect}}}))


@tiktok_api.post("/tbp/v2.0/shop/connection/disconnect")
def connection_disconnect():
    """The cartridge's disconnect: the tenant's alerts are refused until a valid auth callback."""
    _, tenant_id = _signed_external_data()
    body = _json_object()
    if body.get("biz_type") != DISCONNECT_BIZ_TYPE:
        raise ApiError(BAD_VALUE, f"biz_type {body.get('biz_type')!r} is not allowed (expected 3)")
    _same_tenant(tenant_id, body.get("outer_shop_id"), "outer_shop_id")
    if shop_of(_store(), tenant_id) is None:
        raise _unknown(tenant_id)
    disconnect(_store(), tenant_id)
    return jsonify(envelope(0, "OK"))


@sim_api.get("/_sim/health")
def health():
    return jsonify({"status": "ok"})


@sim_api.get("/api/jobs")
def jobs_list():
    """One page of jobs, oldest first: `limit` (default JOBS_PAGE, at most JOBS_PAGE_MAX), `cursor` (the
    previous page's `next_cursor`) and `state`. `next_cursor` is "" on the last page."""
    limit_text, cursor, state = (request.args.get(name, "") for name in ("limit", "cursor", "state"))
    if limit_text and not (limit_text.isdigit() and 1 <= int(limit_text) <= JOBS_PAGE_MAX):
        return _bad_query(f"limit {limit_text!r} is not a whole number from 1 to {JOBS_PAGE_MAX}")
    if cursor and not cursor.isdigit():
        return _bad_query(f"cursor {cursor!r} is not one this API gave (a next_cursor)")
    if state and state not in JOB_STATES:
        return _bad_query(f"state {state!r} is not one of {', '.join(JOB_STATES)}")
    limit = int(limit_text or JOBS_PAGE)
    jobs = _store().list_jobs(limit + 1, int(cursor or 0), state or None)
    more = len(jobs) > limit
    return jsonify({"jobs": jobs[:limit], "next_cursor": jobs[limit - 1]["id"] if more else ""})


def _bad_query(message: str):
    return jsonify(envelope(BAD_QUERY, message)), 400


@sim_api.get("/api/jobs/<int:job_id>")
def job_get(job_id: int):
    job = _store().get_job(job_id)
    if job is None:
        return jsonify(envelope(40400, f"job {job_id} does not exist")), 404
    return jsonify(job)
