"""Steps for control_plane.feature: review by hand and armed faults, through the simulator's `/_sim/` API."""

from __future__ import annotations

from typing import Any

from fixture_facts import RULE_BREAKERS
from harness import Connector, ShopBefore, Sim, new_jobs, remember_shop
from pytest_bdd import given, parsers, scenarios, then, when

scenarios("control_plane.feature")

REJECTION = [{"position": "product / title", "reasons": ["The title does not describe the product."],
              "suggestions": ["Name the product, its brand and its main feature."]}]


def _ok(answer: tuple[int, Any]) -> Any:
    status, body = answer
    assert (status, body["code"]) == (200, 0), answer
    return body["data"]


@given("TikTok Shop's review waits for a decision by hand")
def _manual(sim: Sim) -> None:
    _ok(sim.api("PUT", "/_sim/review", {"mode": "manual"}))


@given(parsers.parse("TikTok Shop answers the next {times:d} alerts with HTTP {status:d}"))
def _failing_alerts(sim: Sim, times: int, status: int) -> None:
    _ok(sim.api("POST", "/_sim/faults", {"on": "alert", "http_status": status, "times": times}))


@when("the connector runs a full sync that fails", target_fixture="before")
def _failing_sync(sim: Sim, connector: Connector) -> ShopBefore:
    before = remember_shop(sim)
    assert connector.sync("--full", expect_ok=False) != 0, connector.output
    return before


@then("every product of the sync waits in PENDING with audit status AUDITING")
def _all_pending(sim: Sim) -> None:
    products = sim.products()
    assert products and {(p["status"], p["audit"]["status"]) for p in products} == {("PENDING", "AUDITING")}
    assert _ok(sim.api("GET", "/_sim/review"))["held"] == len(products)


@when("the QA engineer rejects one product with a reason and a suggestion", target_fixture="decided")
def _reject(sim: Sim) -> dict[str, Any]:
    product = sim.products()[0]
    assert _ok(sim.api("POST", f"/_sim/products/{product['id']}/reject", {"reasons": REJECTION}))["status"] \
        == "FAILED"
    return product


@when("the QA engineer approves every product")
def _approve_all(sim: Sim) -> None:
    for product in sim.products():
        _ok(sim.api("POST", f"/_sim/products/{product['id']}/approve"))


@then("that product is FAILED with exactly those audit_failed_reasons, as TikTok's Get Product shows it")
def _rejected(sim: Sim, decided: dict[str, Any]) -> None:
    product = sim.product_by_id(decided["id"])
    assert (product["status"], product["audit_failed_reasons"]) == ("FAILED", REJECTION), product
    tiktok = sim.tiktok_product(decided["id"])["data"]
    assert tiktok["audit"]["status"] == "FAILED", tiktok["audit"]


@then("its status history went from PENDING to FAILED")
def _history(sim: Sim, decided: dict[str, Any]) -> None:
    history = sim.product_by_id(decided["id"])["status_history"]
    moves = [(h["status"], h["audit_status"]) for h in history]
    assert moves == [("PENDING", "AUDITING"), ("FAILED", "FAILED")], history


@then("approving it now is refused with its status FAILED")
def _too_late(sim: Sim, decided: dict[str, Any]) -> None:
    status, answer = sim.api("POST", f"/_sim/products/{decided['id']}/approve")
    assert (status, answer["data"]["status"]) == (409, "FAILED"), answer
    assert "FAILED" in answer["message"], answer


@then("the other products still wait in PENDING")
def _others_wait(sim: Sim, decided: dict[str, Any]) -> None:
    others = [p for p in sim.products() if p["id"] != decided["id"]]
    assert others and all(p["status"] == "PENDING" for p in others)


@then("every product of the sync is ACTIVATE with audit status APPROVED")
def _all_approved(sim: Sim) -> None:
    products = sim.products()
    assert {p["item_group_id"] for p in products} >= RULE_BREAKERS, "the reviewer overrode the rules"
    assert {(p["status"], p["audit"]["status"]) for p in products} == {("ACTIVATE", "APPROVED")}


@then("the connector says its delete alert was acknowledged at attempt 3 of 3")
def _third_attempt(connector: Connector) -> None:
    assert "alerted TikTok: product/delete (attempt 3 of 3)" in connector.output, connector.output


@then("no fault is left armed")
def _used_up(sim: Sim) -> None:
    assert _ok(sim.api("GET", "/_sim/faults")) == {"faults": []}


@then("every product of the sync left review")
def _reviewed(sim: Sim) -> None:
    sim.wait_all_jobs()
    statuses = {p["item_group_id"]: p["status"] for p in sim.products()}
    assert statuses and set(statuses.values()) <= {"ACTIVATE", "FAILED"}, statuses
    assert all(statuses[group] == "FAILED" for group in RULE_BREAKERS), statuses


@then("the connector says the delete alert failed 3 times with HTTP 503")
def _failed_three_times(connector: Connector) -> None:
    assert "failed 3 times (last: HTTP 503)" in connector.output, connector.output
    assert "alert product/delete" in connector.output, connector.output


@then("TikTok Shop recorded no job")
def _no_job(sim: Sim) -> None:
    assert sim.jobs() == []


@then("TikTok Shop was alerted for the waiting run's delete and update, then for the new run's")
def _waiting_run_first(sim: Sim, before: ShopBefore) -> None:
    kinds = [job["update_type"] for job in new_jobs(sim, before) if job["feed_type"] == "product"]
    assert kinds == ["delete", "update"] * 2, kinds
