"""Working storage for jobs bigger than memory: a throwaway SQLite file, and a second process.

A scan or an inventory copy streams its input into a scratch file instead of holding it, so memory
does not grow with the catalog. Independent halves of a job can load meanwhile in a second process,
when the input is big enough to pay for starting one.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import multiprocessing.context
import multiprocessing.process
import signal
import sqlite3
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

_BATCH = 10_000
PARALLEL_MIN_BYTES = 4 << 20  # below ~4 MiB of input, starting a process costs more than it saves
SCAN_CACHE_KIB = -32768  # the page cache of each scratch connection: 32 MiB (negative: in KiB)
_PRAGMAS = (
    f"PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size={SCAN_CACHE_KIB}; "
    "PRAGMA temp_store=FILE;"
)


class Scratch:
    """A throwaway SQLite file: no journal, no fsync, inserts batched per statement."""

    def __init__(self, path: Path, schema: str) -> None:
        # Opened by URI so that ATTACH honours `file:...?mode=ro` on every SQLite build, not only those
        # compiled with SQLITE_USE_URI (a delta attaches the committed snapshot read-only: connector/rows.py).
        self.db = sqlite3.connect(path.resolve().as_uri(), uri=True, isolation_level=None)
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


def _context() -> multiprocessing.context.BaseContext:
    """`fork` when this process has one thread; a `forkserver` otherwise. A fork copies every lock another
    thread holds at that instant (SQLite's, stdio's) and nothing ever releases it in the copy, so with
    other threads alive (watch mode's observer, a test runner's servers) the worker could wait forever.
    A forkserver forks from a clean single-threaded process instead, at the cost of starting it once."""
    return multiprocessing.get_context("fork" if threading.active_count() == 1 else "forkserver")


class WorkerDied(ChildProcessError):
    """The second process ended without an answer (killed, out of memory): the command fails, not waits."""


def _work(answer: multiprocessing.connection.Connection, function: Callable[..., Any],
          args: tuple[object, ...]) -> None:
    """The worker: `terminate` becomes SystemExit, so clean-up (temp files) runs; the outcome goes back."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        outcome = (True, function(*args))
    except Exception as error:  # it is raised again in the caller, which reports it
        outcome = (False, error)
    answer.send(outcome)
    answer.close()


class Background:
    """`function(*args)` in a second process when `parallel`, else inline when its result is asked for.

    Leaving the block stops a worker whose result nobody asked for (the caller failed first), so an
    error never waits for, nor leaves behind, the other half of the work. A worker that dies without an
    answer raises WorkerDied (a pool would wait for it forever). The worker is forked (see `_context`):
    `spawn` would start a fresh interpreter (slower) and re-run the caller's main script, which breaks any
    script that calls the connector without an `if __name__ == "__main__"` guard. The worker only parses
    files and writes its own new files; it never touches what it inherits.
    """

    def __init__(self, function: Callable[..., Any], args: tuple[object, ...], parallel: bool) -> None:
        self._function, self._args = function, args
        self._process: multiprocessing.process.BaseProcess | None = None
        if parallel:
            context = _context()
            self._answer, sender = context.Pipe(duplex=False)
            self._process = context.Process(target=_work, args=(sender, function, args), daemon=True)
            self._process.start()
            sender.close()  # only the worker holds it now: its death ends the pipe
        self._done = False

    def result(self) -> Any:
        if self._process is None:
            return self._function(*self._args)
        try:
            succeeded, value = self._answer.recv()
        except EOFError:
            self._process.join()
            raise WorkerDied(f"the second process ({getattr(self._function, '__name__', 'worker')}) ended "
                             f"without an answer (exit code {self._process.exitcode})") from None
        finally:
            self._done = True
        if not succeeded:
            raise value
        return value

    def __enter__(self) -> Background:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            if not self._done:
                self._process.terminate()
            self._process.join()
            self._answer.close()
