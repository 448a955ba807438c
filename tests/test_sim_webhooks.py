"""Webhooks as TikTok sends them: subscriptions through the signed Event API, one event per change,
signed deliveries the PyPI client verifies and parses, retries with backoff, nothing lost on a restart."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.partner import PartnerClient
from support.sfcc import INVENTORY_FOLDER, PRODUCT_FOLDER, inventory_xml
from support.simulator_client import Client, row, running
from support.waiting import wait_for
from support.webhook_receiver import WebhookReceiver
from tiktok_shop_api.generated.models import (
    InventoryStatusChangeWebhook,
    ProductAuditStatusChangeWebhook,
    ProductCreationWebhook,
    ProductInformationChangeWebhook,
    ProductStatusChangeWebhook,
)

PATH = "/event/202309/webhooks"
PRODUCT_EVENTS = ("PRODUCT_CREATION", "PRODUCT_AUDIT_STATUS_CHANGE", "PRODUCT_STATUS_CHANGE",
                  "PRODUCT_INFORMATION_CHANGE")
FAST_RETRIES = (0.05, 0.05, 0.05, 0.05)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver()
    yield hook
    hook.stop()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    with running(tmp_path / "sim", webhook_retry_s=FAST_RETRIES) as sim:
        yield sim


def send(partner: PartnerClient, method: str, body: Any = None) -> tuple[int, dict[str, Any]]:
    raw = b"" if body is None else json.dumps(body).encode()
    return partner.call(method, PATH, partner.signed_query(PATH, raw), raw or None)


def subscribe(client: Client, address: str, *event_types: str) -> None:
    for kind in event_types:
        status, answer = send(client.partner, "PUT", {"address": address, "event_type": kind})
        assert (status, answer["code"]) == (200, 0), answer


def summary(event: Any) -> tuple:
    """What a parsed event says about its product, in one comparable tuple."""
    data = event.data
    if isinstance(event, ProductCreationWebhook):
        return 16, data.product_id
    if isinstance(event, ProductAuditStatusChangeWebhook):
        return 37, data.product_id, data.audit.status
    if isinstance(event, ProductStatusChangeWebhook):
        return 5, data.product_id, data.status
    if isinstance(event, ProductInformationChangeWebhook):
        return 15, int(data.product_id), tuple(data.changed_fields)
    assert isinstance(event, InventoryStatusChangeWebhook), event
    return 27, data.sku_id, data.current_inventory_status, data.inventory_distribution.total_quantity


def test_subscriptions_are_set_listed_replaced_and_deleted(client: Client) -> None:
    subscribe(client, "https://hooks.example.com/a", "PRODUCT_CREATION", "ORDER_STATUS_CHANGE")
    subscribe(client, "https://hooks.example.com/b", "PRODUCT_CREATION")
    status, answer = send(client.partner, "GET")
    assert status == 200 and answer["code"] == 0, answer
    hooks = {h["event_type"]: h for h in answer["data"]["webhooks"]}
    assert answer["data"]["total_count"] == 2
    assert hooks["PRODUCT_CREATION"]["address"] == "https://hooks.example.com/b"
    assert hooks["ORDER_STATUS_CHANGE"]["create_time"] <= hooks["ORDER_STATUS_CHANGE"]["update_time"]
    assert send(client.partner, "DELETE", {"event_type": "PRODUCT_CREATION"})[1]["code"] == 0
    assert send(client.partner, "DELETE", {"event_type": "PRODUCT_CREATION"})[1]["code"] == 0  # none: fine
    remaining = send(client.partner, "GET")[1]["data"]
    assert [h["event_type"] for h in remaining["webhooks"]] == ["ORDER_STATUS_CHANGE"]


@pytest.mark.parametrize(("method", "body", "named"), [
    ("PUT", {"address": "https://h.example.com", "event_type": "PRODUCT_CREATION", "x": "y"}, "'x'"),
    ("PUT", {"address": "https://h.example.com", "event_type": "PRODUCT_CREATED"}, "'PRODUCT_CREATED'"),
    ("PUT", {"event_type": "PRODUCT_CREATION"}, "'address'"),
    ("PUT", {"address": "ftp://h.example.com", "event_type": "PRODUCT_CREATION"}, "'address'"),
    ("PUT", {"address": "https://h.example.com:port", "event_type": "PRODUCT_CREATION"}, "'address'"),
    ("PUT", {"address": "https://me:pw@h.example.com", "event_type": "PRODUCT_CREATION"}, "user or password"),
    ("PUT", {"address": "https://h.example.com/" + "a" * 240, "event_type": "PRODUCT_CREATION"}, "255"),
    ("PUT", ["PRODUCT_CREATION"], "JSON object"),
    ("DELETE", {"event_type": "PRODUCT_CREATION", "address": "https://h.example.com"}, "'address'"),
    ("DELETE", {}, "'event_type'"),
])
def test_bad_subscriptions_are_refused_naming_the_field(client: Client, method: str, body: Any,
                                                        named: str) -> None:
    status, answer = send(client.partner, method, body)
    assert (status, answer["code"]) == (400, 36009004), answer
    assert named in answer["message"], answer
    assert send(client.partner, "GET")[1]["data"]["total_count"] == 0  # nothing changed


def test_the_event_api_is_signed(client: Client) -> None:
    partner = client.partner
    query = partner.signed_query(PATH)
    query["sign"] = "0" * 64
    status, answer = partner.call("GET", PATH, query)
    assert (status, answer["code"]) == (401, 106001), answer


def test_a_product_lifecycle_is_delivered_signed_in_order(client: Client, receiver: WebhookReceiver) -> None:
    subscribe(client, receiver.url, *PRODUCT_EVENTS)
    client.drop_feed([row("A1", "GOOD"), row("B1", "BAD", price="")])
    assert client.run()["state"] == "completed"
    good, bad = (int(client.product(group)["id"]) for group in ("GOOD", "BAD"))
    server = client.server
    receiver.wait(8, "for the first sync ")
    events = receiver.events(server.app_key, server.app_secret)  # each one verified and parsed
    seen = [summary(event) for event in events]
    assert [s for s in seen if s[1] == good] == [
        (16, good), (37, good, "AUDITING"), (37, good, "APPROVED"), (5, good, "PRODUCT_FIRST_PASS_REVIEW"),
    ]
    assert [s for s in seen if s[1] == bad] == [
        (16, bad), (37, bad, "AUDITING"), (37, bad, "FAILED"), (5, bad, "PRODUCT_AUDIT_FAILURE"),
    ]
    shop_id = client.partner.get("/authorization/202309/shops")[1]["data"]["shops"][0]["id"]
    assert {event.shop_id for event in events} == {shop_id}
    assert len({event.tts_notification_id for event in events}) == len(events)
    assert all(json.loads(d.body)["data"]["update_time"] > 0 for d in receiver.accepted())

    client.drop_feed([row("A1", "GOOD", title="A better title")])
    assert client.run()["state"] == "completed"
    receiver.wait(12, "for the change ")
    later = [summary(e) for e in receiver.events(server.app_key, server.app_secret)[8:]]
    assert later == [(15, good, ("title",)), (37, good, "AUDITING"), (37, good, "APPROVED"),
                     (5, good, "PRODUCT_STATUS_CHANGED")]


def test_nothing_is_sent_for_events_not_subscribed(client: Client, receiver: WebhookReceiver) -> None:
    subscribe(client, receiver.url, "PRODUCT_STATUS_CHANGE")
    client.drop_feed([row("A1", "GOOD")])
    assert client.run()["state"] == "completed"
    receiver.wait(1)
    (event,) = receiver.events(client.server.app_key, client.server.app_secret)
    assert summary(event)[2] == "PRODUCT_FIRST_PASS_REVIEW"
    assert len(_attempts(client, 1)) == 1


def test_inventory_status_changes(client: Client, receiver: WebhookReceiver) -> None:
    client.drop_feed([row("A1", "GOOD"), row("A2", "GOOD")])
    assert client.run()["state"] == "completed"
    subscribe(client, receiver.url, "INVENTORY_STATUS_CHANGE")
    sku_ids = {s["seller_sku"]: s["id"] for s in client.tiktok_product(client.product("GOOD")["id"])
               ["data"]["skus"]}
    for n, levels in enumerate(((100, 100), (3, 100), (0, 100), (0, 100))):
        allocations = zip(("A1", "A2"), levels, strict=True)
        data = inventory_xml([(sku, f"<allocation>{q}</allocation>") for sku, q in allocations])
        client.drop(INVENTORY_FOLDER, f"inventory_{n}.xml", data)
        assert client.run("inventory", "create")["state"] == "completed"
    receiver.wait(4)
    events = receiver.events(client.server.app_key, client.server.app_secret)
    assert [summary(e) for e in events] == [
        (27, sku_ids["A1"], "SUFFICIENT_STOCK", 100), (27, sku_ids["A2"], "SUFFICIENT_STOCK", 100),
        (27, sku_ids["A1"], "LOW_STOCK", 3), (27, sku_ids["A1"], "OUT_OF_STOCK", 0),
    ]
    first = events[0].data
    assert first.product_id == client.product("GOOD")["id"]
    assert (first.trigger_reason.alert_type, first.trigger_reason.low_stock_threshold) == ("REALTIME", 5)


def _attempts(client: Client, count: int) -> list[dict[str, Any]]:
    """The journal's delivery attempts, once it holds `count` (the sender journals after the answer)."""

    def journaled() -> list[dict[str, Any]]:
        return client.api("GET", "/_sim/journal?direction=outbound&method=POST")[1]["data"]["entries"]

    return wait_for(lambda: len(journaled()) >= count and journaled(), f"{count} journaled attempts")


def test_a_failed_delivery_is_retried_with_the_same_body(client: Client, receiver: WebhookReceiver) -> None:
    subscribe(client, receiver.url, "PRODUCT_CREATION")
    receiver.answers = [500, 503]
    client.drop_feed([row("A1", "GOOD")])
    assert client.run()["state"] == "completed"
    receiver.wait(1)
    statuses = [d.answered for d in receiver.deliveries]
    assert statuses == [500, 503, 200]
    assert len({d.body for d in receiver.deliveries}) == 1  # same notification id, same signature
    attempts = _attempts(client, 3)
    assert [a["status"] for a in attempts] == [500, 503, 200]
    assert len({a["body_sha256"] for a in attempts}) == 1
    assert all(a["headers"]["Authorization"] == "***" for a in attempts)


def test_401_counts_as_delivered(client: Client, receiver: WebhookReceiver) -> None:
    subscribe(client, receiver.url, "PRODUCT_CREATION", "PRODUCT_STATUS_CHANGE")
    receiver.answers = [401]
    client.drop_feed([row("A1", "GOOD")])
    assert client.run()["state"] == "completed"
    receiver.wait(1)  # the status change after the refused creation event
    assert [d.answered for d in receiver.deliveries] == [401, 200]


def _outbox(client: Client) -> list[tuple[int, str]]:
    with sqlite3.connect(client.server.data_dir / "shop.sqlite3") as db:
        return db.execute("SELECT attempts, state FROM webhook_outbox").fetchall()


def test_a_delivery_gives_up_after_the_last_retry(client: Client, receiver: WebhookReceiver) -> None:
    subscribe(client, receiver.url, "PRODUCT_CREATION")
    receiver.answers = [500] * 10
    client.drop_feed([row("A1", "GOOD")])
    assert client.run()["state"] == "completed"
    wait_for(lambda: _outbox(client) == [(5, "abandoned")], "the event to be abandoned")
    assert len(receiver.deliveries) == 5  # the first push and TikTok's four retries


def test_an_undelivered_event_survives_a_restart(tmp_path: Path, receiver: WebhookReceiver) -> None:
    with running(tmp_path / "sim", webhook_retry_s=(0.05, 3600.0)) as client:
        subscribe(client, receiver.url, "PRODUCT_CREATION")
        receiver.answers = [500, 500]
        client.drop_feed([row("A1", "GOOD")])
        assert client.run()["state"] == "completed"
        wait_for(lambda: len(receiver.deliveries) == 2, "two failed attempts")
    assert _outbox(client) == [(2, "queued")]
    with sqlite3.connect(tmp_path / "sim" / "shop.sqlite3") as db:  # as if the hour had passed
        db.execute("UPDATE webhook_outbox SET due_at = 0")
    with running(tmp_path / "sim") as again:
        receiver.wait(1, "after the restart ")
        (event,) = receiver.events(again.server.app_key, again.server.app_secret)
        assert summary(event)[0] == 16


def test_an_injected_fault_fails_deliveries_without_calling_the_receiver(
        client: Client, receiver: WebhookReceiver) -> None:
    subscribe(client, receiver.url, "PRODUCT_CREATION")
    status, answer = client.api("POST", "/_sim/faults", {"on": "webhook", "http_status": 503, "times": 2})
    assert status == 200, answer
    client.drop_feed([row("A1", "GOOD")])
    assert client.run()["state"] == "completed"
    receiver.wait(1)
    assert [d.answered for d in receiver.deliveries] == [200]
    attempts = _attempts(client, 3)
    assert [a["status"] for a in attempts] == [503, 503, 200]
    assert all("injected fault" in a["error"] for a in attempts[:2])


def test_a_deleted_product_is_a_status_change(client: Client, receiver: WebhookReceiver) -> None:
    client.drop_feed([row("A1", "GOOD"), row("A2", "GOOD")])
    assert client.run()["state"] == "completed"
    product_id = int(client.product("GOOD")["id"])
    subscribe(client, receiver.url, *PRODUCT_EVENTS)
    client.drop(PRODUCT_FOLDER, "delete-feed-RefArch-20261126120000.txt", b"A1\n")
    assert client.run("product", "delete")["state"] == "completed"
    client.drop(PRODUCT_FOLDER, "delete-feed-RefArch-20261126120001.txt", b"A2\n")
    assert client.run("product", "delete")["state"] == "completed"
    wait_for(lambda: _outbox(client) == [], "every event to be delivered")
    assert client.product("GOOD")["status"] == "DELETED"
    assert [summary(e) for e in receiver.events(client.server.app_key, client.server.app_secret)] == [
        (5, product_id, "PRODUCT_STATUS_CHANGED")]
