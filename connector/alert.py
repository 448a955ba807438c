"""The cartridge's calls to TikTok: the feed alert ("notify") and the onboarding auth callback.

The alert body names a folder, never a file; TikTok finds the new files itself. Like the cartridge,
a call counts as acknowledged only on HTTP 200 with JSON `code` 0, and is tried up to 3 times back
to back (the cartridge's ~30 s pause between the delete and update alerts is skipped: it is an
artefact of a failing connection, not a documented wait).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from connector.tls import client_context, untrusted, untrusted_message

NOTIFY_PATH = "/tbp/v2.0/feed/download/"
AUTH_CALLBACK_PATH = "/tbp/v2.0/salesforce/auth_callback/"
ATTEMPTS = 3


class AlertError(RuntimeError):
    """TikTok did not acknowledge a call after every attempt."""


def _compact(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def alert_body(external_business_id: str, folder_url: str, feed_type: str, update_type: str) -> bytes:
    """The cartridge's compact JSON body, keys in its order."""
    body = {
        "business_platform": "SALESFORCE",
        "external_business_id": external_business_id,
        "params": {"url": folder_url.rstrip("/"), "feed_type": feed_type, "update_type": update_type},
    }
    return _compact(body)


def _attempt(url: str, body: bytes, headers: dict[str, str], timeout: float,
             ca_file: Path | None) -> str | dict:
    """One POST; the answer when acknowledged, else why not. An untrusted certificate is not worth a retry."""
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", **headers})
    try:
        context = client_context(ca_file) if urlsplit(url).scheme == "https" else None
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            status, text = response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except (OSError, ValueError) as error:
        if certificate_error := untrusted(error):
            raise AlertError(f"POST {url.split('?')[0]}: "
                             f"{untrusted_message(urlsplit(url).netloc, certificate_error)}") from None
        return f"cannot reach TikTok: {error}"
    if status != 200:
        return f"HTTP {status}"
    try:
        answer = json.loads(text)
    except ValueError:
        return "answer is not JSON"
    if not isinstance(answer, dict) or answer.get("code") != 0:
        code = answer.get("code") if isinstance(answer, dict) else None
        message = answer.get("message") if isinstance(answer, dict) else None
        return f"code {code}: {message}"
    return answer


def _post(url: str, body: bytes, what: str, timeout: float, headers: dict[str, str] | None = None,
          ca_file: Path | None = None) -> tuple[int, dict]:
    """POST until acknowledged, at most 3 times; returns the attempts used and the answer."""
    reasons = []
    for attempt in range(1, ATTEMPTS + 1):
        outcome = _attempt(url, body, headers or {}, timeout, ca_file)
        if isinstance(outcome, dict):
            return attempt, outcome
        reasons.append(outcome)
    raise AlertError(f"{what} to {url} failed {ATTEMPTS} times (last: {reasons[-1]})")


def notify(tiktok_url: str, external_business_id: str, folder_url: str, feed_type: str,
           update_type: str, *, timeout: float = 5.0, ca_file: Path | None = None,
           on_job: Callable[[str], None] | None = None) -> int:
    """Send one alert, up to 3 attempts; returns the attempts used, raises AlertError if all fail.

    `on_job` gets the `data.job_id` of the answer when it has one: the simulator's job for the alert, which
    `sync --wait` follows. Real TikTok answers no job id."""
    body = alert_body(external_business_id, folder_url, feed_type, update_type)
    url = tiktok_url.rstrip("/") + NOTIFY_PATH
    attempts, answer = _post(url, body, f"alert {feed_type}/{update_type}", timeout, ca_file=ca_file)
    data = answer.get("data")
    job_id = data.get("job_id") if isinstance(data, dict) else None
    if on_job is not None and job_id is not None:
        on_job(str(job_id))
    return attempts


def onboard(tiktok_url: str, fields: dict[str, str], external_data_key: str = "",
            *, timeout: float = 5.0, ca_file: Path | None = None) -> int:
    """POST the cartridge's auth callback so TikTok records the tenant and its WebDAV credentials.

    `fields` holds the body keys (reference 5.2) plus `webdav_url`. `external_data` is the base64 of
    the cartridge's compact JSON, appended to the URL as is (not URL-encoded), as the cartridge does.
    """
    timestamp = str(int(time.time() * 1000))
    language = fields["locale"].split("_")[0]
    signed = (f"version=1.0&timestamp={timestamp}&locale={language}&business_platform=SALESFORCE"
              f"&external_business_id={fields['external_business_id']}")
    external_data = {
        "version": "1.0", "business_platform": "SALESFORCE",
        "external_business_id": fields["external_business_id"], "app_id": fields["app_id"],
        "extra": {"organization_id": "", "sfcc_api_client_id": fields["client_id"],
                  "sfcc_bm_user": fields["commerce_cloud_username"],
                  "shopper_api_client_id": fields["client_id"],
                  "create_order_url": fields["create_order_url"]},
        "store_name": fields["site_id"], "locale": language, "website_url": fields["website_url"],
        "domain": fields["webdav_url"], "close_method": "redirect_inside_tiktok",
        "timestamp": timestamp,
        "hmac": hmac.new(external_data_key.encode(), signed.encode(), hashlib.sha256).hexdigest(),
    }
    body = {key: fields[key] for key in ("external_business_id", "app_id")}
    body["business_platform"] = "SALESFORCE"
    body.update((key, fields[key]) for key in ("client_id", "client_secret", "commerce_cloud_username",
                                               "commerce_cloud_password"))
    body["ocapi_version"] = "v22_6"
    body.update((key, fields[key]) for key in ("site_id", "webdav_password", "create_order_url",
                                               "website_url", "webdav_url"))
    url = (tiktok_url.rstrip("/") + AUTH_CALLBACK_PATH + "?external_data="
           + base64.b64encode(_compact(external_data)).decode("ascii"))
    return _post(url, _compact(body), "auth callback", timeout, {"x-debug-refreshconfig": "1"}, ca_file)[0]
