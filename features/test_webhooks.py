"""Steps for webhooks: a receiver subscribed through the signed Event API sees a review happen."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from harness import Sim
from pytest_bdd import given, scenarios, then, when
from support.webhook_receiver import WebhookReceiver

scenarios("webhooks.feature")

HOOKS = "/event/202309/webhooks"
SUBSCRIBED = ("PRODUCT_CREATION", "PRODUCT_AUDIT_STATUS_CHANGE", "PRODUCT_STATUS_CHANGE")


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver()
    yield hook
    hook.stop()


def told(receiver: WebhookReceiver) -> list[tuple[Any, ...]]:
    """(type, product_id, audit status or status) of every accepted delivery, in arrival order."""
    bodies = [d.json for d in receiver.accepted()]
    return [(b["type"], str(b["data"]["product_id"]),
             b["data"].get("audit", {}).get("status") or b["data"].get("status")) for b in bodies]


@given("a webhook receiver subscribed to product creation, audit status and status changes")
def _subscribed(sim: Sim, receiver: WebhookReceiver) -> None:
    for kind in SUBSCRIBED:
        body = json.dumps({"address": receiver.url, "event_type": kind}).encode()
        status, answer = sim.partner.call("PUT", HOOKS, sim.partner.signed_query(HOOKS, body), body)
        assert (status, answer["code"]) == (200, 0), answer


@given("TikTok Shop reviews products by hand")
def _manual(sim: Sim) -> None:
    status, answer = sim.api("PUT", "/_sim/review", {"mode": "manual"})
    assert status == 200, answer


@then("the receiver is told every product was created and is under review, and nothing more")
def _under_review(sim: Sim, receiver: WebhookReceiver) -> None:
    ids = sorted(p["id"] for p in sim.products())
    receiver.wait(2 * len(ids))
    sim.wait_all_jobs()
    expected = [(16, i, None) for i in ids] + [(37, i, "AUDITING") for i in ids]
    assert sorted(told(receiver), key=lambda t: (t[0], t[1])) == expected
    for product_id in ids:  # each product's creation came before its audit status
        mine = [t[0] for t in told(receiver) if t[1] == product_id]
        assert mine == [16, 37], mine


@then("the products are PENDING")
def _pending(sim: Sim) -> None:
    assert {p["status"] for p in sim.products()} == {"PENDING"}


@when("one product is approved", target_fixture="approved")
def _approve(sim: Sim) -> str:
    product_id = sorted(p["id"] for p in sim.products())[0]
    status, answer = sim.api("POST", f"/_sim/products/{product_id}/approve", {})
    assert status == 200, answer
    return product_id


@then("the receiver is told that product passed its first review")
def _first_pass(sim: Sim, receiver: WebhookReceiver, approved: str) -> None:
    already = len(sim.products()) * 2
    receiver.wait(already + 2)
    passed = [(37, approved, "APPROVED"), (5, approved, "PRODUCT_FIRST_PASS_REVIEW")]
    assert told(receiver)[already:] == passed


@then("that product is ACTIVATE")
def _active(sim: Sim, approved: str) -> None:
    assert sim.product_by_id(approved)["status"] == "ACTIVATE"


@then("every delivery verifies with the app secret and parses with TikTok's Python client")
def _verified(sim: Sim, receiver: WebhookReceiver) -> None:
    events = receiver.events(sim.server.app_key, sim.server.app_secret)
    assert len(events) == len(receiver.accepted()) > 0
    shop_id = sim.partner.get("/authorization/202309/shops")[1]["data"]["shops"][0]["id"]
    assert {event.shop_id for event in events} == {shop_id}
