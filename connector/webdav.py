"""Drop files on the instance's WebDAV the way the cartridge's job leaves them there.

Product and inventory feeds are PUT as `TEMP_<name>` and then MOVEd into place, so a consumer that
ignores `TEMP_*` never reads half a file. Re-dropping is idempotent: a file already in place with the
same size is left alone, which is what lets an interrupted run be finished later.
"""

from __future__ import annotations

import base64
import http.client
import ssl
from pathlib import Path
from urllib.parse import quote, urlsplit

from connector.names import temp_name
from connector.tls import client_context, untrusted_message

IMPEX_PATH = "/on/demandware.servlet/webdav/Sites/Impex"
PRODUCT_FOLDER = "src/feeds/export/social/tiktok/product"
INVENTORY_FOLDER = "src/feeds/export/social/tiktok/inventory"


def tracking_folder(site_id: str) -> str:
    """`tracking/<SiteID>` below the product folder, where trackers and `.lastrun.txt` live."""
    return f"{PRODUCT_FOLDER}/tracking/{site_id}"


class WebDavError(RuntimeError):
    """A WebDAV call failed; the message says which call, which URL and what to check."""


_HINTS = {
    401: "the instance refused the credentials: check --user/--password (WebDAV access key)",
    403: "the user may not write here: check the WebDAV permissions for this path",
}


class WebDavClient:
    """Basic-auth WebDAV client for the `Impex` root of one instance, over http or https."""

    def __init__(self, instance: str, user: str, password: str, timeout: float = 60.0,
                 ca_file: Path | None = None) -> None:
        parts = urlsplit(instance)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise WebDavError(f"instance URL {instance!r} must look like https://host[:port]")
        self._scheme, self._netloc = parts.scheme, parts.netloc
        self._base_path = parts.path.rstrip("/") + IMPEX_PATH
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        self._auth = f"Basic {token}"
        self._timeout = timeout
        self._ca_file = ca_file  # trusted besides the system's CAs
        self._known_folders: set[str] = set()

    def url(self, path: str) -> str:
        """Absolute URL of `path` below `Impex/`, without a trailing slash."""
        return f"{self._scheme}://{self._netloc}{self._href(path)}"

    def _href(self, path: str) -> str:
        segments = [quote(segment) for segment in path.strip("/").split("/") if segment]
        return "/".join([self._base_path, *segments])

    def _request(self, method: str, path: str, body: object = None,
                 headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
        connection: http.client.HTTPConnection
        if self._scheme == "https":
            connection = http.client.HTTPSConnection(self._netloc, timeout=self._timeout,
                                                     context=client_context(self._ca_file))
        else:
            connection = http.client.HTTPConnection(self._netloc, timeout=self._timeout)
        all_headers = {"Authorization": self._auth, **(headers or {})}
        try:
            connection.request(method, self._href(path), body=body, headers=all_headers)
            response = connection.getresponse()
            response.read()
            return response
        except ssl.SSLCertVerificationError as error:
            problem = untrusted_message(self._netloc, error)
            raise WebDavError(f"{method} {self.url(path)}: {problem}") from None
        except OSError as error:
            raise WebDavError(f"{method} {self.url(path)}: cannot reach the instance: {error}") from None
        finally:
            connection.close()

    def _check(self, method: str, path: str, status: int, ok: tuple[int, ...]) -> int:
        if status in ok:
            return status
        hint = _HINTS.get(status, "the instance had a server error" if status >= 500 else "unexpected answer")
        raise WebDavError(f"{method} {self.url(path)} answered HTTP {status}: {hint}")

    def ensure_folder(self, path: str) -> None:
        """MKCOL every missing folder of `path`, top down (405 means it already exists)."""
        built = ""
        for segment in path.strip("/").split("/"):
            built = f"{built}/{segment}" if built else segment
            if built in self._known_folders:
                continue
            status = self._request("MKCOL", built).status
            self._check("MKCOL", built, status, (201, 405))
            self._known_folders.add(built)

    def size(self, path: str) -> int | None:
        """Size of the file at `path`, or None when there is none."""
        response = self._request("HEAD", path)
        if response.status == 404:
            return None
        self._check("HEAD", path, response.status, (200,))
        length = response.getheader("Content-Length")
        return int(length) if length is not None else None

    def put(self, local: Path, path: str) -> None:
        """PUT the local file's bytes at `path`, streamed, replacing what is there."""
        with open(local, "rb") as body:
            status = self._request("PUT", path, body=body,
                                   headers={"Content-Length": str(local.stat().st_size),
                                            "Content-Type": "application/octet-stream"}).status
        self._check("PUT", path, status, (200, 201, 204))

    def move(self, source: str, destination: str) -> None:
        """Rename `source` to `destination`, never overwriting (`Overwrite: F`)."""
        status = self._request("MOVE", source, headers={"Destination": self.url(destination),
                                                        "Overwrite": "F"}).status
        if status == 412:
            raise WebDavError(f"MOVE to {self.url(destination)}: a different file of that name is already "
                              "there; it was not overwritten")
        self._check("MOVE", source, status, (201, 204))

    def drop(self, local: Path, folder: str, name: str, via_temp: bool) -> bool:
        """Put `local` at `folder/name`; returns False when the same-size file was already in place."""
        self.ensure_folder(folder)
        final = f"{folder}/{name}"
        if not via_temp:
            self.put(local, final)
            return True
        if self.size(final) == local.stat().st_size:
            return False
        temp = f"{folder}/{temp_name(name)}"
        self.put(local, temp)
        self.move(temp, final)
        return True
