"""The documented rules a connector's sync must keep, judged only from what reached the simulator.

A sync is read from the request journal (WebDAV writes and alerts, in the order they ended), the files now
in the WebDAV tree, and the shop's jobs and products. Each rule has an id that every failure names, so a
user can look the rule up in docs/conformance.md.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from lxml import etree

MOUNT = "/on/demandware.servlet/webdav/Sites/Impex"
PRODUCT_FOLDER = "src/feeds/export/social/tiktok/product"
INVENTORY_FOLDER = "src/feeds/export/social/tiktok/inventory"
ALERT_PATH = "/tbp/v2.0/feed/download/"
INVENTORY_NS = "http://www.demandware.com/xml/impex/inventory/2007-05-31"
CATALOG_NS = "http://www.demandware.com/xml/impex/catalog/2006-10-31"
FEED_HEADER = ('"sku_id"|"title"|"description"|"image_urls"|"landing_page_url"|"product_category"|'
               '"sale_regions"|"availability"|"price"|"item_group_id"|"variation_properties"|'
               '"is_default_variant"|"brand"|"google_product_category"|"condition"')
SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)

RULES = {
    "connector-exit": "the connector command exits 0 within the timeout, after its files and alerts",
    "documented-folder": "product and delete feeds go in the product folder, inventory files in the "
                         "inventory folder",
    "temp-then-move": "a product feed or inventory file is PUT as TEMP_<name>, then MOVEd to <name>",
    "feed-header": "a product feed's first line is the documented header, every field quoted",
    "delete-feed": "every catalog sync drops a delete feed and sends its delete alert",
    "alert-after-drop": "each alert is sent only after the files it announces are in place",
    "delete-before-update": "a catalog sync's delete alert comes before its update alert",
    "alert-body": "an alert names the tenant, the feed type and the folder URL as documented",
    "known-skus": "inventory records name only products the SFCC site defines",
    "shop-outcome": "TikTok Shop's jobs complete and the products end as the sync meant",
}


class Violation(AssertionError):
    """A broken rule: its id and what the journal or the shop shows."""

    def __init__(self, rule: str, detail: str) -> None:
        self.rule = rule
        super().__init__(f"[{rule}] {detail}")


def kind(name: str) -> str:
    """Which documented file a name is: product, delete, inventory, or '' for anything else."""
    base = name.removeprefix("TEMP_")
    if base.startswith("tiktok-feed-") and base.endswith(".txt"):
        return "product"
    if base.startswith("delete-feed-") and base.endswith(".txt"):
        return "delete"
    if base.startswith("inventory") and base.endswith(".xml"):
        return "inventory"
    return ""


FOLDER_OF = {"product": PRODUCT_FOLDER, "delete": PRODUCT_FOLDER, "inventory": INVENTORY_FOLDER}
ALERTED_BY = {("product", "delete"): "delete", ("product", "update"): "product",
              ("product", "create"): "product", ("inventory", "create"): "inventory",
              ("inventory", "update"): "inventory"}


@dataclass(frozen=True)
class Write:
    """A file that got a name in the WebDAV tree: by a PUT, or as the destination of a MOVE."""

    seq: int
    ended: float  # server time the answer was sent
    method: str
    path: str  # below Impex/, no leading slash
    source: str = ""  # a MOVE's source, below Impex/

    @property
    def folder(self) -> str:
        return posixpath.dirname(self.path)

    @property
    def name(self) -> str:
        return posixpath.basename(self.path)

    def where(self) -> str:
        moved = f" (MOVE of `{posixpath.basename(self.source)}`)" if self.method == "MOVE" else ""
        return f"journal #{self.seq}: {self.method} `{self.path}`{moved}"


@dataclass(frozen=True)
class Alert:
    seq: int
    started: float
    status: int
    body: dict[str, Any]

    @property
    def params(self) -> dict[str, Any]:
        return self.body.get("params") or {}

    @property
    def label(self) -> str:
        return f"{self.params.get('feed_type')}/{self.params.get('update_type')} alert (journal #{self.seq})"


def _relative(path: str) -> str | None:
    path = unquote(path)
    return path[len(MOUNT):].strip("/") if path.startswith(MOUNT + "/") else None


class Sync:
    """One connector run as the simulator saw it: the journal entries after the run began."""

    def __init__(self, entries: Iterable[dict[str, Any]], dav_url: str, mode: str) -> None:
        self.mode = mode
        self.dav_url = dav_url
        self.writes: list[Write] = []
        self.alerts: list[Alert] = []
        for entry in entries:
            if entry["direction"] != "inbound" or not 200 <= entry["status"] < 300:
                continue
            ended = entry["time"] + entry["duration_ms"] / 1000
            if entry["method"] == "POST" and entry["path"] == ALERT_PATH:
                body = entry.get("json") or {}
                self.alerts.append(Alert(entry["seq"], entry["time"], entry["status"], body))
            elif entry["method"] in ("PUT", "MOVE", "COPY"):
                path = _relative(entry["path"])
                if path is not None:
                    self._write(entry, ended, path)

    def _write(self, entry: dict[str, Any], ended: float, path: str) -> None:
        if entry["method"] == "PUT":
            self.writes.append(Write(entry["seq"], ended, "PUT", path))
            return
        headers = {key.lower(): value for key, value in entry["headers"].items()}
        target = _relative(urlsplit(headers.get("destination", "")).path)
        if target is not None:
            self.writes.append(Write(entry["seq"], ended, entry["method"], target, path))

    def files(self, of_kind: str) -> list[Write]:
        """Where each file of a kind got its final (non-TEMP_) name, in journal order."""
        return [w for w in self.writes if kind(w.name) == of_kind and not w.name.startswith("TEMP_")]

    def placed(self, of_kind: str) -> list[Write]:
        """Files of a kind that landed in their documented folder."""
        return [w for w in self.files(of_kind) if w.folder == FOLDER_OF[of_kind]]

    def product_alerts(self) -> list[Alert]:
        return [a for a in self.alerts if a.params.get("feed_type") == "product"]


def check_folders(sync: Sync) -> None:
    """`documented-folder`: no feed or inventory file under any other folder."""
    astray = [w for w in sync.writes if kind(w.name) and w.folder != FOLDER_OF[kind(w.name)]]
    if astray:
        shown = "; ".join(f"{w.where()}, expected in `{FOLDER_OF[kind(w.name)]}/`" for w in astray)
        raise Violation("documented-folder", f"files written outside their documented folder: {shown}")


def check_temp_then_move(sync: Sync, kinds: Iterable[str]) -> None:
    """`temp-then-move`: the final name only ever comes from a MOVE of its TEMP_ twin in the same folder."""
    for of_kind in kinds:
        files = sync.files(of_kind)
        if not files:
            raise Violation("temp-then-move", f"no {of_kind} file was given its final name in "
                            f"`{FOLDER_OF[of_kind]}/`; the journal shows these writes: {_writes(sync)}")
        for w in files:
            expected = posixpath.join(w.folder, "TEMP_" + w.name)
            if w.method != "MOVE" or w.source != expected:
                raise Violation("temp-then-move", f"{w.where()}; expected PUT `TEMP_{w.name}` then MOVE to "
                                f"`{w.name}` in the same folder")
    unmoved = {w.path for w in sync.writes if w.name.startswith("TEMP_")} - {w.source for w in sync.writes}
    if unmoved:
        raise Violation("temp-then-move", f"`{sorted(unmoved)[0]}` was PUT but never MOVEd to its final name")


def _writes(sync: Sync) -> str:
    return "; ".join(w.where() for w in sync.writes) or "no PUT or MOVE under Impex/"


def check_header(sync: Sync, first_line: Any) -> None:
    """`feed-header`: `first_line(path)` reads each placed product feed's first line back over WebDAV."""
    for w in sync.placed("product"):
        line = first_line(w.path)
        if line != FEED_HEADER:
            raise Violation("feed-header", f"`{w.name}` starts with {line!r}; "
                            f"expected exactly {FEED_HEADER!r}")


def check_delete_feed(sync: Sync) -> None:
    """`delete-feed`: a catalog sync drops a delete feed in the product folder and sends a delete alert."""
    if not sync.placed("delete"):
        raise Violation("delete-feed", f"no `delete-feed-<SiteID>-<timestamp>.txt` was dropped in "
                        f"`{PRODUCT_FOLDER}/` on a {sync.mode} sync; the journal shows: {_writes(sync)}")
    if not any(a.params.get("update_type") == "delete" for a in sync.product_alerts()):
        raise Violation("delete-feed", f"a delete feed was dropped but no product/delete alert was sent; "
                        f"alerts: {_alerts(sync)}")


def _alerts(sync: Sync) -> str:
    return ", ".join(a.label for a in sync.alerts) or "none"


def check_alert_order(sync: Sync) -> None:
    """`delete-before-update`: the first product alert is the delete, and no update comes before it."""
    kinds = [a.params.get("update_type") for a in sync.product_alerts()]
    if "update" in kinds and ("delete" not in kinds or kinds.index("update") < kinds.index("delete")):
        update = sync.product_alerts()[kinds.index("update")]
        raise Violation("delete-before-update", f"the update alert (journal #{update.seq}) arrived before "
                        f"any delete alert; product alerts in order: {_alerts(sync)}")


def check_alerts_follow_files(sync: Sync, external_business_id: str) -> None:
    """`alert-body` and `alert-after-drop`: each alert is well-formed and starts after its files landed."""
    if not sync.alerts:
        raise Violation("alert-after-drop", "no alert reached TikTok Shop (POST /tbp/v2.0/feed/download/)")
    for alert in sync.alerts:
        params = alert.params
        file_kind = ALERTED_BY.get((params.get("feed_type"), params.get("update_type")))
        if file_kind is None or alert.body.get("external_business_id") != external_business_id:
            raise Violation("alert-body", f"{alert.label} has body {alert.body}; expected "
                            f"external_business_id {external_business_id!r} and a documented "
                            "feed_type/update_type")
        folder_url = f"{sync.dav_url}/{FOLDER_OF[file_kind]}"
        if params.get("url") != folder_url:
            raise Violation("alert-body", f"{alert.label} names url {params.get('url')!r}; expected the "
                            f"folder URL {folder_url!r} (no trailing slash)")
        for w in sync.placed(file_kind):
            if w.seq < alert.seq and w.ended <= alert.started:
                continue
            verb = f"MOVE of `TEMP_{w.name}`" if w.method == "MOVE" else f"PUT of `{w.name}`"
            raise Violation("alert-after-drop", f"the {params['update_type']} alert (journal #{alert.seq}) "
                            f"arrived before the {verb} (journal #{w.seq}) was complete")


def inventory_product_ids(data: bytes, name: str) -> list[str]:
    """The product-ids of an inventory file's records (no entities, no network)."""
    try:
        root = etree.fromstring(data, SAFE)
    except etree.XMLSyntaxError as error:
        raise Violation("known-skus", f"`{name}` is not well-formed XML: {error}") from None
    return [r.get("product-id") or "" for r in root.iter(f"{{{INVENTORY_NS}}}record")]


def catalog_product_ids(data: bytes) -> set[str]:
    """Every product a catalog export defines."""
    root = etree.fromstring(data, SAFE)
    return {p.get("product-id") for p in root.iter(f"{{{CATALOG_NS}}}product") if p.get("mode") != "delete"}


def check_known_skus(sync: Sync, read: Any, known: set[str]) -> None:
    """`known-skus`: `read(path)` fetches each placed inventory file over WebDAV."""
    for w in sync.placed("inventory"):
        unknown = sorted({sku for sku in inventory_product_ids(read(w.path), w.name) if sku not in known})
        if unknown:
            raise Violation("known-skus", f"`{w.name}` has records for {len(unknown)} SKU(s) the SFCC site "
                            f"does not define: {', '.join(unknown[:5])}")
