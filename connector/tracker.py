"""The cartridge's bookkeeping files: feed tracker, delete feed and `.lastrun.txt` (reference 3).

They are written exactly as `FeedTrackerUtils.js` writes them, so a consumer built for the real
cartridge (or the cartridge's own next run) reads ours unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from itertools import groupby
from pathlib import Path

BUCKET_LENGTH = 8


def write_tracker(entries: Iterable[tuple[str, str]], path: Path) -> int:
    """One line per 8-character bucket, `<bucket>,<ID>|<price>,...`, entries in string order.

    `entries` must come sorted by SKU ID: every ID of a bucket then arrives together (they share
    the bucket as a prefix), so the file streams with one bucket in memory. Returns SKUs written.
    """
    count = 0
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for bucket, group in groupby(entries, key=lambda entry: entry[0][:BUCKET_LENGTH]):
            members = sorted(f"{sku_id}|{price}" for sku_id, price in group)
            out.write(",".join([bucket, *members]) + "\n")
            count += len(members)
    return count


def write_delete_feed(sku_ids: Iterable[str], path: Path) -> int:
    """One ID per line, each ending in LF; an empty (0-byte) file when nothing disappeared."""
    count = 0
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for sku_id in sku_ids:
            out.write(sku_id + "\n")
            count += 1
    return count


def write_lastrun(path: Path, delta_enabled: bool) -> None:
    """Compact JSON, the cartridge's key order, no trailing newline; a delete feed is always written."""
    text = json.dumps({"deltaEnabled": delta_enabled, "deleteFileGenerated": True}, separators=(",", ":"))
    path.write_text(text, encoding="utf-8")
