"""Product alerts end to end on a real server: pickup -> upload -> review -> publish, deletes, re-alerts."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.sfcc import PRODUCT_FOLDER
from support.simulator_client import Client, feed, row, running

STEPS = ["pickup", "upload", "review", "publish"]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    with running(tmp_path / "sim") as sim:
        yield sim


@pytest.mark.parametrize("quoted", [True, False], ids=["cartridge-quoted", "unquoted"])
def test_initial_feed_is_picked_up_reviewed_and_published(client: Client, quoted: bool) -> None:
    rows = [
        row(
            "TEE-S",
            "TEE",
            variation_properties='{"Size":"S"}',
            title='Tee "Classic" | Crew'.replace("|", " "),
        ),
        row("TEE-M", "TEE", variation_properties='{"Size":"M"}', is_default_variant="false"),
        row("MUG", "MUG", price="12.5 USD"),
    ]
    name = client.drop_feed(rows, quoted=quoted)
    job = client.run()
    assert job["state"] == "completed", job
    assert [s["name"] for s in job["steps"]] == STEPS
    assert job["files"] == [name]
    assert job["counts"]["records"] == 3 and job["counts"]["products"] == 2, job["counts"]
    tee = client.product("TEE")
    assert (tee["status"], tee["audit"]["status"]) == ("ACTIVATE", "APPROVED")
    assert tee["title"] == 'Tee "Classic"   Crew'
    assert tee["id"].isdigit() and all(s["id"].isdigit() for s in tee["skus"])
    assert sorted(s["seller_sku"] for s in tee["skus"]) == ["TEE-M", "TEE-S"]
    mug = client.product("MUG")
    assert mug["skus"][0]["price"] == {"currency": "USD", "sale_price": "12.5", "tax_exclusive_price": "12.5"}
    assert [h["status"] for h in mug["status_history"]] == ["PENDING", "ACTIVATE"]
    assert mug["history"][0]["file"] == name and "price" in mug["history"][0]["fields"]
    assert (client.server.data_dir / "uploads" / job["id"] / name).read_bytes() == feed(rows, quoted)


def test_new_products_get_their_ids_in_feed_order(client: Client) -> None:
    """The same feed gives the same product ids on every run and machine (not an order that changes with
    Python's hash seed), so a scenario or a report can name them."""
    groups = [f"G{n:02d}-{chr(65 + n % 26) * (n % 7 + 1)}" for n in range(40)]
    client.drop_feed([row(f"{group}-S", group) for group in groups])
    assert client.run()["state"] == "completed"
    ids = {product["item_group_id"]: int(product["id"]) for product in client.products()}
    assert sorted(ids, key=ids.__getitem__) == groups


def test_unknown_product_id_answers_tiktok_code(client: Client) -> None:
    for product_id in ("1729000000000000999", "abc"):
        answer = client.tiktok_product(product_id)
        assert answer["code"] == 12052032 and answer["data"] is None, answer


def test_temp_and_tracking_files_are_ignored(client: Client) -> None:
    client.dav("MKCOL", "src")
    client.drop(
        PRODUCT_FOLDER + "/tracking/RefArch", "feedtracker-20261126101010-en_US.txt", b"TEE-S,TEE-S|20\n"
    )
    client.drop(PRODUCT_FOLDER + "/tracking", "tiktok-feed-nested-en_US.txt", feed([row("NESTED", "NESTED")]))
    client.dav(
        "PUT",
        f"{PRODUCT_FOLDER}/TEMP_tiktok-feed-RefArch-20261126101010-en_US.txt",
        feed([row("HALF", "HALF")]),
    )
    client.dav("PUT", f"{PRODUCT_FOLDER}/notes.txt", b"hello")
    name = client.drop_feed([row("REAL", "REAL")])
    job = client.run()
    assert job["state"] == "completed" and job["files"] == [name], job
    assert [p["item_group_id"] for p in client.products()] == ["REAL"]


def test_nothing_new_completes_with_zero_files(client: Client) -> None:
    client.drop_feed([row("A", "A")])
    assert client.run()["state"] == "completed"
    again = client.run()
    assert again["state"] == "completed" and again["files"] == [] and again["counts"]["files_new"] == 0
    assert [s["name"] for s in again["steps"]] == STEPS


def test_missing_folder_fails_the_job_with_the_reason(client: Client) -> None:
    job = client.run()
    assert job["state"] == "failed" and "404" in job["error"] and PRODUCT_FOLDER in job["error"], job


def test_rule_breaking_product_fails_review_with_reasons(client: Client) -> None:
    name = client.drop_feed([row("GOOD", "GOOD"), row("BAD-1", "BAD", price="")])
    job = client.run()
    assert job["state"] == "completed" and job["counts"]["failed"] == 1 and job["counts"]["published"] == 1
    bad = client.product("BAD")
    assert (bad["status"], bad["audit"]["status"]) == ("FAILED", "FAILED")
    (reason,) = bad["audit_failed_reasons"]
    assert "BAD-1" in reason["position"] and "price" in reason["position"]
    assert reason["reasons"] and reason["suggestions"]
    (issue,) = [issue for issue in job["issues"] if issue["field"] == "price"]
    assert issue["count"] == 1 and issue["examples"][0] | {"message": ""} == {
        "file": name,
        "line": 3,
        "sku_id": "BAD-1",
        "item_group_id": "BAD",
        "value": issue["examples"][0]["value"],
        "message": "",
    }
    assert client.product("GOOD")["status"] == "ACTIVATE"


def test_unreadable_file_fails_the_job_applies_nothing_of_it_and_lets_others_through(client: Client) -> None:
    client.drop_feed([row("A", "A")])
    client.run()
    client.drop(PRODUCT_FOLDER, "tiktok-feed-RefArch-20261126999999-en_US.txt", b"\x00\x01binary")
    client.drop_feed([row("A", "A", title="Changed")])
    job = client.run()
    assert job["state"] == "failed" and "tiktok-feed-RefArch-20261126999999-en_US.txt:1" in job["error"], job
    assert client.product("A")["title"] == "Changed"
    assert client.run()["files"] == []  # recorded as failed: not fetched again while unchanged


def test_search_pages_with_a_cursor_and_filters_by_status(client: Client) -> None:
    rows = [row(f"S{i:02d}", f"G{i:02d}") for i in range(7)] + [row("X", "FAILS", title="")]
    client.drop_feed(rows)
    client.run()
    first = client.search(page_size=3)
    assert first["total_count"] == 8 and len(first["products"]) == 3 and first["next_page_token"]
    seen, token = [], ""
    while True:
        page = client.search(page_size=3, token=token)
        seen += [sku["seller_sku"] for p in page["products"] for sku in p["skus"]]
        if not (token := page["next_page_token"]):
            break
    assert sorted(seen) == sorted(r["sku_id"] for r in rows) and len(seen) == len(set(seen))
    failed = client.search({"status": "FAILED"})
    assert [p["skus"][0]["seller_sku"] for p in failed["products"]] == ["X"] and failed["total_count"] == 1
    assert client.search({"status": "ACTIVATE"})["total_count"] == 7
    for query in ({"page_size": "101"}, {"page_size": "0"}, {"page_size": "x"}, {},
                  {"page_size": "5", "page_token": "!!"}):
        _, answer = client.partner.post("/product/202312/products/search", {}, **query)
        assert answer["code"] in (12019108, 12019109), (query, answer)
    _, answer = client.partner.post("/product/202312/products/search", {"status": "NOPE"}, page_size="5")
    assert answer["code"] == 12052910 and "status" in answer["message"]


def test_restart_keeps_products_and_jobs(tmp_path: Path) -> None:
    with running(tmp_path / "sim", dav_user="u", dav_password="p") as first:
        first.drop_feed([row("KEEP", "KEEP")])
        job = first.run()
        before = first.product("KEEP")
    with running(tmp_path / "sim", dav_user="u", dav_password="p") as second:
        assert second.product("KEEP") == before
        assert [j["id"] for j in second.jobs()] == [job["id"]]
        again = second.run()
        assert again["state"] == "completed" and again["files"] == [], again


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_jobs_left_unfinished_are_requeued_on_restart(tmp_path: Path) -> None:
    port = free_port()  # a restarted `serve` keeps its --port, so the job's URL still works
    with running(tmp_path / "sim", port=port, dav_user="u", dav_password="p") as first:
        first.drop_feed([row("LATE", "LATE")])
        store = first.server.store
        job_id = store.create_job(
            "sfcc-sim-tenant", "product", "update", f"{first.server.dav_url}/{PRODUCT_FOLDER}"
        )
        store.save_job(job_id, state="running", steps=[{"name": "pickup", "at": "then"}])
        first.server.runner.stop()  # as if the process died before the worker got to the job
    with running(tmp_path / "sim", port=port, dav_user="u", dav_password="p") as second:
        job = second.wait_job(str(job_id))
        assert job["state"] == "completed" and job["report"]["requeued_after_restart"], job
        assert [s["name"] for s in job["steps"]] == STEPS
        assert second.product("LATE")["status"] == "ACTIVATE"


def test_realert_and_redelivery_are_idempotent(client: Client) -> None:
    rows = [
        row("A1", "A", variation_properties='{"Size":"1"}'),
        row("A2", "A", variation_properties='{"Size":"2"}', is_default_variant="false"),
    ]
    client.drop_feed(rows)
    client.run()
    before = client.product("A")
    assert client.run()["files"] == []
    client.drop_feed(rows)  # same rows again under a new name: uploaded, but no product goes back to review
    job = client.run()
    assert (
        job["counts"]["records"] == 2 and job["counts"]["unchanged"] == 2 and job["counts"]["products"] == 0
    )
    assert client.product("A")["status_history"] == before["status_history"]


def test_changed_sku_goes_back_to_review_and_history_names_the_file(client: Client) -> None:
    client.drop_feed([row("A1", "A"), row("B1", "B")])
    client.run()
    name = client.drop_feed([row("A1", "A", title="New title")])
    job = client.run()
    assert job["counts"]["products"] == 1
    product = client.product("A")
    assert product["title"] == "New title"
    assert [h["status"] for h in product["status_history"]] == ["PENDING", "ACTIVATE", "PENDING", "ACTIVATE"]
    assert product["history"][-1]["file"] == name and product["history"][-1]["fields"] == ["title"]
    assert len(client.product("B")["status_history"]) == 2
    client.drop_feed([row("A1", "A", title="New title", price="0 USD")])
    client.run()
    broken = client.product("A")
    assert broken["status"] == "FAILED" and "price" in broken["audit_failed_reasons"][0]["position"]


def test_files_are_taken_in_modification_order_not_name_order(client: Client) -> None:
    """12-hour clock names do not sort: the later file (smaller name) must win."""
    client.drop(
        PRODUCT_FOLDER, "tiktok-feed-RefArch-20261126115959-en_US.txt", feed([row("A", "A", title="Old")])
    )
    store = client.server.data_dir / "webdav" / "Impex" / PRODUCT_FOLDER
    older = store / "tiktok-feed-RefArch-20261126115959-en_US.txt"
    os.utime(older, (older.stat().st_mtime - 60, older.stat().st_mtime - 60))
    client.drop(
        PRODUCT_FOLDER, "tiktok-feed-RefArch-20261126010000-en_US.txt", feed([row("A", "A", title="New")])
    )
    job = client.run()
    assert job["files"] == [
        "tiktok-feed-RefArch-20261126115959-en_US.txt",
        "tiktok-feed-RefArch-20261126010000-en_US.txt",
    ]
    assert client.product("A")["title"] == "New"
    assert [h["fields"] for h in client.product("A")["history"]][-1] == ["title"]


def test_delete_feed_removes_skus_and_retires_empty_products(client: Client) -> None:
    client.drop_feed(
        [
            row("A1", "A"),
            row("A2", "A", is_default_variant="false", variation_properties='{"Size":"A2x"}'),
            row("B1", "B"),
        ]
    )
    client.run()
    client.drop(PRODUCT_FOLDER, "delete-feed-RefArch-20261126140000.txt", b"A2\nB1\nGHOST\n")
    client.drop(PRODUCT_FOLDER, "delete-feed-RefArch-20261126130000.txt", b"")
    job = client.run(update_type="delete")
    assert job["state"] == "completed", job
    assert [s["name"] for s in job["steps"]] == ["pickup", "upload", "delete"]
    assert sorted(job["files"]) == [
        "delete-feed-RefArch-20261126130000.txt",
        "delete-feed-RefArch-20261126140000.txt",
    ]
    assert job["counts"]["deleted"] == 2 and job["counts"]["unknown"] == 1
    (unknown,) = [i for i in job["issues"] if i["code"] == "DELETE_UNKNOWN_SKU"]
    assert unknown["examples"][0]["sku_id"] == "GHOST"
    a, b = client.product("A"), client.product("B")
    assert (a["status"], [s["seller_sku"] for s in a["skus"]]) == ("ACTIVATE", ["A1"])
    assert (b["status"], b["skus"]) == ("DELETED", [])
    assert [p["item_group_id"] for p in client.products("DELETED")] == ["B"]
    assert b["history"][-1]["fields"] == ["deleted"]
    assert client.run(update_type="delete")["files"] == []
    client.drop_feed([row("B1", "B")])  # a deleted SKU sent again comes back through review
    client.run()
    assert client.product("B")["status"] == "ACTIVATE"


def test_a_sku_repeated_in_a_file_is_reported_and_its_last_row_wins(client: Client) -> None:
    name = client.drop_feed([row("A1", "A", title="First"), row("B1", "B"), row("A1", "A", title="Second")])
    job = client.run()
    (repeat,) = [i for i in job["issues"] if i["code"] == "SKU_ID_DUPLICATE"]
    assert repeat["examples"] == [
        {
            "file": name,
            "line": 4,
            "sku_id": "A1",
            "item_group_id": "A",
            "value": "A1",
            "message": repeat["message"],
        }
    ]
    assert client.product("A")["title"] == "Second"


def test_a_product_left_pending_by_an_interrupted_job_is_reviewed_by_the_next(client: Client) -> None:
    client.drop_feed([row("A1", "A")])
    client.run()
    with client.server.store.transaction() as conn:  # as an apply that committed just before a crash
        conn.execute("UPDATE products SET status = 'PENDING', audit_status = 'AUDITING'")
    job = client.run()
    assert job["files"] == [] and job["counts"]["products"] == 1
    assert client.product("A")["status"] == "ACTIVATE"
