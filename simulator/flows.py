"""The one table of flows: each alert kind's file pattern and steps, in the order they run.

The API accepts an alert only for a kind listed here, the pickup step takes this kind's files by the
pattern, and the runner runs the steps. The table imports the steps; the steps never import it (pickup
reads the pattern from the job's context), so adding a kind is one row, and no step knows another.
"""

from __future__ import annotations

import re

from simulator import deletion, inventory, pickup, publish, review, upload
from simulator.job import Flow

_PRODUCT_FEED = re.compile(r"tiktok-feed-.*\.txt")
_DELETE_FEED = re.compile(r"delete-feed-.*\.txt")
_INVENTORY = re.compile(r"inventory.*\.xml")

_CATALOG = (
    ("pickup", pickup.pick_up),
    ("upload", upload.upload_product_feeds),
    ("review", review.review),
    ("publish", publish.publish),
)
_DELETE = (
    ("pickup", pickup.pick_up),
    ("upload", upload.upload_delete_feeds),
    ("delete", deletion.delete),
)
_STOCK = (
    ("pickup", pickup.pick_up),
    ("upload", inventory.upload),
    ("verify", inventory.verify),
    ("integrate", inventory.integrate),
)

FLOWS: dict[tuple[str, str], Flow] = {
    (flow.feed_type, flow.update_type): flow
    for flow in (
        Flow("product", "update", _PRODUCT_FEED, _CATALOG),
        Flow("product", "delete", _DELETE_FEED, _DELETE),
        Flow("product", "create", _PRODUCT_FEED, _CATALOG),
        Flow("inventory", "create", _INVENTORY, _STOCK),
        Flow("inventory", "update", _INVENTORY, _STOCK),
    )
}

# feed_type -> its update types, in table order: what an alert may name
UPDATE_TYPES: dict[str, tuple[str, ...]] = {
    feed_type: tuple(update for kind, update in FLOWS if kind == feed_type) for feed_type, _ in FLOWS
}
