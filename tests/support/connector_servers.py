"""Real servers for the connector's tests: WsgiDAV (plays the SFCC instance) and a TikTok alert endpoint.

Both bind 127.0.0.1 on a free port and record what they receive, so tests assert what a server saw.
The connector's tests import these helpers; they never import the simulator.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter
from wsgidav.fs_dav_provider import FilesystemProvider
from wsgidav.wsgidav_app import WsgiDAVApp

from connector.settings import Settings
from support.certs import TestCA
from support.net import STOP_POLL_S, LocalHTTPServer
from support.sfcc import MOUNT

DAV_USER, DAV_PASSWORD = "bm-user", "access-key"


class DavServer:
    """WsgiDAV on cheroot serving `root` as the instance's `Impex` share, Basic auth, request log;
    https when given a CA to sign its certificate."""

    def __init__(self, root: Path, tls: TestCA | None = None) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.requests: list[tuple[str, str, int]] = []   # (method, path below Impex, status)
        self.refuse: dict[str, int] = {}                  # method -> how many more to answer 503
        config = {
            "provider_mapping": {"/": FilesystemProvider(str(root))},
            "mount_path": MOUNT,
            "http_authenticator": {"domain_controller": None, "accept_basic": True,
                                   "accept_digest": False, "default_to_digest": False},
            "simple_dc": {"user_mapping": {"*": {DAV_USER: {"password": DAV_PASSWORD}}}},
            "lock_storage": True,
            "property_manager": True,
            "verbose": 0,
            "logging": {"enable": False},
        }
        dav = WsgiDAVApp(config)

        def logged(environ: dict, start_response: Callable) -> object:
            method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
            if self.refuse.get(method):
                self.refuse[method] -= 1
                self.requests.append((method, path.lstrip("/"), 503))
                start_response("503 Service Unavailable", [("Content-Length", "0")])
                return [b""]

            def record(status: str, headers: list, *args: object) -> object:
                self.requests.append((method, path.lstrip("/"), int(status[:3])))
                return start_response(status, headers, *args)

            return dav(environ, record)

        self._server = wsgi.Server(("127.0.0.1", 0), wsgi.PathInfoDispatcher({MOUNT: logged}), numthreads=8)
        self._server.expiration_interval = STOP_POLL_S
        if tls:
            self._server.ssl_adapter = BuiltinSSLAdapter(*map(str, tls.server_files()))
        self._server.prepare()
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self._server.bind_addr[1]}"
        self._thread = threading.Thread(target=self._server.serve, daemon=True)
        self._thread.start()

    def file(self, path: str) -> Path:
        return self.root / path

    def names(self, folder: str) -> list[str]:
        directory = self.root / folder
        return sorted(p.name for p in directory.iterdir() if p.is_file()) if directory.is_dir() else []

    def stop(self) -> None:
        self._server.stop()
        self._thread.join()


class AlertServer:
    """TikTok's notify endpoint: records each POST; `fail(n, how)` makes the next n answers fail."""

    def __init__(self, tls: TestCA | None = None) -> None:
        self.calls: list[dict] = []
        self.raw: list[bytes] = []
        self.paths: list[str] = []
        self.headers: list[dict[str, str]] = []
        self._failures: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                server.raw.append(body)
                server.paths.append(self.path)
                server.headers.append({k.lower(): v for k, v in self.headers.items()})
                server.calls.append(json.loads(body))
                how = server._failures.pop(0) if server._failures else "ok"
                status, answer = {"ok": (200, {"code": 0, "message": "OK", "request_id": "r"}),
                                  "code": (200, {"code": 40004, "message": "unknown tenant"}),
                                  "http": (500, {"code": 0})}[how]
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self._http = LocalHTTPServer(Handler, tls.server_context() if tls else None)
        self.url = self._http.url

    def fail(self, times: int, how: str = "code") -> None:
        """Answer the next `times` calls with a failure: `code` (HTTP 200, code != 0) or `http` (500)."""
        self._failures = [how] * times

    def updates(self) -> list[tuple[str, str]]:
        """(feed_type, update_type) of every call, in arrival order."""
        return [(call["params"]["feed_type"], call["params"]["update_type"]) for call in self.calls]

    def stop(self) -> None:
        self._http.stop()


def settings_for(dav: DavServer, alerts: AlertServer, state_dir: Path, site_id: str = "TestSite") -> Settings:
    return Settings(instance=dav.url, user=DAV_USER, password=DAV_PASSWORD, site_id=site_id,
                    tiktok_url=alerts.url, state_dir=state_dir)
