"""The clock of delayed reviews: publishes each held outcome once it is due.

One thread per server. It sleeps until the next due outcome, but never longer than `POLL_S`, so an
outcome a job holds meanwhile is noticed without the job having to know about the clock. It releases what
is due as soon as it starts, so outcomes that fell due while the server was stopped publish at start.
"""

from __future__ import annotations

import logging
import threading
import time

from simulator.moderation import next_due, release_due
from simulator.store import Store

POLL_S = 0.25
_log = logging.getLogger(__name__)


class ReviewClock:
    """Releases due held reviews in the background until `stop()`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="review-clock", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """Look again now: a mode changed, or a decision by hand moved the next due time."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def _run(self) -> None:
        while not self._stopping:
            try:
                due = next_due(self.store)  # a read: no write lock taken while nothing is due
                if due is not None and due <= time.time():
                    release_due(self.store)
                    continue
            except Exception:  # a busy or closing store: try again at the next tick
                _log.exception("releasing held reviews failed")
                due = None
            self._wake.wait(POLL_S if due is None else min(POLL_S, due - time.time()))
            self._wake.clear()
