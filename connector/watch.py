"""Watch a folder where SFCC exports land and sync when an export has finished arriving.

A single filesystem event is not a finished file (WsgiDAV and copy tools create, reopen and grow
files). Work starts only on a rename into place, or when a created file has been quiet for the
debounce time and its size stopped changing. Files are told apart by the XML namespace of their
root element, read from the head of the file only.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
import time
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from connector.catalog import CATALOG_NS
from connector.inventory import INVENTORY_NS
from connector.names import TEMP_PREFIX
from connector.pricebook import PRICEBOOK_NS
from connector.scan import SiteInputs
from connector.settings import Settings
from connector.sync import USER_ERRORS, Log, Syncer
from connector.xmlsafe import XmlInputError, open_iterparse

NAMESPACES = {CATALOG_NS: "catalog", PRICEBOOK_NS: "pricebook", INVENTORY_NS: "inventory"}


def is_candidate(path: Path) -> bool:
    """SFCC exports are `*.xml`; `*.part`, `TEMP_*` and hidden files are still being written."""
    name = path.name
    return name.endswith(".xml") and not name.startswith((TEMP_PREFIX, "."))


def export_kind(path: Path) -> str | None:
    """`catalog`, `pricebook` or `inventory` from the root element's namespace; None for other XML."""
    events = open_iterparse(path, events=("start",))
    try:
        _, root = next(events)
    except StopIteration:
        raise XmlInputError(path, None, None, "empty XML file") from None
    finally:
        events.close()
    namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    return NAMESPACES.get(namespace)


def folder_exports(folder: Path, log: Log) -> dict[str, tuple[Path, ...]]:
    """Every finished export in `folder` by kind, sorted by name; unreadable files are reported."""
    found: dict[str, list[Path]] = {kind: [] for kind in NAMESPACES.values()}
    for path in sorted(folder.iterdir()):
        if not (path.is_file() and is_candidate(path)):
            continue
        try:
            kind = export_kind(path)
        except USER_ERRORS as error:
            log(f"error: {error}")
            continue
        if kind:
            found[kind].append(path)
    return {kind: tuple(paths) for kind, paths in found.items()}


class _Events(FileSystemEventHandler):
    """Turns watchdog events into 'finished' (renamed into place) or 'settling' (being written)."""

    def __init__(self, watch: FolderWatch) -> None:
        self._watch = watch

    def on_moved(self, event: FileSystemEvent) -> None:
        if not event.is_directory:
            self._watch.finished(Path(str(event.dest_path)))

    def on_created(self, event: FileSystemEvent) -> None:
        if not event.is_directory:
            self._watch.settling(Path(str(event.src_path)))

    on_modified = on_created
    on_closed = on_created


class FolderWatch:
    """Watches one folder and runs the product or inventory sync for each finished export."""

    def __init__(self, folder: Path, settings: Settings, base_inputs: SiteInputs, log: Log,
                 debounce: float = 1.0) -> None:
        self.folder = folder
        self._settings, self._base, self._log, self._debounce = settings, base_inputs, log, debounce
        self._settling: dict[Path, tuple[float, int | None]] = {}
        self._lock = threading.Lock()
        self._ready: queue.Queue[tuple[Path, str] | None] = queue.Queue()
        self._observer = Observer()
        self._worker = threading.Thread(target=self._work, name="connector-watch", daemon=True)
        self._stopping = threading.Event()
        self.runs = 0          # finished sync runs, for status output and tests

    def finished(self, path: Path) -> None:
        """A file renamed into place is complete: queue it at once."""
        with self._lock:
            self._settling.pop(path, None)
        if path.parent == self.folder and is_candidate(path):
            self._ready.put((path, "renamed into place"))

    def settling(self, path: Path) -> None:
        """A created or growing file: (re)start its debounce."""
        if path.parent == self.folder and is_candidate(path):
            with self._lock:
                self._settling[path] = (time.monotonic(), None)

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._observer.schedule(_Events(self), str(self.folder), recursive=False)
        self._observer.start()
        self._worker.start()
        self._log(f"watching {self.folder} for SFCC exports")

    def stop(self) -> None:
        self._stopping.set()
        self._ready.put(None)
        self._observer.stop()
        self._observer.join()
        self._worker.join()

    def _settled(self) -> list[Path]:
        """Files quiet for the debounce time whose size did not change since the last look."""
        now, done = time.monotonic(), []
        with self._lock:
            for path, (since, size) in list(self._settling.items()):
                if now - since < self._debounce:
                    continue
                try:
                    current = path.stat().st_size
                except FileNotFoundError:
                    del self._settling[path]
                    continue
                if size == current:
                    del self._settling[path]
                    done.append(path)
                else:
                    self._settling[path] = (now, current)
        return done

    def _work(self) -> None:
        while not self._stopping.is_set():
            for path in self._settled():
                self._ready.put((path, "size settled"))
            try:
                first = self._ready.get(timeout=min(self._debounce, 0.2))
            except queue.Empty:
                continue
            batch = [first]
            while not self._ready.empty():
                batch.append(self._ready.get_nowait())
            if None in batch:
                return
            try:
                self._handle([item for item in batch if item is not None])
            except Exception as error:  # noqa: BLE001 - a watcher that dies silently is worse
                self._log(f"error: unexpected failure, still watching: {error!r}")

    def _handle(self, finished: list[tuple[Path, str]]) -> None:
        """Sync once for a batch: products if a catalog or price book finished, inventory if a list did."""
        kinds = set()
        for path, how in dict.fromkeys(finished):
            try:
                kind = export_kind(path)
            except USER_ERRORS as error:
                self._log(f"error: {error}")
                continue
            if kind is None:
                self._log(f"ignored {path.name}: not an SFCC catalog, price book or inventory export")
                continue
            self._log(f"finished export: {path.name} ({kind}, {how})")
            kinds.add(kind)
        if not kinds:
            return
        exports = folder_exports(self.folder, self._log)
        syncer = Syncer(self._settings, self._log)
        try:
            if kinds & {"catalog", "pricebook"}:
                self._sync_products(syncer, exports)
            if "inventory" in kinds:
                syncer.sync_inventory(exports["inventory"])
                self.runs += 1
        except USER_ERRORS as error:
            self._log(f"error: {error}")
        finally:
            syncer.close()

    def _sync_products(self, syncer: Syncer, exports: dict[str, tuple[Path, ...]]) -> None:
        if not exports["catalog"] or not exports["pricebook"]:
            self._log("waiting for both a catalog and a price book before a product sync")
            return
        site = self._base.site_catalog
        if site is not None and not site.is_file():
            self._log(f"waiting for the site catalog {site} (--site-catalog) before a product sync")
            return
        inputs = dataclasses.replace(self._base, catalogs=exports["catalog"],
                                     pricebooks=exports["pricebook"], inventories=exports["inventory"])
        syncer.sync_products(inputs)
        self.runs += 1
