"""TikTok's product webhooks: subscriptions per shop and event type, an outbox, and the sender.

The shop's state changes queue their events in `webhook_outbox` inside the very transaction that makes
the change, so an event exists exactly when its change was committed: nothing is sent for a rolled-back
job and nothing is lost on a crash. `WebhookSender`, a background thread, delivers due events after
commit, signed as TikTok signs them, and retries on TikTok's schedule (docs/partner-api.md, Webhooks).
Nothing is queued, and no query is spent, for a shop that subscribed to nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import secrets
import sqlite3
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from simulator import faults, journal
from simulator.products import SKU_ID_BASE, product_external_id
from simulator.shops import shop_of
from simulator.store import BATCH, Store

PRODUCT_STATUS_CHANGE = "PRODUCT_STATUS_CHANGE"
PRODUCT_INFORMATION_CHANGE = "PRODUCT_INFORMATION_CHANGE"
PRODUCT_CREATION = "PRODUCT_CREATION"
PRODUCT_AUDIT_STATUS_CHANGE = "PRODUCT_AUDIT_STATUS_CHANGE"
# TikTok gives type 27 no event_type name; the simulator subscribes it under this one (docs/partner-api.md).
INVENTORY_STATUS_CHANGE = "INVENTORY_STATUS_CHANGE"
# The events this simulator sends, by name -> TikTok's webhook type.
SENT: dict[str, int] = {
    PRODUCT_STATUS_CHANGE: 5,
    PRODUCT_INFORMATION_CHANGE: 15,
    PRODUCT_CREATION: 16,
    INVENTORY_STATUS_CHANGE: 27,
    PRODUCT_AUDIT_STATUS_CHANGE: 37,
}
# Every event_type TikTok's Update Shop Webhook accepts; those not in SENT are kept, never fired.
EVENT_TYPES = (
    "ORDER_STATUS_CHANGE", "RECIPIENT_ADDRESS_UPDATE", "PACKAGE_UPDATE", PRODUCT_STATUS_CHANGE,
    "SELLER_DEAUTHORIZATION", "UPCOMING_AUTHORIZATION_EXPIRATION", "CANCELLATION_STATUS_CHANGE",
    "RETURN_STATUS_CHANGE", "NEW_CONVERSATION", "NEW_MESSAGE", PRODUCT_INFORMATION_CHANGE, PRODUCT_CREATION,
    "PRODUCT_CATEGORY_CHANGE", "NEW_MESSAGE_LISTENER", "INVOICE_STATUS_CHANGE", PRODUCT_AUDIT_STATUS_CHANGE,
    "REVERSE_STATUS_UPDATE", INVENTORY_STATUS_CHANGE,
)  # fmt: skip
MAX_ADDRESS = 255
# TikTok's retries after a failed push: 2 min, 30 min, 3 h, 12 h; nothing after the fourth.
RETRY_S: tuple[float, ...] = (120, 1800, 3 * 3600, 12 * 3600)
DELIVERY_TIMEOUT_S = 3.0  # TikTok wants the receiver's answer within 3 s
DELIVERED_STATUSES = (200, 401)  # a proper reply, even a refused signature: TikTok does not retry it
POLL_S = 0.1
# Type 27: at or below this many units a SKU is LOW_STOCK, at 0 OUT_OF_STOCK (a seller setting on TikTok).
LOW_STOCK_THRESHOLD = 5
# Feed columns -> TikTok's `changed_fields` names for type 15; any other column is "others".
CHANGED_FIELDS = {
    "title": "title",
    "description": "description",
    "image_urls": "main_images",
    "variation_properties": "product_attributes",
    "brand": "product_attributes",
}
_ACTIVATE, _FAILED, _DELETED = "ACTIVATE", "FAILED", "DELETED"
_log = logging.getLogger(__name__)

# (item_group_id, new status, new audit status, old status or None for a new product, old audit status)
Move = tuple[str, str, str, str | None, str | None]
# ((file, item_group_id), what that file changed in that product), as shop.write_history takes them
HistoryEntry = tuple[tuple[str, str], dict]
_MOVE_EVENTS = {PRODUCT_CREATION, PRODUCT_AUDIT_STATUS_CHANGE, PRODUCT_STATUS_CHANGE}


# --- subscriptions -------------------------------------------------------------------------------------


def subscribe(store: Store, tenant: str, event_type: str, address: str) -> None:
    """Set the shop's one address for an event type (TikTok's Update Shop Webhook replaces it)."""
    now = time.time()
    store.connection().execute(
        "INSERT INTO webhooks (tenant, event_type, address, created_at, updated_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (tenant, event_type) DO UPDATE SET address = excluded.address,"
        " updated_at = excluded.updated_at",
        (tenant, event_type, address, now, now),
    )


def unsubscribe(store: Store, tenant: str, event_type: str) -> None:
    store.connection().execute(
        "DELETE FROM webhooks WHERE tenant = ? AND event_type = ?", (tenant, event_type)
    )


def subscriptions(store: Store, tenant: str) -> list[dict[str, Any]]:
    """The shop's webhooks as TikTok's Get Shop Webhooks lists them; times in Unix seconds."""
    rows = store.connection().execute(
        "SELECT event_type, address, created_at, updated_at FROM webhooks WHERE tenant = ?"
        " ORDER BY event_type",
        (tenant,),
    )
    return [
        {"event_type": kind, "address": address, "create_time": int(created), "update_time": int(updated)}
        for kind, address, created, updated in rows
    ]


def _addresses(conn: sqlite3.Connection, tenant: str) -> dict[str, str]:
    rows = conn.execute("SELECT event_type, address FROM webhooks WHERE tenant = ?", (tenant,))
    return {kind: address for kind, address in rows if kind in SENT}


def _queue(conn: sqlite3.Connection, tenant: str, address: str, kind: str, data: dict[str, Any]) -> None:
    """One event in the outbox, with the notification id every attempt of it carries."""
    now = time.time()
    conn.execute(
        "INSERT INTO webhook_outbox (tenant, address, type, notification_id, timestamp, data, due_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (tenant, address, SENT[kind], str(10**18 + secrets.randbelow(9 * 10**18)), int(now),
         json.dumps(data, separators=(",", ":")), now),
    )  # fmt: skip


def _marks(values: list[Any]) -> str:
    return ",".join("?" * len(values))


def _product_rowids(conn: sqlite3.Connection, tenant: str, groups: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(groups), BATCH):
        batch = groups[start : start + BATCH]
        found.update(conn.execute(
            f"SELECT item_group_id, id FROM products WHERE tenant = ? AND item_group_id IN ({_marks(batch)})",
            (tenant, *batch),
        ).fetchall())  # fmt: skip
    return found


# --- events, queued inside the change's transaction ------------------------------------------------------


def queue_moves(conn: sqlite3.Connection, tenant: str, moves: list[Move]) -> None:
    """Types 16, 37 and 5 for one batch of status moves; call before the moves' status history is written,
    so a product's first ACTIVATE is told apart from a later one."""
    addresses = _addresses(conn, tenant)
    if not moves or not addresses.keys() & _MOVE_EVENTS:
        return
    groups = [move[0] for move in moves]
    rowids = _product_rowids(conn, tenant, groups)
    been_live = {
        row[0] for row in conn.execute(
            f"SELECT DISTINCT item_group_id FROM status_history WHERE tenant = ? AND status = ?"
            f" AND item_group_id IN ({_marks(groups)})",
            (tenant, _ACTIVATE, *groups),
        )
    }  # fmt: skip
    now = int(time.time())
    for group, status, audit, old_status, old_audit in moves:
        product_id = int(product_external_id(rowids[group]))  # a JSON number, as TikTok's pages show it
        events = []
        if old_status is None:
            events.append((PRODUCT_CREATION, {"product_id": product_id, "product_types": []}))
        if audit != old_audit:
            audited = {"status": audit, "pre_approved_reasons": []}
            events.append((PRODUCT_AUDIT_STATUS_CHANGE, {"product_id": product_id, "audit": audited}))
        if status in (_ACTIVATE, _FAILED, _DELETED):
            kind = {_FAILED: "PRODUCT_AUDIT_FAILURE"}.get(status, "PRODUCT_STATUS_CHANGED")
            if status == _ACTIVATE and group not in been_live:
                kind = "PRODUCT_FIRST_PASS_REVIEW"
            events.append((PRODUCT_STATUS_CHANGE, {"product_id": product_id, "status": kind,
                                                   "suspended_reason": ""}))
        for event, data in events:
            if event in addresses:
                _queue(conn, tenant, addresses[event], event, {**data, "update_time": now})


class InformationChanges:
    """Type 15 for the live (ACTIVATE) products whose fields a job's history entries changed."""

    def __init__(self, conn: sqlite3.Connection, tenant: str) -> None:
        self._conn = conn
        self._tenant = tenant
        self._address = _addresses(conn, tenant).get(PRODUCT_INFORMATION_CHANGE)
        self._fields: dict[str, set[str]] = {}

    def watch(self, changes: Iterable[HistoryEntry]) -> Iterable[HistoryEntry]:
        """The history entries, unchanged; noted on the way only when the shop subscribed to type 15."""
        return changes if self._address is None else self._noted(changes)

    def _noted(self, changes: Iterable[HistoryEntry]) -> Iterator[HistoryEntry]:
        for key, change in changes:
            # a removed SKU is no information change: a product left with none is told by type 5, DELETED
            fields = [name for name in change.get("fields", []) if name != "deleted"]
            names = {CHANGED_FIELDS.get(name, "others") for name in fields}
            if names:
                self._fields.setdefault(key[1], set()).update(names)
            yield key, change

    def queue(self) -> None:
        """Call in the same transaction, before the products go back to review."""
        if self._address is None or not self._fields:
            return
        groups = sorted(self._fields)
        now = int(time.time())
        for start in range(0, len(groups), BATCH):
            batch = groups[start : start + BATCH]
            live = self._conn.execute(
                f"SELECT item_group_id, id FROM products WHERE tenant = ? AND status = ?"
                f" AND item_group_id IN ({_marks(batch)})",
                (self._tenant, _ACTIVATE, *batch),
            ).fetchall()
            for group, rowid in live:
                data = {"product_id": product_external_id(rowid), "change_source": "OPEN_API",
                        "changed_fields": sorted(self._fields[group]), "update_time": now}
                _queue(self._conn, self._tenant, self._address, PRODUCT_INFORMATION_CHANGE, data)


def stock_status(quantity: int) -> str:
    if quantity <= 0:
        return "OUT_OF_STOCK"
    return "LOW_STOCK" if quantity <= LOW_STOCK_THRESHOLD else "SUFFICIENT_STOCK"


class StockChanges:
    """Type 27 for the SKUs an inventory job moves between stock statuses (a SKU's stock is the sum over
    its warehouses; a SKU without stock is OUT_OF_STOCK). Build it before the job's stock is applied."""

    _TOTALS = (
        "SELECT k.sku_id, k.id, p.id, COALESCE((SELECT SUM(quantity) FROM stock s WHERE s.tenant = k.tenant"
        " AND s.sku_id = k.sku_id), 0) FROM skus k JOIN products p ON p.tenant = k.tenant"
        " AND p.item_group_id = k.item_group_id WHERE k.tenant = ? AND k.deleted = 0"
        " AND k.sku_id IN (SELECT sku_id FROM staged_stock WHERE job_id = ?)"
    )

    def __init__(self, conn: sqlite3.Connection, tenant: str, job_id: int) -> None:
        self._conn = conn
        self._args = (tenant, job_id)
        self._address = _addresses(conn, tenant).get(INVENTORY_STATUS_CHANGE)
        self._before = {} if self._address is None else self._totals()

    def _totals(self) -> dict[str, tuple[int, int, int]]:
        return {sku: (sku_rowid, product_rowid, total)
                for sku, sku_rowid, product_rowid, total in self._conn.execute(self._TOTALS, self._args)}

    def queue(self) -> None:
        """Call in the same transaction, after the stock is applied."""
        if self._address is None:
            return
        now = int(time.time())
        for sku, (sku_rowid, product_rowid, total) in sorted(self._totals().items()):
            before = self._before.get(sku, (0, 0, 0))[2]
            if stock_status(total) == stock_status(before):
                continue
            data = {
                "product_id": product_external_id(product_rowid), "sku_id": str(SKU_ID_BASE + sku_rowid),
                "trigger_reason": {"alert_type": "REALTIME", "low_stock_threshold": LOW_STOCK_THRESHOLD},
                "current_inventory_status": stock_status(total),
                "inventory_distribution": {
                    "total_quantity": total, "available_quantity": total, "creator_reserved_quantity": 0,
                    "campaign_reserved_quantity": 0, "committed_quantity": 0,
                },
                "update_time": now,
            }  # fmt: skip
            _queue(self._conn, self._args[0], self._address, INVENTORY_STATUS_CHANGE, data)


# --- delivery ----------------------------------------------------------------------------------------------


def signature(app_key: str, app_secret: str, body: bytes) -> str:
    """TikTok's webhook signature: lower-case hex HMAC-SHA256 keyed with the app secret, of app_key + body."""
    return hmac.new(app_secret.encode(), app_key.encode() + body, hashlib.sha256).hexdigest()


class WebhookSender:
    """Delivers due outbox events in order, one at a time, from its own thread; journals every attempt."""

    def __init__(
        self, store: Store, app_key: str, app_secret: str, retry_s: tuple[float, ...] = RETRY_S,
        trust: ssl.SSLContext | None = None,
    ) -> None:
        self.store = store
        self.app_key = app_key
        self.app_secret = app_secret
        self.retry_s = retry_s
        self.trust = trust or ssl.create_default_context()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="webhook-sender", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = DELIVERY_TIMEOUT_S + 2) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.wait(POLL_S):
            try:
                self.deliver_due()
            except Exception:  # the store failed (closed at shutdown?): try again at the next poll
                _log.exception("webhook delivery failed")

    def deliver_due(self) -> None:
        rows = self.store.connection().execute(
            "SELECT id, tenant, address, type, notification_id, timestamp, data, attempts FROM webhook_outbox"
            " WHERE state = 'queued' AND due_at <= ? ORDER BY due_at, id LIMIT 100",
            (time.time(),),
        ).fetchall()
        for row in rows:
            if self._stop.is_set():
                return
            self._attempt(row)

    def body(self, row: sqlite3.Row) -> bytes:
        """The envelope, the same bytes on every attempt: TikTok's receivers dedupe on tts_notification_id."""
        shop = shop_of(self.store, row["tenant"])
        return (
            f'{{"type":{row["type"]},"tts_notification_id":{json.dumps(row["notification_id"])},'
            f'"shop_id":{json.dumps(shop.shop_id if shop else "")},"timestamp":{row["timestamp"]},'
            f'"data":{row["data"]}}}'
        ).encode()

    def _attempt(self, row: sqlite3.Row) -> None:
        body = self.body(row)
        fault = faults.of(self.store).take("webhook", row["tenant"])
        if fault is not None:
            fault.stall()
        if fault is not None and fault.http_status:  # as if the receiver had answered that
            status = fault.http_status
            journal.of(self.store).outbound("POST", row["address"], {}, body, journal.now(), status,
                                            "injected fault (POST /_sim/faults); the receiver was not called")
        else:
            status = self._post(row["address"], body)
        conn = self.store.connection()
        if status in DELIVERED_STATUSES:
            conn.execute("DELETE FROM webhook_outbox WHERE id = ?", (row["id"],))
            return
        attempts = row["attempts"] + 1
        if attempts > len(self.retry_s):
            conn.execute("UPDATE webhook_outbox SET attempts = ?, state = 'abandoned' WHERE id = ?",
                         (attempts, row["id"]))
            return
        conn.execute("UPDATE webhook_outbox SET attempts = ?, due_at = ? WHERE id = ?",
                     (attempts, time.time() + self.retry_s[attempts - 1], row["id"]))

    def _post(self, address: str, body: bytes) -> int:
        """POST one attempt; its HTTP status, or 0 when no answer came."""
        parts = urlsplit(address)
        if parts.scheme == "https":
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                parts.hostname or "", parts.port, timeout=DELIVERY_TIMEOUT_S, context=self.trust
            )
        else:
            conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=DELIVERY_TIMEOUT_S)
        journal.watch(conn, journal.of(self.store))
        headers = {"Content-Type": "application/json",
                   "Authorization": signature(self.app_key, self.app_secret, body)}
        try:
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            conn.request("POST", target, body, headers)
            answer = conn.getresponse()
            answer.read()
            return answer.status
        except OSError:
            return 0
        finally:
            conn.close()
