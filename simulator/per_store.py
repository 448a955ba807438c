"""One object per simulator, found from its store: what job steps and background senders reach that way.

A step and the webhook sender are handed only the store; the journal and the armed faults belong to the
server that owns that store. Weak keys, so a stopped server's objects go with its store.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class PerStore(Generic[T]):
    """`registry(store)` answers the object attached to `store`, made with `make` on first use."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._of: weakref.WeakKeyDictionary[object, T] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def attach(self, owner: object, value: T) -> None:
        with self._lock:
            self._of[owner] = value

    def __call__(self, owner: object) -> T:
        with self._lock:
            found = self._of.get(owner)
            if found is None:
                found = self._of[owner] = self._make()
            return found
