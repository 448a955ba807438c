"""A tenant (a shop that onboarded), its WebDAV origin, and the check that keeps fetches on that origin.

The API checks an alert's folder URL when it arrives and the pickup step checks it again before
fetching, in case the tenant re-onboarded with another host meanwhile: both use `check_folder_url`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from simulator.dav import DAV_MOUNT
from simulator.rules.profiles import DEFAULT_REGION

# The tenant `tiktok-sim serve` registers for its own WebDAV; the connector's default business id too.
DEFAULT_TENANT_ID = "sfcc-sim-tenant"


@dataclass(frozen=True)
class Tenant:
    """A shop that onboarded: where its WebDAV lives and how to log in there."""

    id: str
    webdav_base: str
    user: str
    password: str
    site_id: str = ""
    region: str = DEFAULT_REGION


class ForeignUrl(ValueError):
    """A folder URL off the tenant's registered WebDAV origin or outside its Impex root."""


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with default ports filled in; a malformed port yields port None."""
    parts = urlsplit(url)
    default_port = {"http": 80, "https": 443}.get(parts.scheme.lower())
    try:
        port = parts.port or default_port
    except ValueError:
        port = None
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def check_folder_url(url: str, tenant: Tenant) -> None:
    """Only ever fetch from the tenant's own WebDAV, below its Impex root; ForeignUrl says why not."""
    parts = urlsplit(url)
    if origin(url) != origin(tenant.webdav_base) or None in origin(url) or parts.username or parts.password:
        raise ForeignUrl(f"url {url!r} is not on the tenant's registered WebDAV host {tenant.webdav_base!r}")
    segments = unquote(parts.path).split("/")
    inside = parts.path == DAV_MOUNT or parts.path.startswith(DAV_MOUNT + "/")
    if not inside or parts.query or parts.fragment or any(s in (".", "..") for s in segments):
        raise ForeignUrl(f"url {url!r} is not below {DAV_MOUNT}")
