"""One sync run, in the flow's order: scan, decide, write to the outbox, drop, alert, commit.

Every run first lands complete in a local outbox with a manifest, and only then touches the network.
A run whose drop or alert fails stays there as pending; the next run finishes it (re-dropping what
the server lacks, re-sending unacknowledged alerts, committing the snapshot) before doing its own
work. So an interrupted sync loses nothing and applies nothing twice.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Literal

from connector.alert import AlertError, notify
from connector.feed import write_feed_lines
from connector.inventory_export import write_inventory_export
from connector.names import (
    LASTRUN_NAME,
    delete_feed_name,
    feed_file_name,
    inventory_file_name,
    stamp24,
    tracker_file_name,
)
from connector.rows import Previous, RowState
from connector.scan import SiteCatalogError, SiteInputs, scan_site
from connector.settings import Settings
from connector.snapshot import Snapshot
from connector.summary import ExportSummary
from connector.tracker import write_delete_feed, write_lastrun, write_tracker
from connector.webdav import INVENTORY_FOLDER, PRODUCT_FOLDER, WebDavClient, WebDavError, tracking_folder
from connector.xmlsafe import XmlInputError

Mode = Literal["auto", "full", "delta"]
Log = Callable[[str], None]
MANIFEST = "manifest.json"
_BATCH = 2000  # SKUs per staging write and snapshot lookup: few queries, little memory


class SyncError(RuntimeError):
    """A run cannot start as asked (e.g. `--partial` with nothing to apply it to)."""


# Bad input, an instance or TikTok that refuses, a run that cannot start: the user's to fix, so the
# command line and the watcher report them in one line instead of a traceback.
USER_ERRORS = (XmlInputError, SiteCatalogError, WebDavError, AlertError, SyncError, OSError)


@dataclass
class RunResult:
    """What one run wrote and sent, for the CLI's summary and for tests."""

    run_id: str
    feed_rows: int = 0
    deleted: int = 0
    tracked: int = 0
    files: list[str] = field(default_factory=list)
    mode: str = ""
    summary: ExportSummary | None = None

    def as_dict(self) -> dict[str, object]:
        """For `--format json`: `feed_rows` counts inventory records on an inventory run."""
        summary = self.summary.as_dict(self.feed_rows) if self.summary else None
        return {"run_id": self.run_id, "mode": self.mode, "files": self.files, "feed_rows": self.feed_rows,
                "deleted": self.deleted, "tracked": self.tracked, "summary": summary}


class _Outbox:
    """`<state>/outbox/<site>/<run id>/`: a run's files plus, once complete, its manifest."""

    def __init__(self, settings: Settings) -> None:
        self.root = settings.state_dir / "outbox" / settings.site_id

    def new_run(self, run_id: str) -> Path:
        run_dir = self.root / run_id
        run_dir.mkdir(parents=True, exist_ok=False)
        return run_dir

    def pending(self) -> list[dict]:
        """Manifests of complete but unfinished runs, oldest first; half-written run dirs are removed."""
        manifests = []
        for run_dir in sorted(self.root.iterdir()) if self.root.is_dir() else []:
            manifest = run_dir / MANIFEST
            if manifest.is_file():
                manifests.append(json.loads(manifest.read_text(encoding="utf-8")))
            else:
                shutil.rmtree(run_dir)
        return manifests

    def save(self, manifest: dict) -> None:
        """Atomically (re)write a run's manifest: its presence is what makes the run pending."""
        path = self.root / manifest["run_id"] / MANIFEST
        temp = path.with_suffix(".tmp")
        temp.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        os.replace(temp, path)

    def remove(self, run_id: str) -> None:
        shutil.rmtree(self.root / run_id, ignore_errors=True)


class Syncer:
    """Runs product and inventory syncs for one site against one instance and one TikTok."""

    def __init__(self, settings: Settings, log: Log = print, report: Log | None = None) -> None:
        """`log` gets progress lines; `report` the export summary and warnings (default stderr)."""
        self.settings = settings
        self.log = log
        self.report = report or functools.partial(print, file=sys.stderr)
        self.dav = WebDavClient(settings.instance, settings.user, settings.password, ca_file=settings.ca_file)
        self.snapshot = Snapshot(settings.state_dir, settings.site_id)
        self.outbox = _Outbox(settings)
        self.job_ids: list[str] = []  # the simulator's jobs for the alerts sent, for `sync --wait`

    def close(self) -> None:
        self.snapshot.close()

    # -- finishing runs -------------------------------------------------------------------------

    def finish_pending(self) -> int:
        """Deliver every pending run, oldest first; returns how many were finished."""
        pending = self.outbox.pending()
        self.snapshot.discard_runs_except(manifest["run_id"] for manifest in pending)
        for manifest in pending:
            if manifest["snapshot"] and manifest["run_id"] == self.snapshot.last_committed_run:
                self.outbox.remove(manifest["run_id"])   # committed, only the clean-up was lost
                continue
            self.log(f"finishing pending run {manifest['run_id']}")
            self._deliver(manifest)
        return len(pending)

    def _deliver(self, manifest: dict) -> None:
        try:
            self._send(manifest)
        except (WebDavError, AlertError) as error:
            raise type(error)(f"{error}; run {manifest['run_id']} waits in the outbox "
                              f"({self.outbox.root}) and the next sync finishes it") from None

    def _send(self, manifest: dict) -> None:
        run_dir = self.outbox.root / manifest["run_id"]
        for item in manifest["files"]:
            sent = self.dav.drop(run_dir / item["name"], item["folder"], item["name"], item["via_temp"])
            where = self.dav.url(f"{item['folder']}/{item['name']}")
            self.log(f"dropped {where}" if sent else f"already on the server: {where}")
        for index, alert in enumerate(manifest["alerts"]):
            if index < manifest["alerts_done"]:
                continue
            attempts = notify(self.settings.tiktok_url, self.settings.external_business_id,
                              self.dav.url(alert["folder"]), alert["feed_type"], alert["update_type"],
                              ca_file=self.settings.ca_file, on_job=self.job_ids.append)
            manifest["alerts_done"] = index + 1
            self.outbox.save(manifest)
            self.log(f"alerted TikTok: {alert['feed_type']}/{alert['update_type']} "
                     f"(attempt {attempts} of 3)")
        if manifest["snapshot"]:
            count = self.snapshot.commit_run(manifest["run_id"])
            self.log(f"snapshot committed: {count} SKUs known to TikTok")
        if manifest.get("inventory_digest"):
            self.snapshot.commit_inventory(manifest["inventory_digest"])
        self.outbox.remove(manifest["run_id"])

    # -- product runs ---------------------------------------------------------------------------

    def _next_time(self, locale: str) -> datetime:
        """Now on the site calendar, moved to a later second while the feed name would repeat.

        Names repeat within a second of the previous run, and, because the cartridge's feed names use
        the 12-hour clock, twelve hours apart: so the product folder is asked too.
        """
        now = datetime.now(self.settings.zone)
        while (stamp24(now) == self.snapshot.last_stamp or self.dav.size(
                f"{PRODUCT_FOLDER}/{feed_file_name(self.settings.site_id, locale, now)}") is not None):
            time.sleep(1.0 - now.microsecond / 1_000_000 + 0.001)
            now = datetime.now(self.settings.zone)
        return now

    def _run_id(self, now: datetime, kind: str) -> str:
        return f"{now:%Y%m%d%H%M%S}{now.microsecond // 1000:03d}-{kind}"

    def sync_products(self, inputs: SiteInputs, mode: Mode = "auto", *, partial: bool = False,
                      cartridge_compat: bool = False) -> RunResult:
        """One product run: finish pending runs, write feed/delete/tracker/lastrun, drop, alert, commit."""
        self.finish_pending()
        if mode == "auto":
            mode = "delta" if self.snapshot.exists else "full"
        if partial and not self.snapshot.exists:
            raise SyncError("--partial applies an SFCC delta import on top of a previous sync; "
                            "run a full sync for this site first")
        if partial and mode == "full":
            raise SyncError("--partial cannot be combined with --full")
        now = self._next_time(inputs.locale)
        run_id = self._run_id(now, "product")
        run_dir = self.outbox.new_run(run_id)
        try:
            result, manifest = self._write_product_run(inputs, run_dir, run_id, now, mode == "delta",
                                                       partial, cartridge_compat)
        except BaseException:
            self.snapshot.abort_staging()
            self.outbox.remove(run_id)
            raise
        self.log(f"wrote {result.files[0]}: {result.feed_rows} rows ({mode}"
                 f"{', cartridge rule' if cartridge_compat and mode == 'delta' else ''})")
        self.log(f"wrote {result.files[1]}: {result.deleted} deleted SKUs")
        self.log(f"wrote {result.files[2]}: {result.tracked} SKUs tracked")
        for line in result.summary.lines(result.feed_rows) if result.summary else ():
            self.report(line)
        self._deliver(manifest)
        result.mode = mode
        return result

    def _write_product_run(self, inputs: SiteInputs, run_dir: Path, run_id: str, now: datetime,
                           delta: bool, partial: bool, cartridge_compat: bool) -> tuple[RunResult, dict]:
        site, locale = self.settings.site_id, inputs.locale
        result = RunResult(run_id)
        feed_name = feed_file_name(site, locale, now)
        delete_name = delete_feed_name(site, now)
        scan = scan_site(inputs, now)
        # A delta's join reads the committed snapshot, so a row TikTok already has is not formatted.
        states = scan.row_states(Previous(self.snapshot.path, site) if delta else None)
        self.snapshot.begin_staging(run_id, carry_over=partial)
        try:
            result.feed_rows = write_feed_lines(
                self._select(states, run_id, delta, cartridge_compat), run_dir / feed_name)
            if partial:
                self.snapshot.unstage(run_id, scan.deleted_ids)
            result.deleted = write_delete_feed(scan.deletable(self.snapshot.vanished(run_id)),
                                               run_dir / delete_name)
            result.summary = scan.summary
        finally:
            states.close()  # stops a rows worker the run no longer waits for
            scan.close()
        tracker_name = tracker_file_name(now, locale)
        result.tracked = write_tracker(self.snapshot.staged_prices(run_id), run_dir / tracker_name)
        write_lastrun(run_dir / LASTRUN_NAME, delta_enabled=delta)
        self.snapshot.finish_staging(stamp24(now))
        result.files = [feed_name, delete_name, tracker_name, LASTRUN_NAME]
        tracking = tracking_folder(site)
        manifest = {
            "run_id": run_id, "kind": "product", "snapshot": True,
            "files": [
                {"name": feed_name, "folder": PRODUCT_FOLDER, "via_temp": True},
                {"name": delete_name, "folder": PRODUCT_FOLDER, "via_temp": False},
                {"name": tracker_name, "folder": tracking, "via_temp": False},
                {"name": LASTRUN_NAME, "folder": tracking, "via_temp": False},
            ],
            "alerts": [
                {"feed_type": "product", "update_type": "delete", "folder": PRODUCT_FOLDER},
                {"feed_type": "product", "update_type": "update", "folder": PRODUCT_FOLDER},
            ],
            "alerts_done": 0,
        }
        self.outbox.save(manifest)
        return result, manifest

    def _select(self, states: Iterator[RowState], run_id: str, delta: bool,
                cartridge_compat: bool) -> Iterator[str]:
        """Stage every row; yield the feed lines carried (all on a full run, new/changed on delta).

        Rows go by batches: one staging write and one snapshot lookup per batch, not per SKU. A row not
        formatted (its inputs are those of the line TikTok has) is not carried.
        """
        while batch := list(islice(states, _BATCH)):
            self.snapshot.stage(run_id, [state[:6] for state in batch])
            if not delta:  # nothing to compare with, so every row was formatted (a None would raise)
                yield from (state.line for state in batch)  # type: ignore[misc]
                continue
            made = [state for state in batch if state.line is not None]
            known = self.snapshot.previous([state.sku_id for state in made]) if made else {}
            for state in made:
                previous = known.get(state.sku_id)
                if (previous is None or (previous[1] != state.price if cartridge_compat
                                         else previous[0] != state.row_hash)):
                    yield state.line

    # -- inventory runs -------------------------------------------------------------------------

    def sync_inventory(self, inventories: tuple[Path, ...],
                       only_if_changed: bool = False) -> RunResult | None:
        """Export the inventory lists as one native XML file, drop it, alert inventory/create.

        `only_if_changed` (a delta sync) sends nothing, and returns None, when the export is the one
        TikTok last acknowledged: no stock figure changed.
        """
        self.finish_pending()
        now = datetime.now(self.settings.zone)
        run_id = self._run_id(now, "inventory")
        run_dir = self.outbox.new_run(run_id)
        name = inventory_file_name(self.settings.site_id, now)
        try:
            records = write_inventory_export(inventories, run_dir / name)
            with open(run_dir / name, "rb") as export:
                digest = hashlib.file_digest(export, "sha1").hexdigest()
        except BaseException:
            self.outbox.remove(run_id)
            raise
        if only_if_changed and digest == self.snapshot.inventory_digest:
            self.outbox.remove(run_id)
            self.log(f"inventory unchanged since the last export TikTok acknowledged: {records} records, "
                     "not sent")
            return None
        self.log(f"wrote {name}: {records} inventory records")
        manifest = {
            "run_id": run_id, "kind": "inventory", "snapshot": False, "inventory_digest": digest,
            "files": [{"name": name, "folder": INVENTORY_FOLDER, "via_temp": True}],
            "alerts": [{"feed_type": "inventory", "update_type": "create", "folder": INVENTORY_FOLDER}],
            "alerts_done": 0,
        }
        self.outbox.save(manifest)
        self._deliver(manifest)
        return RunResult(run_id, files=[name], feed_rows=records)
