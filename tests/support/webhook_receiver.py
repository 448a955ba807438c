"""A webhook receiver as an app developer runs one: it keeps every POST's raw body and headers, and
answers with the statuses it is told to (200 unless told otherwise), so tests see retries too.

Every delivery is checked with the PyPI client `tiktok-shop-api` (`Webhooks.verify_and_parse`), written
from TikTok's documentation and not from the simulator, so a parsed event is one TikTok's clients accept.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from tiktok_shop_api.webhooks import Webhooks

from support.net import LocalHTTPServer
from support.waiting import wait_for


@dataclass(frozen=True)
class Delivery:
    """One POST as it arrived, and what the receiver answered."""

    path: str
    headers: dict[str, str]
    body: bytes
    answered: int

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


class WebhookReceiver:
    """POSTs to `url` (any path) are recorded; `answers` are the statuses of the next POSTs, in order."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self.answers: list[int] = []
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with lock:
                    status = receiver.answers.pop(0) if receiver.answers else 200
                    receiver.deliveries.append(Delivery(self.path, dict(self.headers.items()), body, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = LocalHTTPServer(Handler)
        self.url = self._server.url + "/webhooks"

    def accepted(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.answered == 200]

    def events(self, app_key: str, app_secret: str) -> list[Any]:
        """Every accepted delivery, verified and parsed by the PyPI client (raises on a bad one)."""
        return [
            Webhooks.verify_and_parse(app_key=app_key, app_secret=app_secret, raw_body=d.body,
                                      signature=d.headers.get("Authorization", ""))
            for d in self.accepted()
        ]

    def wait(self, count: int, what: str = "") -> list[Delivery]:
        """Wait until `count` deliveries were accepted; returns them."""
        return wait_for(lambda: len(self.accepted()) >= count and self.accepted(),
                        f"{count} accepted webhook deliveries {what}(got {len(self.accepted())})")

    def stop(self) -> None:
        self._server.stop()
