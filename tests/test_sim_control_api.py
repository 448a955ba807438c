"""The control API (`/_sim/`): reset, review modes, approve and reject, faults, and who may call it.

One simulator serves the module, reset through the API before each test, as the BDD scenarios use it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.cartridge import AUTH_CALLBACK, call, callback_body, external_data
from support.net import basic_auth, request
from support.sfcc import PRODUCT_FOLDER
from support.simulator_client import Client, row, running
from support.waiting import wait_for

from connector.alert import AlertError, notify
from simulator import control
from simulator.store import Store

OTHER = "shop-b"
REASONS = [{"position": "sku S1 / title", "reasons": ["The title is misleading."],
            "suggestions": ["Describe the product."]}]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    with running(tmp_path_factory.mktemp("sim")) as sim:
        onboard(sim, OTHER)
        yield sim


@pytest.fixture
def sim(live: Client) -> Client:
    """The module's simulator, emptied once its jobs have finished."""
    wait_for(lambda: live.api("POST", "/_sim/reset")[0] == 200, "a reset the jobs allow")
    return live


def onboard(sim: Client, tenant: str) -> None:
    """A second shop whose SFCC instance is the simulator's own WebDAV (the cartridge's signed callback)."""
    server = sim.server
    signed = external_data(tenant, server.external_data_key)
    status, answer = call(server.base_url, "POST", AUTH_CALLBACK, signed,
                          callback_body(tenant, server.base_url, server.dav_user, server.dav_password))
    assert (status, answer["code"]) == (200, 0), answer


def run_as(sim: Client, tenant: str) -> dict[str, Any]:
    answer = sim.alert(external_business_id=tenant)
    assert answer["code"] == 0, answer
    return sim.wait_job(answer["data"]["job_id"])


def data(answer: tuple[int, Any]) -> Any:
    status, body = answer
    assert (status, body["code"]) == (200, 0), answer
    return body["data"]


def refused(answer: tuple[int, Any], status: int, *words: str) -> dict[str, Any]:
    assert answer[0] == status, answer
    assert all(word in answer[1]["message"] for word in words), answer
    return answer[1]


def statuses(sim: Client) -> dict[str, str]:
    return {p["item_group_id"]: p["status"] for p in sim.products()}


# --- reset ------------------------------------------------------------------------------------------------


def test_reset_empties_products_jobs_faults_modes_and_the_webdav_tree(sim: Client) -> None:
    sim.drop_feed([row("S1", "G1")])
    assert sim.run()["state"] == "completed"
    data(sim.api("POST", "/_sim/faults", {"on": "alert", "http_status": 503}))
    data(sim.api("PUT", "/_sim/review", {"mode": "manual"}))

    done = data(sim.api("POST", "/_sim/reset"))

    assert done["jobs_removed"] == 1
    assert (sim.products(), sim.jobs()) == ([], [])
    assert data(sim.api("GET", "/_sim/faults")) == {"faults": []}
    assert data(sim.api("GET", "/_sim/review"))["mode"] == "immediate"
    assert sim.dav("PROPFIND", PRODUCT_FOLDER + "/", headers={"Depth": "1"})[0] == 404
    sim.drop_feed([row("S1", "G1")])  # the same file again is new again: processed marks went too
    assert sim.run()["counts"]["published"] == 1


def test_reset_of_one_tenant_keeps_every_other_tenant(sim: Client) -> None:
    sim.drop_feed([row("S1", "G1")])
    assert sim.run()["state"] == run_as(sim, OTHER)["state"] == "completed"
    data(sim.api("POST", "/_sim/faults", {"on": "alert", "http_status": 503, "external_business_id": OTHER}))

    assert data(sim.api("POST", "/_sim/reset", {"external_business_id": OTHER}))["jobs_removed"] == 1

    assert [(p["external_business_id"], p["item_group_id"]) for p in sim.products()] == [
        (sim.server.external_business_id, "G1")]
    assert [job["tenant"] for job in sim.jobs()] == [sim.server.external_business_id]
    assert data(sim.api("GET", "/_sim/faults")) == {"faults": []}
    assert run_as(sim, OTHER)["counts"]["published"] == 1  # its files are new to it again


def test_a_reset_with_a_job_running_answers_409_naming_the_job(sim: Client) -> None:
    data(sim.api("POST", "/_sim/faults", {"on": "pickup", "delay_s": 1.0}))
    job_id = sim.alert()["data"]["job_id"]
    wait_for(lambda: sim.api("GET", f"/api/jobs/{job_id}")[1]["state"] == "running", "the job to run")

    refused(sim.api("POST", "/_sim/reset"), 409, f"job {job_id} (running")
    refused(sim.api("POST", "/_sim/reset", {"external_business_id": sim.server.external_business_id}), 409,
            f"job {job_id}")

    assert data(sim.api("POST", "/_sim/reset", {"external_business_id": OTHER}))["jobs_removed"] == 0
    sim.wait_job(job_id)
    assert data(sim.api("POST", "/_sim/reset"))["jobs_removed"] == 1


def test_an_alert_during_a_reset_gets_its_job_after_the_reset_not_cut_off_by_it(
        sim: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    sim.drop_feed([row("S1", "G1")])
    assert sim.run()["state"] == "completed"
    inside, asked, release = threading.Event(), threading.Event(), threading.Event()
    tables, create_job = control._shop_tables, Store.create_job

    def paused_tables(store: Store) -> list[tuple[str, bool]]:
        inside.set()
        release.wait(30)
        return tables(store)

    def asking(store: Store, *args: Any) -> int:
        asked.set()
        return create_job(store, *args)

    monkeypatch.setattr(control, "_shop_tables", paused_tables)
    monkeypatch.setattr(Store, "create_job", asking)
    answers: dict[str, Any] = {}
    reset = threading.Thread(target=lambda: answers.update(reset=sim.api("POST", "/_sim/reset")))
    reset.start()
    assert inside.wait(30)
    alert = threading.Thread(target=lambda: answers.update(alert=sim.alert()))
    alert.start()
    assert asked.wait(30)  # the alert is making its job while the reset is half-way
    release.set()
    reset.join(30)
    alert.join(30)

    assert data(answers["reset"])["jobs_removed"] == 1  # the earlier job only
    job_id = data((200, answers["alert"]))["job_id"]
    assert sim.wait_job(job_id)["id"] == job_id
    assert [job["id"] for job in sim.jobs()] == [job_id]


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"tenant": "x"}, 400, ("unknown field 'tenant'",)),
    ({"external_business_id": "nobody"}, 404, ("'nobody'",)),
    ({"external_business_id": 7}, 400, ("'external_business_id'",)),
    ([], 400, ("not a JSON object",)),
])
def test_bad_reset_requests_change_nothing(sim: Client, body: Any, status: int,
                                           words: tuple[str, ...]) -> None:
    sim.drop_feed([row("S1", "G1")])
    sim.run()
    refused(sim.api("POST", "/_sim/reset", body), status, *words)
    assert list(statuses(sim)) == ["G1"]


# --- review modes -----------------------------------------------------------------------------------------


def test_manual_review_holds_products_until_approved_or_rejected(sim: Client) -> None:
    data(sim.api("PUT", "/_sim/review", {"mode": "manual"}))
    sim.drop_feed([row("S1", "G1"), row("S2", "G2", title="")])  # G2 breaks a rule: the reviewer decides
    job = sim.run()
    assert (job["counts"]["held_for_review"], job["counts"].get("published", 0)) == (2, 0), job["counts"]
    assert statuses(sim) == {"G1": "PENDING", "G2": "PENDING"}
    assert data(sim.api("GET", "/_sim/review"))["held"] == 2

    approved, rejected = sim.product("G2"), sim.product("G1")
    assert data(sim.api("POST", f"/_sim/products/{approved['id']}/approve")) == {
        "id": approved["id"], "status": "ACTIVATE"}
    data(sim.api("POST", f"/_sim/products/{rejected['id']}/reject", {"reasons": REASONS}))

    assert statuses(sim) == {"G1": "FAILED", "G2": "ACTIVATE"}
    shown = sim.product("G1")
    assert shown["audit_failed_reasons"] == REASONS
    assert [(h["status"], h["audit_status"]) for h in shown["status_history"]] == [
        ("PENDING", "AUDITING"), ("FAILED", "FAILED")]
    assert sim.tiktok_product(rejected["id"])["data"]["audit"]["status"] == "FAILED"
    assert [h["status"] for h in sim.product("G2")["status_history"]] == ["PENDING", "ACTIVATE"]
    assert data(sim.api("GET", "/_sim/review"))["held"] == 0


def test_approving_a_product_that_is_not_pending_answers_409_with_its_status(sim: Client) -> None:
    sim.drop_feed([row("S1", "G1")])
    sim.run()
    product_id = sim.product("G1")["id"]
    for action, body in (("approve", None), ("reject", {"reasons": REASONS})):
        answer = refused(sim.api("POST", f"/_sim/products/{product_id}/{action}", body), 409, "ACTIVATE")
        assert answer["data"] == {"id": product_id, "status": "ACTIVATE"}
    refused(sim.api("POST", "/_sim/products/1729000000000099999/approve"), 404, "does not exist")
    assert statuses(sim) == {"G1": "ACTIVATE"}


def test_a_held_product_deleted_meanwhile_waits_for_nothing(sim: Client) -> None:
    data(sim.api("PUT", "/_sim/review", {"mode": "manual"}))
    sim.drop_feed([row("S1", "G1"), row("S2", "G2")])
    sim.run()
    sim.drop(PRODUCT_FOLDER, "delete-feed-RefArch-20261127101500.txt", b"S1\n")
    assert sim.run("product", "delete")["state"] == "completed"
    assert statuses(sim) == {"G1": "DELETED", "G2": "PENDING"}
    assert data(sim.api("GET", "/_sim/review"))["held"] == 1
    answer = refused(sim.api("POST", f"/_sim/products/{sim.product('G1')['id']}/approve"), 409, "DELETED")
    assert answer["data"]["status"] == "DELETED"


@pytest.mark.parametrize(("body", "words"), [
    ({}, ("'reasons'",)),
    ({"reasons": []}, ("'reasons'",)),
    ({"reasons": REASONS, "why": 1}, ("unknown field 'why'",)),
    ({"reasons": [{"position": "p", "reasons": ["r"], "hint": "h"}]}, ("'reasons[0].hint'",)),
    ({"reasons": [{"reasons": ["r"]}]}, ("'reasons[0].position'",)),
    ({"reasons": [{"position": "p", "reasons": []}]}, ("'reasons[0].reasons'",)),
    ({"reasons": [{"position": "p", "reasons": ["r"], "suggestions": "s"}]}, ("'reasons[0].suggestions'",)),
])
def test_a_bad_rejection_is_refused_naming_the_field_and_changes_nothing(
        sim: Client, body: dict[str, Any], words: tuple[str, ...]) -> None:
    data(sim.api("PUT", "/_sim/review", {"mode": "manual"}))
    sim.drop_feed([row("S1", "G1")])
    sim.run()
    refused(sim.api("POST", f"/_sim/products/{sim.product('G1')['id']}/reject", body), 400, *words)
    assert statuses(sim) == {"G1": "PENDING"}


def test_delayed_review_keeps_products_pending_for_the_delay(sim: Client) -> None:
    data(sim.api("PUT", "/_sim/review", {"mode": "delayed", "delay_s": 1.0}))
    sim.drop_feed([row("S1", "G1")])
    sim.run()
    assert statuses(sim) == {"G1": "PENDING"}

    wait_for(lambda: statuses(sim) == {"G1": "ACTIVATE"}, "the delayed review to publish")
    pending, active = sim.product("G1")["status_history"]
    assert (pending["status"], active["status"]) == ("PENDING", "ACTIVATE")
    assert active["at"] - pending["at"] >= 1.0


def test_leaving_manual_mode_publishes_what_was_held(sim: Client) -> None:
    data(sim.api("PUT", "/_sim/review", {"mode": "manual"}))
    sim.drop_feed([row("S1", "G1"), row("S2", "G2", title="")])
    sim.run()
    data(sim.api("PUT", "/_sim/review", {"mode": "immediate"}))
    wait_for(lambda: statuses(sim) == {"G1": "ACTIVATE", "G2": "FAILED"}, "the held outcomes to publish")
    assert sim.product("G2")["audit_failed_reasons"], "the review's own reasons"


def test_review_modes_belong_to_one_tenant(sim: Client) -> None:
    data(sim.api("PUT", "/_sim/review", {"mode": "manual", "external_business_id": OTHER}))
    assert data(sim.api("GET", "/_sim/review")) == {"mode": "immediate", "delay_s": 0.0,
                                                    "tenants": {OTHER: {"mode": "manual", "delay_s": 0.0}},
                                                    "held": 0}
    assert data(sim.api("GET", f"/_sim/review?external_business_id={OTHER}"))["mode"] == "manual"
    sim.drop_feed([row("S1", "G1")])
    sim.run()
    run_as(sim, OTHER)
    by_tenant = {(p["external_business_id"], p["status"]) for p in sim.products()}
    assert by_tenant == {(sim.server.external_business_id, "ACTIVATE"), (OTHER, "PENDING")}


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"mode": "slow"}, 400, ("'mode'", "'slow'")),
    ({}, 400, ("'mode'",)),
    ({"mode": "manual", "speed": 1}, 400, ("unknown field 'speed'",)),
    ({"mode": "delayed"}, 400, ("'delay_s'",)),
    ({"mode": "delayed", "delay_s": -1}, 400, ("'delay_s'",)),
    ({"mode": "delayed", "delay_s": "5"}, 400, ("'delay_s'",)),
    ({"mode": "manual", "delay_s": 5}, 400, ("'delay_s'", "delayed")),
    ({"mode": "manual", "external_business_id": "nobody"}, 404, ("'nobody'",)),
])
def test_a_bad_review_mode_is_refused_naming_the_field(sim: Client, body: dict[str, Any], status: int,
                                                       words: tuple[str, ...]) -> None:
    refused(sim.api("PUT", "/_sim/review", body), status, *words)
    assert data(sim.api("GET", "/_sim/review"))["mode"] == "immediate"


def test_a_delayed_outcome_due_while_the_server_was_stopped_publishes_at_start(tmp_path: Path) -> None:
    with running(tmp_path / "sim") as sim:
        data(sim.api("PUT", "/_sim/review", {"mode": "delayed", "delay_s": 0.5}))
        sim.drop_feed([row("S1", "G1")])
        sim.run()
        held_at = time.time()
        sim.server.clock.stop()  # nothing publishes while "stopped"; the store still answers
        assert statuses(sim) == {"G1": "PENDING"}
    wait_for(lambda: time.time() > held_at + 0.5, "the delay to pass while stopped")
    with running(tmp_path / "sim") as sim:
        wait_for(lambda: statuses(sim) == {"G1": "ACTIVATE"}, "the due outcome to publish at start")


# --- faults -----------------------------------------------------------------------------------------------


def _notify(sim: Client, tenant: str | None = None) -> int:
    return notify(sim.server.base_url, tenant or sim.server.external_business_id,
                  f"{sim.server.dav_url}/{PRODUCT_FOLDER}", "product", "update")


@pytest.mark.parametrize("fault", [{"http_status": 503}, {"code": 50002},
                                   {"code": 50002, "http_status": 500}])
def test_an_alert_that_fails_twice_then_succeeds_takes_the_connectors_three_attempts(
        sim: Client, fault: dict[str, Any]) -> None:
    data(sim.api("POST", "/_sim/faults", {"on": "alert", "times": 2, **fault}))
    assert data(sim.api("GET", "/_sim/faults"))["faults"][0]["times"] == 2
    assert _notify(sim) == 3
    assert data(sim.api("GET", "/_sim/faults")) == {"faults": []}
    assert len(sim.jobs()) == 1, "only the acknowledged attempt records a job"


def test_an_alert_that_fails_three_times_fails_the_connectors_call(sim: Client) -> None:
    data(sim.api("POST", "/_sim/faults", {"on": "alert", "code": 50002, "times": 3}))
    with pytest.raises(AlertError, match="failed 3 times.*code 50002"):
        _notify(sim)
    assert sim.jobs() == []


def test_faults_never_leak_into_other_tenants(sim: Client) -> None:
    data(sim.api("POST", "/_sim/faults", {"on": "alert", "http_status": 503, "external_business_id": OTHER}))
    data(sim.api("POST", "/_sim/faults", {"on": "pickup", "http_status": 503, "external_business_id": OTHER}))
    assert _notify(sim) == 1
    sim.drop_feed([row("S1", "G1")])
    assert sim.run()["state"] == "completed"
    assert [f["times"] for f in data(sim.api("GET", "/_sim/faults"))["faults"]] == [1, 1]
    assert _notify(sim, OTHER) == 2


def test_a_pickup_fault_fails_the_simulators_own_webdav_call(sim: Client) -> None:
    data(sim.api("POST", "/_sim/faults", {"on": "pickup", "http_status": 503}))
    sim.drop_feed([row("S1", "G1")])
    failed = sim.run()
    assert failed["state"] == "failed" and "PROPFIND" in failed["error"] and "503" in failed["error"], failed
    assert sim.run()["counts"]["published"] == 1, "the file stayed new for the next alert"


def test_a_product_api_fault_answers_its_code_to_that_shops_next_call(sim: Client) -> None:
    data(sim.api("POST", "/_sim/faults", {"on": "product_api", "code": 12052910, "http_status": 400,
                                          "external_business_id": sim.server.external_business_id}))
    status, answer = sim.partner.post("/product/202502/products/search", {}, page_size="10")
    assert (status, answer["code"]) == (400, 12052910), answer
    assert sim.search()["total_count"] == 0


def test_a_token_fault_hits_only_the_shop_whose_code_it_is(sim: Client) -> None:
    server = sim.server
    data(sim.api("POST", "/_sim/faults", {"on": "token", "http_status": 500, "external_business_id": OTHER}))

    def token(tenant: str) -> tuple[int, Any]:
        code = sim.api("POST", f"/_sim/shops/{tenant}/auth_code")[1]["code"]
        query = f"app_key={server.app_key}&app_secret={server.app_secret}&auth_code={code}" \
                "&grant_type=authorized_code"
        return sim.api("GET", f"/api/v2/token/get?{query}")

    assert data(token(server.external_business_id))["access_token"]
    assert token(OTHER)[0] == 500
    assert data(token(OTHER))["access_token"]


def test_an_auth_callback_fault_refuses_that_tenants_onboarding_and_changes_nothing(sim: Client) -> None:
    fault = {"on": "auth_callback", "code": 40099, "external_business_id": OTHER}
    data(sim.api("POST", "/_sim/faults", fault))
    server = sim.server
    body = callback_body(OTHER, "https://elsewhere.example", "someone", "other-key")
    status, answer = call(server.base_url, "POST", AUTH_CALLBACK,
                          external_data(OTHER, server.external_data_key), body)
    assert (status, answer["code"]) == (200, 40099), answer
    assert server.store.get_tenant(OTHER).webdav_base == server.base_url, "the refused callback moved it"
    onboard(sim, OTHER)  # the fault is used up: the cartridge's next try goes through


def test_a_delay_fault_slows_the_call_it_hits_and_then_lets_it_through(sim: Client) -> None:
    data(sim.api("POST", "/_sim/faults", {"on": "alert", "delay_s": 0.3}))
    started = time.monotonic()
    assert _notify(sim) == 1
    assert time.monotonic() - started >= 0.3


def test_delete_clears_every_fault_or_one_tenants(sim: Client) -> None:
    for tenant in (OTHER, None):
        data(sim.api("POST", "/_sim/faults", {"on": "alert", "code": 1, "external_business_id": tenant}))
    assert data(sim.api("DELETE", f"/_sim/faults?external_business_id={OTHER}")) == {"cleared": 1}
    assert [f["external_business_id"] for f in data(sim.api("GET", "/_sim/faults"))["faults"]] == [None]
    assert data(sim.api("DELETE", "/_sim/faults")) == {"cleared": 1}
    assert _notify(sim) == 1


@pytest.mark.parametrize(("body", "words"), [
    ({"on": "orders", "code": 1}, ("'on'", "'orders'")),
    ({"code": 1}, ("'on'",)),
    ({"on": "alert", "code": 1, "count": 2}, ("unknown field 'count'",)),
    ({"on": "alert"}, ("'code'", "'http_status'", "'delay_s'")),
    ({"on": "alert", "code": 0}, ("'code'",)),
    ({"on": "alert", "code": "1"}, ("'code'",)),
    ({"on": "alert", "http_status": 99}, ("'http_status'",)),
    ({"on": "alert", "delay_s": -1}, ("'delay_s'",)),
    ({"on": "alert", "code": 1, "times": 0}, ("'times'",)),
    ({"on": "pickup", "code": 1}, ("'code'", "pickup")),
    ({"on": "webhook", "http_status": 200}, ("'http_status'", "webhook")),
    ({"on": "alert", "code": 1, "external_business_id": "nobody"}, ("'nobody'",)),
])
def test_a_bad_fault_is_refused_naming_the_field(sim: Client, body: dict[str, Any],
                                                words: tuple[str, ...]) -> None:
    status = 404 if "nobody" in json.dumps(body) else 400
    refused(sim.api("POST", "/_sim/faults", body), status, *words)
    assert data(sim.api("GET", "/_sim/faults")) == {"faults": []}


# --- who may call -----------------------------------------------------------------------------------------


def test_off_loopback_the_control_api_needs_the_webdav_credentials(tmp_path: Path) -> None:
    with running(tmp_path / "sim", host="0.0.0.0") as sim:
        url = f"http://127.0.0.1:{sim.server.port}"
        assert request("GET", url + "/_sim/health")[0] == 200
        for method, path in (("POST", "/_sim/reset"), ("GET", "/_sim/faults"), ("GET", "/_sim/products")):
            status, body = request(method, url + path)
            assert status == 401 and b"WebDAV user" in body, (path, status, body)
            wrong = basic_auth(sim.server.dav_user, "not-the-key")
            assert request(method, url + path, headers=wrong)[0] == 401
            good = basic_auth(sim.server.dav_user, sim.server.dav_password)
            assert request(method, url + path, headers=good)[0] == 200
