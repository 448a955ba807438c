"""Who may use the simulator's own surfaces (the control API under `/_sim/` and the dashboard).

They are unsigned, so three doors need closing, and both surfaces close them the same way:
- off loopback, anyone on the network: the WebDAV user and access key are required (Basic);
- on loopback, a web page the person has open elsewhere: a browser sends `Origin` (and `Sec-Fetch-Site`)
  with every cross-site write, so a `POST /_sim/reset` from another site is refused, while curl, scripts
  and test clients, which send neither, are not affected;
- on loopback, DNS rebinding (another site's name resolved to 127.0.0.1): the `Host` must then name
  this machine, so such a page cannot even read.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from flask import Request

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def refusal(request: Request, credentials: tuple[str, str] | None) -> tuple[int, str] | None:
    """(HTTP status, why) when this request may not use the control surfaces; None when it may."""
    if credentials is not None:
        given = request.authorization
        if given is None or given.type != "basic" or not hmac.compare_digest(
            f"{given.username}:{given.password}".encode(), ":".join(credentials).encode()
        ):
            return 401, ("the WebDAV user and access key (Basic auth) are needed when the simulator serves"
                         " on a non-loopback address")
    elif not _names_this_machine(request.host):
        return 403, f"Host {request.host!r} does not name this machine (loopback only)"
    if request.method not in SAFE_METHODS and _cross_site(request):
        return 403, "a write from another web site is refused (its Origin is not this server)"
    return None


def _names_this_machine(host: str) -> bool:
    name = (urlsplit(f"//{host}").hostname or "").lower()
    return name in LOOPBACK_NAMES or name.startswith("127.")


def _cross_site(request: Request) -> bool:
    if request.headers.get("Sec-Fetch-Site", "") in ("cross-site", "same-site"):
        return True
    origin = request.headers.get("Origin")
    if not origin:
        return False
    parts = urlsplit(origin)
    return parts.netloc.lower() != request.host.lower() or parts.scheme != request.scheme
