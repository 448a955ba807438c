"""A small connector that meets the conformance contract, or breaks exactly one rule of it on request.

`python connector.py [RULE]`: it writes the product feed with `sfcc-connector export` (so the rows are
right), keeps the feed's SKUs in CONNECTOR_STATE_DIR to write the delete feed, and drops and alerts with
plain WebDAV and HTTP calls of its own, where each broken rule is one changed line. With no RULE it
follows every rule, which proves the harness judges the calls, not `sfcc-connector` itself.
"""

from __future__ import annotations

import csv
import json
import os
import ssl
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from base64 import b64encode
from pathlib import Path

PRODUCT_FOLDER = "src/feeds/export/social/tiktok/product"
INVENTORY_FOLDER = "src/feeds/export/social/tiktok/inventory"
BREAKS = ("no-temp", "early-alert", "update-first", "wrong-header", "no-delete-feed", "unknown-skus",
          "wrong-folder")
ENV = os.environ


def call(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> int:
    context = ssl.create_default_context(cafile=ENV["SFCC_CA_FILE"]) if ENV.get("SFCC_CA_FILE") else None
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30, context=context) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


class Dav:
    def __init__(self) -> None:
        self.base = ENV["SFCC_INSTANCE"] + "/on/demandware.servlet/webdav/Sites/Impex"
        pair = f"{ENV['SFCC_USER']}:{ENV['SFCC_PASSWORD']}".encode()
        self.auth = {"Authorization": "Basic " + b64encode(pair).decode()}

    def send(self, method: str, path: str, body: bytes | None = None, **headers: str) -> None:
        status = call(method, f"{self.base}/{path}", body, {**self.auth, **headers})
        if method != "MKCOL" and status not in (200, 201, 204):
            raise SystemExit(f"{method} {path} answered {status}")

    def drop(self, folder: str, name: str, data: bytes, temp: bool = True) -> None:
        parts = folder.split("/")
        for depth in range(1, len(parts) + 1):
            self.send("MKCOL", "/".join(parts[:depth]))
        if not temp:
            self.send("PUT", f"{folder}/{name}", data)
            return
        self.send("PUT", f"{folder}/TEMP_{name}", data)
        self.send("MOVE", f"{folder}/TEMP_{name}", Destination=f"{self.base}/{folder}/{name}", Overwrite="T")


def alert(feed_type: str, update_type: str, folder: str) -> None:
    url = f"{ENV['SFCC_INSTANCE']}/on/demandware.servlet/webdav/Sites/Impex/{folder}"
    body = {"business_platform": "SALESFORCE", "external_business_id": ENV["TIKTOK_EXTERNAL_BUSINESS_ID"],
            "params": {"url": url, "feed_type": feed_type, "update_type": update_type}}
    status = call("POST", ENV["TIKTOK_URL"] + "/tbp/v2.0/feed/download/", json.dumps(body).encode(),
                  {"Content-Type": "application/json"})
    if status != 200:
        raise SystemExit(f"alert {feed_type}/{update_type} answered {status}")


def export(out: Path, inventory: bool) -> None:
    """The feed's rows from `sfcc-connector export`, the executable installed beside this Python."""
    site = Path(ENV["SFCC_EXPORT_DIR"])
    args = [str(Path(sys.executable).parent / "sfcc-connector"), "export", "--site-id", ENV["SFCC_SITE_ID"],
            "--locale", ENV["SFCC_LOCALE"], "--site-catalog", ENV["SFCC_SITE_CATALOG"], "--out", str(out)]
    for flag, pattern in (("--catalog", "catalog-*.xml"), ("--pricebook", "pricebook-*.xml")):
        for path in sorted(site.glob(pattern)):
            args += [flag, str(path)]
    if inventory:
        args += ["--inventory", str(next(site.glob("inventory*.xml")))]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def catalog_sync(dav: Dav, out: Path, broken: str) -> None:
    export(out, inventory=False)
    feed = next(out.glob("tiktok-feed-*.txt"))
    data = feed.read_bytes()
    rows = list(csv.reader(data.decode().splitlines()[1:], delimiter="|", quotechar='"'))
    skus = {row[0] for row in rows}
    state = Path(ENV["CONNECTOR_STATE_DIR"]) / "skus.json"
    before = set(json.loads(state.read_text())) if state.exists() else set()
    if broken == "wrong-header":
        data = data.replace(b'"sku_id"|"title"', b"sku_id|title", 1)
    folder = "src/feeds/export/social/tiktok" if broken == "wrong-folder" else PRODUCT_FOLDER
    delete_name = feed.name.replace("tiktok-feed-", "delete-feed-").replace("-en_US", "")
    deleted = "".join(f"{sku}\n" for sku in sorted(before - skus)).encode()
    if broken == "early-alert":
        alert("product", "delete", PRODUCT_FOLDER)
        alert("product", "update", PRODUCT_FOLDER)
    if broken != "no-delete-feed":
        dav.drop(folder, delete_name, deleted, temp=False)
    dav.drop(folder, feed.name, data, temp=broken != "no-temp")
    if broken == "update-first":
        alert("product", "update", PRODUCT_FOLDER)
        alert("product", "delete", PRODUCT_FOLDER)
    elif broken == "no-delete-feed":
        alert("product", "update", PRODUCT_FOLDER)
    elif broken != "early-alert":
        alert("product", "delete", PRODUCT_FOLDER)
        alert("product", "update", PRODUCT_FOLDER)
    state.write_text(json.dumps(sorted(skus)))


def inventory_sync(dav: Dav, out: Path, broken: str) -> None:
    export(out, inventory=True)
    inventory = next(out.glob("inventory*.xml"))
    data = inventory.read_bytes()
    if broken == "unknown-skus":
        record = b'<record product-id="NOT-IN-SFCC-1"><allocation>4</allocation></record>'
        data = data.replace(b"<records>", b"<records>" + record, 1)
    dav.drop(INVENTORY_FOLDER, inventory.name, data)
    alert("inventory", "create", INVENTORY_FOLDER)


def main() -> None:
    broken = sys.argv[1] if len(sys.argv) > 1 else ""
    if broken and broken not in BREAKS:
        raise SystemExit(f"unknown rule to break {broken!r}; one of {', '.join(BREAKS)}")
    with tempfile.TemporaryDirectory() as out:
        sync = inventory_sync if ENV["SYNC_MODE"] == "inventory" else catalog_sync
        sync(Dav(), Path(out), broken)


if __name__ == "__main__":
    main()
