"""The embedded WebDAV server that plays the SFCC instance's `Impex` root.

WsgiDAV serves `<data-dir>/webdav/Impex` under the same path an SFCC instance uses, so a connector
(or the real cartridge's tooling) talks to it unchanged. Basic auth only, never anonymous; dead
properties and locks are on because litmus needs both to pass every test.
"""

from __future__ import annotations

from pathlib import Path

from wsgidav.wsgidav_app import WsgiDAVApp

DAV_MOUNT = "/on/demandware.servlet/webdav/Sites/Impex"
REALM_ROOT = "/"


def impex_root(data_dir: Path) -> Path:
    """Where the WebDAV files live on disk."""
    return data_dir / "webdav" / "Impex"


def build_dav_app(root: Path, user: str, password: str) -> WsgiDAVApp:
    """A WsgiDAV app for `root`, mounted at DAV_MOUNT (it builds PROPFIND hrefs from mount_path)."""
    root.mkdir(parents=True, exist_ok=True)
    config = {
        "provider_mapping": {REALM_ROOT: str(root)},
        "mount_path": DAV_MOUNT,
        "http_authenticator": {
            "domain_controller": None,
            "accept_basic": True,
            "accept_digest": False,
            "default_to_digest": False,
        },
        "simple_dc": {"user_mapping": {"*": {user: {"password": password}}}},
        "property_manager": True,
        "lock_storage": True,
        "verbose": 1,
        "logging": {"enable": False},
        "dir_browser": {"enable": True, "response_trailer": False, "davmount": False},
    }
    return WsgiDAVApp(config)
