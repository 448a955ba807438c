"""Working storage for jobs bigger than memory: a throwaway SQLite file, and a second process.

A scan or an inventory copy streams its input into a scratch file instead of holding it, so memory
does not grow with the catalog. Independent halves of a job can load meanwhile in a second process,
when the input is big enough to pay for starting one.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import signal
import sqlite3
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

_BATCH = 10_000
PARALLEL_MIN_BYTES = 4 << 20  # below ~4 MiB of input, starting a process costs more than it saves
_PRAGMAS = (
    "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-32768; PRAGMA temp_store=FILE;"
)


class Scratch:
    """A throwaway SQLite file: no journal, no fsync, inserts batched per statement."""

    def __init__(self, path: Path, schema: str) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.executescript(_PRAGMAS + schema)
        self._pending: dict[str, list[tuple[object, ...]]] = {}

    def add(self, sql: str, row: tuple[object, ...]) -> None:
        batch = self._pending.get(sql)
        if batch is None:  # not setdefault: that builds a throwaway list on every row
            batch = self._pending[sql] = []
        batch.append(row)
        if len(batch) >= _BATCH:
            self.db.executemany(sql, batch)
            batch.clear()

    def flush(self) -> None:
        for sql, batch in self._pending.items():
            self.db.executemany(sql, batch)
            batch.clear()


def worth_a_process(paths: Sequence[Path]) -> bool:
    """True when reading `paths` takes long enough to hide a second process's start-up cost."""
    return sum(path.stat().st_size for path in paths) >= PARALLEL_MIN_BYTES


def _exit_on_sigterm() -> None:
    """Pool workers turn `terminate` into SystemExit, so their clean-up (temp files) still runs."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))


def _context() -> multiprocessing.context.BaseContext:
    """`fork` when this process has one thread; a `forkserver` otherwise. A fork copies every lock another
    thread holds at that instant (SQLite's, stdio's) and nothing ever releases it in the copy, so with
    other threads alive (watch mode's observer, a test runner's servers) the worker could wait forever.
    A forkserver forks from a clean single-threaded process instead, at the cost of starting it once."""
    return multiprocessing.get_context("fork" if threading.active_count() == 1 else "forkserver")


class Background:
    """`function(*args)` in a second process when `parallel`, else inline when its result is asked for.

    Leaving the block stops a worker whose result nobody asked for (the caller failed first), so an
    error never waits for, nor leaves behind, the other half of the work. The worker is forked (see
    `_context`): `spawn` would start a fresh interpreter (slower) and re-run the caller's main script,
    which breaks any script that calls the connector without an `if __name__ == "__main__"` guard. The
    worker only parses files and writes its own new files; it never touches what it inherits.
    """

    def __init__(self, function: Callable[..., Any], args: tuple[object, ...], parallel: bool) -> None:
        self._function, self._args = function, args
        self._pool = _context().Pool(1, _exit_on_sigterm) if parallel else None
        self._pending = self._pool.apply_async(function, args) if self._pool else None

    def result(self) -> Any:
        if self._pending is None:
            return self._function(*self._args)
        pending, self._pending = self._pending, None
        return pending.get()

    def __enter__(self) -> Background:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool:
            if self._pending is None:
                self._pool.close()  # the worker is done: let it exit on its own
            else:
                self._pool.terminate()
            self._pool.join()
