"""A fresh simulator for a conformance run or a user's pytest session, spoken to only over its public API.

Shared by `tiktok-sim conformance` and the pytest plugin: both start one simulator (optionally over TLS) in a
temp data dir, empty it between scenarios with `POST /_sim/reset`, and judge only what reached it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shutil
import ssl
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

from simulator.dav import DAV_MOUNT
from simulator.server import SimServer

REQUEST_TIMEOUT_S = 30.0
WAIT_S = 60.0
POLL_S = 0.02
FINISHED = ("completed", "failed")


def wait_until(condition: Callable[[], Any], what: str, timeout: float = WAIT_S) -> Any:
    """Poll `condition` until it returns something truthy; a deadline, never a fixed sleep, decides."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout:g} s waiting for {what}")
        time.sleep(POLL_S)
    return result


class Http:
    """One request helper for a base URL, verifying https against the simulator's CA."""

    def __init__(self, base_url: str, ca_path: Path | None) -> None:
        self.base_url = base_url.rstrip("/")
        self._context = ssl.create_default_context(cafile=str(ca_path)) if ca_path else None

    def send(self, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """An HTTP error status is an answer, not an exception."""
        prepared = urllib.request.Request(self.base_url + path, data=body, method=method,
                                          headers=headers or {})
        try:
            with urllib.request.urlopen(prepared, timeout=REQUEST_TIMEOUT_S, context=self._context) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def json(self, method: str, path: str, payload: Any = None) -> tuple[int, Any]:
        body = None if payload is None else json.dumps(payload).encode()
        status, data = self.send(method, path, body, {"Content-Type": "application/json"})
        return status, json.loads(data) if data else None


def sign(path: str, query: dict[str, str], body: bytes, app_secret: str) -> str:
    """TikTok's documented `sign`: HMAC-SHA256 of secret+path+sorted key+value+body+secret."""
    pairs = "".join(f"{key}{query[key]}" for key in sorted(query) if key not in ("sign", "access_token"))
    message = app_secret.encode() + path.encode() + pairs.encode() + body + app_secret.encode()
    return hmac.new(app_secret.encode(), message, hashlib.sha256).hexdigest()


class SignedClient:
    """Signed Partner API calls as one seller's shop: what an app developer's client sends."""

    def __init__(self, http: Http, app_key: str, app_secret: str) -> None:
        self.http, self.app_key, self.app_secret = http, app_key, app_secret
        self.access_token = self.shop_cipher = ""

    def call(self, method: str, path: str, payload: Any = None, **query: str) -> tuple[int, Any]:
        body = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        full = {"app_key": self.app_key, "timestamp": str(int(time.time()))}
        if self.shop_cipher and not path.startswith("/authorization/"):
            full["shop_cipher"] = self.shop_cipher
        full.update(query)
        full["sign"] = sign(path, full, body, self.app_secret)
        headers = {"content-type": "application/json", "x-tts-access-token": self.access_token}
        status, data = self.http.send(method, f"{path}?{urlencode(full)}", body or None, headers)
        return status, json.loads(data)

    def get(self, path: str, **query: str) -> tuple[int, Any]:
        return self.call("GET", path, **query)

    def post(self, path: str, payload: Any, **query: str) -> tuple[int, Any]:
        return self.call("POST", path, payload, **query)

    def authorize(self, external_business_id: str) -> SignedClient:
        """Auth code (control API), token, then the shop's cipher, as a seller's authorization goes."""
        status, answer = self.http.json("POST", f"/_sim/shops/{external_business_id}/auth_code")
        if status != 200:
            raise RuntimeError(f"auth code for {external_business_id}: {status} {answer}")
        query = urlencode({"app_key": self.app_key, "app_secret": self.app_secret,
                           "auth_code": answer["code"], "grant_type": "authorized_code"})
        status, answer = self.http.json("GET", f"/api/v2/token/get?{query}")
        if status != 200 or answer["code"] != 0:
            raise RuntimeError(f"token for {external_business_id}: {status} {answer}")
        self.access_token = answer["data"]["access_token"]
        status, answer = self.get("/authorization/202309/shops")
        if status != 200 or answer["code"] != 0:
            raise RuntimeError(f"shops of {external_business_id}: {status} {answer}")
        (shop,) = answer["data"]["shops"]
        self.shop_cipher = shop["cipher"]
        return self


class SimSession:
    """One simulator for a run, fresh in `data_dir` (a temp dir when None), reset between scenarios."""

    def __init__(self, tls: bool = False, data_dir: Path | None = None) -> None:
        self.tls = tls
        self._temp = None if data_dir else tempfile.mkdtemp(prefix="tiktok-sim-conformance-")
        self.server = SimServer(Path(data_dir or self._temp), tls=tls)
        self.http: Http | None = None

    def start(self) -> SimSession:
        self.server.start()
        self.http = Http(self.server.base_url, self.server.ca_path)
        return self

    def stop(self) -> None:
        self.server.stop()
        if self._temp:
            shutil.rmtree(self._temp, ignore_errors=True)

    def __enter__(self) -> SimSession:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def dav_url(self) -> str:
        return self.server.dav_url

    @property
    def ca_path(self) -> Path | None:
        return self.server.ca_path

    @property
    def external_business_id(self) -> str:
        return self.server.external_business_id

    @property
    def credentials(self) -> dict[str, str]:
        """The WebDAV user and access key a connector logs in with, and the app's key and secret."""
        server = self.server
        return {"dav_user": server.dav_user, "dav_password": server.dav_password,
                "app_key": server.app_key, "app_secret": server.app_secret}

    def dav_auth(self) -> dict[str, str]:
        """The Basic auth header for the embedded WebDAV."""
        pair = f"{self.server.dav_user}:{self.server.dav_password}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}

    def dav(self, method: str, relpath: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """A WebDAV call below `Impex/`, logged in as the connector is."""
        return self.http.send(method, f"{DAV_MOUNT}/{relpath}", body, {**(headers or {}), **self.dav_auth()})

    def api(self, method: str, path: str, payload: Any = None) -> tuple[int, Any]:
        """A JSON call to the simulator's own API (`/_sim/…`, `/api/jobs`, `/tbp/…`)."""
        return self.http.json(method, path, payload)

    def signed_client(self, external_business_id: str | None = None) -> SignedClient:
        """A Partner API client authorized for a tenant's shop (the server's own when None)."""
        client = SignedClient(self.http, self.server.app_key, self.server.app_secret)
        return client.authorize(external_business_id or self.external_business_id)

    def reset(self) -> None:
        """Empty shop, jobs, faults, journal and WebDAV tree, once no job a previous scenario left runs."""
        wait_until(lambda: self.api("POST", "/_sim/reset")[0] == 200, "a reset no running job refuses")

    def journal(self, since: int = 0, **filters: str) -> list[dict[str, Any]]:
        """Journal entries after `since`, narrowed by direction, method, path_prefix."""
        status, answer = self.api("GET", "/_sim/journal?" + urlencode({"since": since, **filters}))
        if status != 200:
            raise RuntimeError(f"GET /_sim/journal answered {status}: {answer}")
        return answer["data"]["entries"]

    def journal_mark(self) -> int:
        """The journal's newest number now: pass it as `since` to see only what came after."""
        status, answer = self.api("GET", "/_sim/journal?" + urlencode({"method": "NONE"}))
        if status != 200:
            raise RuntimeError(f"GET /_sim/journal answered {status}: {answer}")
        return answer["data"]["last_seq"]

    def arm_fault(self, **spec: Any) -> dict[str, Any]:
        """Arm a fault (docs/control-api.md, Faults): e.g. on="alert", http_status=503, times=2."""
        status, answer = self.api("POST", "/_sim/faults", spec)
        if status != 200:
            raise ValueError(f"fault {spec} refused: {status} {answer}")
        return answer

    def clear_faults(self) -> None:
        self.api("DELETE", "/_sim/faults")

    def jobs(self) -> list[dict[str, Any]]:
        return self.api("GET", "/api/jobs")[1]["jobs"]

    def settled_jobs(self, timeout: float = WAIT_S) -> list[dict[str, Any]]:
        """Every job, oldest first, once none is still queued or running."""
        def all_finished() -> tuple[list[dict[str, Any]]] | None:  # a tuple: no job at all is settled too
            jobs = self.jobs()
            return (sorted(jobs, key=lambda j: int(j["id"])),) if all(j["state"] in FINISHED for j in jobs) \
                else None

        try:
            return wait_until(all_finished, "every job to finish", timeout)[0]
        except TimeoutError:
            return sorted(self.jobs(), key=lambda j: int(j["id"]))

    def products(self, **query: str) -> list[dict[str, Any]]:
        """Every product from `/_sim/products`, all pages."""
        found, token = [], ""
        while True:
            status, page = self.api("GET", "/_sim/products?" + urlencode({**query, "page_token": token}))
            if status != 200:
                raise RuntimeError(f"GET /_sim/products answered {status}: {page}")
            found += page["products"]
            if not (token := page["next_page_token"]):
                return found
