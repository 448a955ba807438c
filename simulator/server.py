"""One process, one port: the embedded SFCC WebDAV and the TikTok Shop app behind one cheroot server.

One port keeps a local run zero-configuration: the default tenant's WebDAV host is this server, so
`tiktok-sim serve` registers itself as that tenant once the port is bound.
"""

from __future__ import annotations

import ipaddress
import json
import ssl
import threading
import time
import urllib.request
from dataclasses import replace
from pathlib import Path
from types import TracebackType

from cheroot import wsgi

from simulator import journal
from simulator.app import create_app
from simulator.control_api import ControlPlane
from simulator.control_api import install as install_control
from simulator.credentials import FILE_NAME as CREDENTIALS_FILE
from simulator.credentials import resolve as resolve_credentials
from simulator.dav import DAV_MOUNT, build_dav_app, impex_root
from simulator.gateway import PartnerApp
from simulator.job import Limits
from simulator.requestlimits import DEFAULT_MAX_REQUEST_BODY, ClosingGateway
from simulator.review_clock import ReviewClock
from simulator.rules.profiles import DEFAULT_REGION
from simulator.runner import JobRunner
from simulator.shops import open_missing, register
from simulator.store import Store
from simulator.tenant import DEFAULT_TENANT_ID, Tenant
from simulator.tls import ServerCertificate, TlsError, client_context, local_certificate, own_certificate
from simulator.tls_accept import DeferredHandshakeAdapter, TlsConnection
from simulator.tokens import ACCESS_TOKEN_LIFETIME_S
from simulator.webhooks import RETRY_S, WebhookSender

STARTUP_TIMEOUT_S = 15.0
# How often cheroot's accept loop wakes, so how late it notices a stop; cheroot's own choice on Windows.
ACCEPT_POLL_S = 0.05
WORKER_THREADS = 16


class SimServer:
    """The simulator on `host:port` (0 picks a free port); `start()` returns once it answers health."""

    def __init__(
        self,
        data_dir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        dav_user: str | None = None,
        dav_password: str | None = None,
        external_business_id: str = DEFAULT_TENANT_ID,
        region: str = DEFAULT_REGION,
        *,
        app_key: str | None = None,
        app_secret: str | None = None,
        external_data_key: str | None = None,
        access_token_lifetime_s: int = ACCESS_TOKEN_LIFETIME_S,
        tls: bool = False,
        tls_cert: Path | None = None,
        tls_key: Path | None = None,
        ca_file: Path | None = None,
        journal_size: int = journal.DEFAULT_SIZE,
        webhook_retry_s: tuple[float, ...] = RETRY_S,
        limits: Limits | None = None,
        max_request_body: int = DEFAULT_MAX_REQUEST_BODY,
    ) -> None:
        self.max_request_body = max_request_body  # bytes of one API request body (requestlimits.BodyCap)
        self.data_dir = Path(data_dir)
        self.limits = limits or Limits()  # pickup's, the readers' and the uploads folder's
        self.host = host
        self.port = port
        # Given values win; the rest come from the data dir's credentials file, or are generated, at start.
        self._given = {
            "dav_user": dav_user, "dav_password": dav_password, "app_key": app_key,
            "app_secret": app_secret, "external_data_key": external_data_key,
        }
        self.dav_user = self.dav_password = self.app_key = self.app_secret = self.external_data_key = ""
        self.access_token_lifetime_s = access_token_lifetime_s
        self.external_business_id = external_business_id
        self.region = region
        self.tls = tls or tls_cert is not None or tls_key is not None
        self.tls_cert, self.tls_key, self.ca_file = tls_cert, tls_key, ca_file
        self.certificate: ServerCertificate | None = None
        self._server: wsgi.Server | None = None
        self._thread: threading.Thread | None = None
        self.store: Store | None = None
        self.runner: JobRunner | None = None
        self.journal = journal.Journal(journal_size)  # of every request in or out (docs/control-api.md)
        self.webhook_retry_s = webhook_retry_s
        self.sender: WebhookSender | None = None
        self.clock: ReviewClock | None = None

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    @property
    def dav_url(self) -> str:
        return self.base_url + DAV_MOUNT

    @property
    def ca_path(self) -> Path | None:
        """The CA a client must trust, when the simulator made its own certificate (`tls/ca.pem`)."""
        return self.certificate.ca if self.certificate else None

    def _load_certificate(self) -> ServerCertificate | None:
        if not self.tls:
            return None
        if self.tls_cert is None or self.tls_key is None:
            if self.tls_cert or self.tls_key:
                raise TlsError("--tls-cert and --tls-key go together: give both or neither")
            return local_certificate(self.data_dir / "tls", self.host)
        return own_certificate(self.tls_cert, self.tls_key)

    @property
    def credentials_file(self) -> Path:
        return self.data_dir / CREDENTIALS_FILE

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        keys = resolve_credentials(self.data_dir, **self._given)
        self.dav_user, self.dav_password = keys.dav_user, keys.dav_password
        self.app_key, self.app_secret = keys.app_key, keys.app_secret
        self.external_data_key = keys.external_data_key
        self.certificate = self._load_certificate()
        trust = client_context(self.ca_file, self.ca_path)  # pickup's, and the health check's below
        self.store = Store(self.data_dir)
        self.runner = JobRunner(self.store, self.data_dir, trust, self.limits)
        dav = build_dav_app(impex_root(self.data_dir), self.dav_user, self.dav_password)
        partner = PartnerApp(self.app_key, self.app_secret, self.access_token_lifetime_s)
        app = create_app(self.store, self.runner, partner, self.external_data_key, self.max_request_body)
        self.clock = ReviewClock(self.store)
        guard = None if _loopback(self.host) else (self.dav_user, self.dav_password)
        install_control(app, ControlPlane(impex_root(self.data_dir), self.runner.uploads, self.clock, guard))
        journal.attach(self.store, self.journal)
        dispatcher = journal.middleware(
            wsgi.PathInfoDispatcher({DAV_MOUNT: dav, "/": app}), self.journal, skip=("/_sim/", "/dashboard/"),
            no_json=(DAV_MOUNT,),
        )
        self._server = wsgi.Server(
            (self.host, self.port), dispatcher, numthreads=WORKER_THREADS, server_name="tiktok-sim"
        )
        self.sender = WebhookSender(self.store, self.app_key, self.app_secret, self.webhook_retry_s, trust)
        # stop() returns only once the accept loop has noticed it, and the loop looks once per
        # select() wait of `expiration_interval` (0.5 s by default): that wait was most of every stop.
        self._server.expiration_interval = ACCEPT_POLL_S
        self._server.gateway = ClosingGateway  # a refused large body closes the connection, unread
        if self.certificate:
            pair = self.certificate
            self._server.ssl_adapter = DeferredHandshakeAdapter(str(pair.cert), str(pair.key))
            self._server.ConnectionClass = TlsConnection  # handshakes off the accepting thread
        self._server.prepare()
        self.port = self._server.bind_addr[1]
        # the embedded WebDAV shows a PUT only once it is whole: pickup need not wait for its files to settle
        self.runner.limits = replace(self.limits, atomic_origin=self.base_url)
        register(
            self.store,
            Tenant(
                self.external_business_id, self.base_url, self.dav_user, self.dav_password, region=self.region
            ),
        )
        open_missing(self.store)
        self.clock.start()  # held reviews that fell due while stopped publish now
        self.runner.start()  # re-queued jobs go first; their PROPFIND waits in the listen backlog
        self._thread = threading.Thread(target=self._server.serve, name="tiktok-sim-http", daemon=True)
        self._thread.start()
        self.sender.start()
        try:
            self._wait_healthy(trust)
        except BaseException:
            self.stop()
            raise

    def _wait_healthy(self, trust: ssl.SSLContext) -> None:
        """Ask health as a client would, so a certificate its own tenant's pickup would refuse fails here."""
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        url = self.base_url + "/_sim/health"
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2, context=trust) as answer:
                    if answer.status == 200 and json.load(answer):
                        return
            except OSError as error:
                reason = getattr(error, "reason", error)
                if isinstance(reason, ssl.SSLCertVerificationError):
                    raise TlsError(f"{self.base_url}: the served certificate does not verify "
                                   f"({reason.verify_message}); serve with a --host it names, and give "
                                   "--ca-file the CA that signed it") from None
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
        if self._thread is not None:
            self._thread.join(10)
        if self.runner is not None:
            self.runner.stop()
        if self.sender is not None:
            self.sender.stop()
        if self.clock is not None:
            self.clock.stop()
        if self.store is not None:
            self.store.close()
        self._server = self._thread = self.runner = self.clock = self.sender = self.store = None

    def __enter__(self) -> SimServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _loopback(host: str) -> bool:
    """Whether only this machine can reach `host`: then the control API needs no credentials."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: reachable from wherever it resolves
