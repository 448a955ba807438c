"""The job steps' CPU-bound work in worker processes, so it uses the second core while the job's thread
reads its input and writes SQLite.

Checking products is pure Python (decoding their stored rows, the rules): in one process with the API
threads and the SQLite work it runs under one GIL, at about 60 µs per SKU. A step hands its work over in
chunks, in order, and takes each chunk's results back in the same order, so what a job stores and reports
is the same whichever process did the work. Workers come from a forkserver (serve is multi-threaded: a
plain fork could copy a lock another thread holds and hang the worker), are started by the first large job
and kept for the next; each ends by itself when the server's process is gone, so a `kill -9` leaves none
behind. A worker that dies costs nothing but time: its chunk and the rest are done in the job's own thread.
Only the review uses it: parsing the upload's lines in workers was measured slower at 100,000 rows (the
job's thread still reads and decodes every line, and the rows come back to it to be staged).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Generic, TypeVar

WORKERS = 2  # the project's machines have two cores; the job's own thread mostly waits on SQLite
AHEAD = 2 * WORKERS  # chunks handed over and not yet taken back: bounds what is held in memory
PARENT_POLL_S = 0.5  # how often a worker looks whether the server is still there

T = TypeVar("T")
R = TypeVar("R")

_log = logging.getLogger(__name__)


def _end_with(server: int) -> None:
    """In a worker: exit once the server's process is gone. A worker cannot wait for its own parent to
    go: that is the forkserver, which lives as long as any process it started does."""

    def watch() -> None:
        while True:
            time.sleep(PARENT_POLL_S)
            try:
                os.kill(server, 0)
            except ProcessLookupError:
                os._exit(0)

    threading.Thread(target=watch, name="server-watch", daemon=True).start()


Handed = tuple[ProcessPoolExecutor, "Future[Any]"]  # a chunk out with a worker, and whose worker


class WorkerPool:
    """Worker processes shared by the runner's jobs; `close` ends them."""

    def __init__(self, workers: int = WORKERS) -> None:
        self._workers = workers
        self._executor: ProcessPoolExecutor | None = None
        self._closed = False
        self._lock = threading.Lock()

    def _submit(self, work: Callable[[T], R], chunk: T) -> Handed | None:
        """The chunk handed to a worker; None when it must be done here: the pool is closed (the server
        is stopping) or broken (a worker died)."""
        with self._lock:
            if self._closed:
                return None
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    self._workers, mp_context=multiprocessing.get_context("forkserver"),
                    initializer=_end_with, initargs=(os.getpid(),),
                )
            executor = self._executor
            try:
                return executor, executor.submit(work, chunk)
            except BrokenProcessPool as error:
                self._discard(executor, error)
                return None

    def warm(self, work: Callable[[T], R], chunk: T) -> None:
        """Start the workers now and have each load `work`'s module, on a chunk whose result nobody wants:
        a worker takes about half a second to start, better spent while the job's thread is busy."""
        for _ in range(self._workers):
            self._submit(work, chunk)

    def in_order(self, work: Callable[[T], R]) -> InOrder[T, R]:
        """Chunks for `work` handed over one by one, their results taken back in the same order."""
        return InOrder(self, work)

    def _take(self, work: Callable[[T], R], chunk: T, handed: Handed | None) -> tuple[R, bool]:
        """The chunk's result, and whether it had to be worked out here."""
        if handed is None:
            return work(chunk), True
        executor, future = handed
        try:
            return future.result(), False
        except (BrokenProcessPool, CancelledError) as error:
            with self._lock:
                self._discard(executor, error)
            return work(chunk), True

    def _discard(self, executor: ProcessPoolExecutor, error: Exception) -> None:
        """Forget a broken pool (called holding the lock): the next large job starts a new one."""
        if self._executor is executor:
            _log.warning("a worker process ended (%s); going on in the job's own thread", error)
            self._executor = None
            executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """End the workers once the chunks they hold are done; later work runs in the caller."""
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)


class InOrder(Generic[T, R]):
    """Chunks handed to a pool's workers, at most AHEAD at a time, whose results are taken back in the
    order they were put: a caller may hand chunks over while it does other work, and never waits to."""

    def __init__(self, pool: WorkerPool, work: Callable[[T], R]) -> None:
        self._pool = pool
        self._work = work
        self._pending: deque[tuple[T, Handed | None]] = deque()
        self._local = False  # a chunk could not be handed over or finished: this one and the rest run here

    def __len__(self) -> int:
        return len(self._pending)

    def full(self) -> bool:
        """No room for another chunk: the oldest must be taken first (at once when they run here)."""
        return len(self._pending) >= (1 if self._local else AHEAD)

    def put(self, chunk: T) -> None:
        handed = None if self._local else self._pool._submit(self._work, chunk)
        self._local = handed is None
        self._pending.append((chunk, handed))

    def ready(self) -> bool:
        """A worker has finished the oldest chunk: its result is taken without waiting (a chunk to be
        worked out here is never ready: it costs the caller the work)."""
        return bool(self._pending) and self._pending[0][1] is not None and self._pending[0][1][1].done()

    def take(self) -> R:
        """The oldest chunk's result, waiting for its worker (or working it out here)."""
        chunk, handed = self._pending.popleft()
        result, local = self._pool._take(self._work, chunk, handed)
        self._local = self._local or local
        return result
