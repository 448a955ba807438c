"""A folder a command creates goes again when the command fails: bad input leaves nothing behind.

Used for `sync`'s state folder (unless a run waits in its outbox for the next sync) and `export`'s
output folder. Only what did not exist before the command is removed, parents made for it included.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def _first_missing(path: Path) -> Path | None:
    """The topmost folder on the way to `path` that does not exist yet, if any."""
    if path.exists():
        return None
    while not path.parent.exists() and path.parent != path:
        path = path.parent
    return path


@contextmanager
def removed_on_failure(folder: Path, keep: Callable[[], bool] = lambda: False) -> Iterator[bool]:
    """Yield whether `folder` is new; if so and the body fails, remove it unless `keep()` says otherwise."""
    created = _first_missing(folder)
    try:
        yield created is not None
    except BaseException:
        if created is not None and not keep():
            shutil.rmtree(created, ignore_errors=True)
        raise
