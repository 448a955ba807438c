"""The embedded WebDAV server that plays the SFCC instance's `Impex` root.

WsgiDAV serves `<data-dir>/webdav/Impex` under the same path an SFCC instance uses, so a connector
(or the real cartridge's tooling) talks to it unchanged. Basic auth only, never anonymous; dead
properties and locks are on because litmus needs both to pass every test.

Two things differ from WsgiDAV's own filesystem provider, both so that nothing half-there is ever
seen or kept. A PUT writes to a hidden temporary name in the same folder and is renamed over the
target only once every byte arrived, so a listing or a GET never shows a file being written, and an
interrupted PUT leaves nothing behind (leftovers of a killed process are removed at the next start).
PROPFIND reports no quota: the host disk's used and free bytes are not the tenant's business.

In front of WsgiDAV, `DavGuard` refuses what WsgiDAV would answer with 500 or would read whole into
memory: a request without valid Basic credentials is answered 401 before a byte of its body is read
(the gateway in `requestlimits` then closes the connection instead of draining it); a path with a NUL
or a segment over 255 bytes is 400; a body other than a PUT's is XML of at most MAX_XML_BODY bytes,
refused (400) when it carries a DTD, as every XML the simulator reads (`xmlsafe`).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import io
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, BinaryIO

from lxml import etree
from wsgidav.dav_error import HTTP_BAD_REQUEST, HTTP_NOT_FOUND, DAVError
from wsgidav.dav_provider import DAVNonCollection
from wsgidav.fs_dav_provider import BUFFER_SIZE, FileResource, FilesystemProvider, FolderResource
from wsgidav.wsgidav_app import WsgiDAVApp

from simulator import xmlsafe

DAV_MOUNT = "/on/demandware.servlet/webdav/Sites/Impex"
REALM_ROOT = "/"
# Where a PUT's bytes go until the last one arrived; never listed, never served, never writable.
HIDDEN_PREFIX = ".tiktok-sim-put-"
MAX_NAME_BYTES = 255  # the file name limit of every common filesystem
MAX_XML_BODY = 1 << 20  # PROPFIND, PROPPATCH and LOCK bodies are a few hundred bytes
_REALM = "SFCC WebDAV"
_XML_METHODS = frozenset({"PROPFIND", "PROPPATCH", "LOCK"})
_QUOTA = frozenset({"{DAV:}quota-used-bytes", "{DAV:}quota-available-bytes"})

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def impex_root(data_dir: Path) -> Path:
    """Where the WebDAV files live on disk."""
    return data_dir / "webdav" / "Impex"


def _hidden(name: str) -> bool:
    return name.startswith(HIDDEN_PREFIX)


class _CountingWriter:
    """The temporary file a PUT writes, counting bytes to compare with the declared Content-Length."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle, self.written = handle, 0

    def write(self, data: bytes) -> None:
        self.written += len(data)
        self.handle.write(data)

    def close(self) -> None:
        self.handle.close()


class _SettledFile(FileResource):
    """A file whose new content becomes visible only once written whole (module docstring)."""

    def __init__(self, path: str, environ: dict[str, Any], file_path: str, *, pending: bool = False) -> None:
        if pending:  # a PUT's new file: nothing on disk under its name until end_write
            DAVNonCollection.__init__(self, path, environ)
            self._file_path, self.name = file_path, os.path.basename(file_path)
        else:
            super().__init__(path, environ, file_path)
        self._writer: _CountingWriter | None = None
        self._temp = ""

    def begin_write(self, *, content_type: str | None = None) -> _CountingWriter:
        fd, self._temp = tempfile.mkstemp(prefix=HIDDEN_PREFIX, dir=os.path.dirname(self._file_path))
        self._writer = _CountingWriter(os.fdopen(fd, "wb", BUFFER_SIZE))
        return self._writer

    def end_write(self, *, with_errors: bool) -> None:
        writer, temp = self._writer, self._temp
        self._writer, self._temp = None, ""
        if writer is None:
            return
        writer.close()
        declared = (self.environ.get("CONTENT_LENGTH") or "").strip()
        short = declared.isdigit() and writer.written != int(declared)
        if with_errors or short:
            os.unlink(temp)
            if short:
                message = f"the body ended after {writer.written} of {declared} bytes; nothing was stored"
                raise DAVError(HTTP_BAD_REQUEST, message)
            return
        os.replace(temp, self._file_path)
        self.file_stat = os.stat(self._file_path)


class _Folder(FolderResource):
    """A folder that lists no hidden temporary file, takes PUTs whole and shows no disk figures."""

    def get_member_names(self) -> list[str]:
        return [name for name in super().get_member_names() if not _hidden(name)]

    def create_empty_resource(self, name: str) -> FileResource:
        if _hidden(name):
            raise DAVError(403, f"names starting with {HIDDEN_PREFIX} are reserved")
        if self.environ.get("REQUEST_METHOD") != "PUT":  # a LOCK on a new name makes the empty file
            return super().create_empty_resource(name)
        path = f"{self.path.rstrip('/')}/{name}"
        return _SettledFile(path, self.environ, self.provider._loc_to_file_path(path, self.environ),
                            pending=True)

    def get_used_bytes(self) -> None:
        return None

    def get_available_bytes(self) -> None:
        return None

    def get_property_value(self, name: str) -> Any:
        if name in _QUOTA:  # asked for by name: "not found", as a server without quotas answers
            raise DAVError(HTTP_NOT_FOUND)
        return super().get_property_value(name)


class SettledFilesystemProvider(FilesystemProvider):
    """WsgiDAV's filesystem provider with the resources above; hidden names do not exist for clients."""

    def get_resource_inst(self, path: str, environ: dict[str, Any]) -> FileResource | None:
        if any(_hidden(part) for part in path.split("/")):
            return None
        resource = super().get_resource_inst(path, environ)
        if resource is None:
            return None
        file_path = self._loc_to_file_path(path, environ)
        return _Folder(path, environ, file_path) if resource.is_collection else _SettledFile(
            path, environ, file_path)


def remove_leftovers(root: Path) -> None:
    """Delete the temporary files of PUTs a killed process never finished."""
    for dirpath, _, names in os.walk(root):
        for name in names:
            if _hidden(name):
                os.unlink(os.path.join(dirpath, name))


class DavGuard:
    """The checks in front of WsgiDAV (module docstring); each refusal is sent without reading the body."""

    def __init__(self, app: WsgiApp, user: str, password: str) -> None:
        self.app = app
        self._credentials = f"{user}:{password}".encode()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        problem = _bad_path(path)
        if problem:
            return _answer(start_response, "400 Bad Request", problem)
        if not self._authorised(environ.get("HTTP_AUTHORIZATION", "")):
            return _answer(start_response, "401 Unauthorized", "valid Basic credentials are required",
                           [("WWW-Authenticate", f'Basic realm="{_REALM}"')])
        if environ.get("REQUEST_METHOD") != "PUT":
            refusal = _buffer_xml_body(environ)
            if refusal:
                return _answer(start_response, *refusal)
        return self.app(environ, start_response)

    def _authorised(self, header: str) -> bool:
        """Basic credentials equal to the WebDAV user's; a malformed header is simply not authorised."""
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            given = base64.b64decode(token.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        return hmac.compare_digest(given, self._credentials)


def _bad_path(path: str) -> str:
    """Why a request path cannot name a file here, or ""."""
    if "\x00" in path:
        return "the path holds a NUL character"
    # PATH_INFO is the URL's bytes decoded as latin-1 (PEP 3333): its length is the byte count
    if any(len(part) > MAX_NAME_BYTES for part in path.split("/")):
        return f"a path segment is longer than {MAX_NAME_BYTES} bytes"
    return ""


def _buffer_xml_body(environ: dict[str, Any]) -> tuple[str, str] | None:
    """Read a small body once, refuse it if too big (or an XML one with a DTD), and hand WsgiDAV a copy."""
    declared = (environ.get("CONTENT_LENGTH") or "").strip()
    if not declared or declared == "0":
        return None
    if not declared.isdigit():
        return "400 Bad Request", "Content-Length is not a number"
    if int(declared) > MAX_XML_BODY:
        method = environ.get("REQUEST_METHOD")
        return "413 Content Too Large", f"a {method} body is at most {MAX_XML_BODY} bytes"
    body = environ["wsgi.input"].read(int(declared))
    environ["wsgi.input"] = io.BytesIO(body)
    if environ.get("REQUEST_METHOD") in _XML_METHODS:
        try:
            xmlsafe.fromstring(body, "request body")
        except xmlsafe.UnsafeXmlError as error:
            return "400 Bad Request", error.reason
        except etree.LxmlError:
            pass  # not XML at all: WsgiDAV answers that itself, as litmus expects
    return None


def _answer(
    start_response: Callable[..., Any], status: str, message: str, extra: list[tuple[str, str]] | None = None
) -> list[bytes]:
    body = f"{status}: {message}\n".encode()
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))),
                            *(extra or [])])
    return [body]


def build_dav_app(root: Path, user: str, password: str) -> DavGuard:
    """A WsgiDAV app for `root`, mounted at DAV_MOUNT (it builds PROPFIND hrefs from mount_path)."""
    root.mkdir(parents=True, exist_ok=True)
    remove_leftovers(root)
    config = {
        "provider_mapping": {REALM_ROOT: SettledFilesystemProvider(str(root), fs_opts={})},
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
    return DavGuard(WsgiDAVApp(config), user, password)
