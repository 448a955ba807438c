"""HTTP handlers: the TikTok endpoints the cartridge calls, and the sim's own jobs API.

The product API (TikTok's and `/_sim/products`) is in `product_api.py`.

Handlers only translate HTTP to the store and the job runner and back (moto's responses.py role).
Errors answer HTTP 200 with a non-zero `code`, as TikTok's Open API does (docs/formats.md section 6).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import unquote

from flask import Blueprint, current_app, jsonify, request

from simulator.envelope import envelope
from simulator.flows import UPDATE_TYPES
from simulator.store import Store
from simulator.tenant import ForeignUrl, Tenant, check_folder_url, origin

NOT_JSON_OBJECT = 40001
MISSING_KEY = 40002
BAD_VALUE = 40003
UNKNOWN_TENANT = 40004
URL_OUTSIDE_TENANT = 40005

tiktok_api = Blueprint("tiktok", __name__)
sim_api = Blueprint("sim", __name__)


class ApiError(Exception):
    """A refusal with TikTok's non-zero code; answered with HTTP 200."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


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
        raise ApiError(
            UNKNOWN_TENANT, f"unknown external_business_id {tenant_id!r}: the shop never onboarded"
        )
    try:
        check_folder_url(url, tenant)
    except ForeignUrl as error:
        raise ApiError(URL_OUTSIDE_TENANT, str(error)) from error
    job_id = current_app.extensions["sim"]["runner"].submit(
        tenant.id, feed_type, update_type, url.rstrip("/")
    )
    return jsonify(envelope(0, "OK", {"job_id": str(job_id)}))


def _external_data() -> dict[str, Any]:
    """Decode `external_data` from the raw query: the cartridge appends base64 without URL-encoding it."""
    for pair in request.query_string.decode("latin-1").split("&"):
        name, _, value = pair.partition("=")
        if name == "external_data" and value:
            raw = unquote(value).replace(" ", "+")
            try:
                decoded = json.loads(base64.b64decode(raw + "=" * (-len(raw) % 4)))
            except (binascii.Error, ValueError) as error:
                raise ApiError(BAD_VALUE, f"external_data is not base64 JSON: {error}") from error
            return decoded if isinstance(decoded, dict) else {}
    return {}


@tiktok_api.post("/tbp/v2.0/salesforce/auth_callback/")
def auth_callback():
    """Onboarding: record the tenant, its WebDAV origin and the Basic credentials for it."""
    body = _json_object()
    extra = _external_data()
    tenant_id = _text(body, "external_business_id")
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
    _store().put_tenant(Tenant(tenant_id, base, user, password, site_id))
    return jsonify(envelope(0, "OK"))


@sim_api.get("/_sim/health")
def health():
    return jsonify({"status": "ok"})


@sim_api.get("/api/jobs")
def jobs_list():
    return jsonify({"jobs": _store().list_jobs()})


@sim_api.get("/api/jobs/<int:job_id>")
def job_get(job_id: int):
    job = _store().get_job(job_id)
    if job is None:
        return jsonify(envelope(40400, f"job {job_id} does not exist")), 404
    return jsonify(job)
