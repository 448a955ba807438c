"""TikTok's answer envelope (`code`, `message`, `request_id`, `data`) and the refusal it carries.

TikTok's clients parse this shape on every answer, errors included, so it is built in one place. It
imports nothing of the simulator, so the model modules can raise a `Refusal` too.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

# TikTok's request ids start with the time in UTC+8 (reference: tiktok-partner-api.md 1.2).
_REQUEST_ID_ZONE = timezone(timedelta(hours=8))


class Refusal(Exception):
    """A call TikTok refuses: its non-zero `code`, the `message` that says why, and the HTTP status."""

    def __init__(self, code: int, message: str, status: int = 200) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def request_id() -> str:
    """34 characters as in every sample: `YYYYMMDDhhmmss` in UTC+8, then 20 upper-case hex digits."""
    return datetime.now(_REQUEST_ID_ZONE).strftime("%Y%m%d%H%M%S") + secrets.token_hex(10).upper()


def envelope(code: int, message: str, data: Any = None) -> dict[str, Any]:
    """Code 0 means success; `data` is `{}` on a success without payload and `null` on an error."""
    if data is None and code == 0:
        data = {}
    return {"code": code, "message": message, "request_id": request_id(), "data": data}
