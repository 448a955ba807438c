"""Alert TikTok that a feed folder holds new files: the cartridge's notify call, byte for byte.

The body names a folder, never a file; TikTok finds the new files itself. Like the cartridge, a call
counts as acknowledged only on HTTP 200 with JSON `code` 0, and is tried up to 3 times back to back.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

NOTIFY_PATH = "/tbp/v2.0/feed/download/"
ATTEMPTS = 3


class AlertError(RuntimeError):
    """TikTok did not acknowledge an alert after every attempt."""


def alert_body(external_business_id: str, folder_url: str, feed_type: str, update_type: str) -> bytes:
    """The cartridge's compact JSON body, keys in its order."""
    body = {
        "business_platform": "SALESFORCE",
        "external_business_id": external_business_id,
        "params": {"url": folder_url.rstrip("/"), "feed_type": feed_type, "update_type": update_type},
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _attempt(url: str, body: bytes, timeout: float) -> str | None:
    """One POST; None when acknowledged, else why not."""
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, text = response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except (OSError, ValueError) as error:
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
    return None


def notify(tiktok_url: str, external_business_id: str, folder_url: str, feed_type: str,
           update_type: str, *, timeout: float = 5.0) -> int:
    """Send one alert, up to 3 attempts; returns the attempts used, raises AlertError if all fail."""
    url = tiktok_url.rstrip("/") + NOTIFY_PATH
    body = alert_body(external_business_id, folder_url, feed_type, update_type)
    reasons = []
    for attempt in range(1, ATTEMPTS + 1):
        reason = _attempt(url, body, timeout)
        if reason is None:
            return attempt
        reasons.append(reason)
    raise AlertError(f"alert {feed_type}/{update_type} to {url} failed {ATTEMPTS} times "
                     f"(last: {reasons[-1]}); the files stay in the outbox and the next run resends")
