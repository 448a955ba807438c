"""Steps for the initial catalog sync (onboarding): thin calls to the real connector and simulator."""

from __future__ import annotations

import csv
import io
from typing import Any

from conftest import PRODUCT_FOLDER, Sim, World, new_jobs, read_feed, remember_shop
from fixture_facts import CARTRIDGE_FEED, RULE_BREAKERS, SELLABLE_SKUS
from pytest_bdd import scenarios, then, when

scenarios("initial_catalog_sync.feature")


def product_feeds(sim: Sim) -> list[str]:
    return [n for n in sim.listing(PRODUCT_FOLDER) if n.startswith("tiktok-feed-")]


def finished_update_job(sim: Sim, world: World) -> dict[str, Any]:
    (job,) = [j for j in new_jobs(sim, world) if j["feed_type"] == "product" and j["update_type"] == "update"]
    assert job["state"] == "completed", job
    return job


@then("a full product feed was generated with the cartridge's header and one row per sellable SKU")
def _feed_generated(sim: Sim) -> None:
    (name,) = product_feeds(sim)
    assert sorted(row["sku_id"] for row in read_feed(sim, name)) == sorted(SELLABLE_SKUS)


@then("the feed was dropped in the WebDAV product folder under its final name, with no TEMP_ file left")
def _dropped(sim: Sim) -> None:
    names = sim.listing(PRODUCT_FOLDER)
    assert not [n for n in names if n.startswith("TEMP_")], names
    (feed,) = product_feeds(sim)
    assert feed.startswith("tiktok-feed-RefArch-") and feed.endswith("-en_US.txt"), feed
    assert [n for n in names if n.startswith("delete-feed-RefArch-")], names
    assert "tracking" in names


@then("TikTok Shop picked up the feed file from the alerted folder")
def _picked_up(sim: Sim, world: World) -> None:
    job = finished_update_job(sim, world)
    assert job["files"] == product_feeds(sim), job["files"]
    assert "pickup" in [step["name"] for step in job["steps"]]


@then("TikTok Shop uploaded every row of the feed")
def _uploaded(sim: Sim, world: World) -> None:
    job = finished_update_job(sim, world)
    assert job["counts"]["records"] == len(SELLABLE_SKUS), job["counts"]


@then("TikTok Shop reviewed every product")
def _reviewed(sim: Sim, world: World) -> None:
    job = finished_update_job(sim, world)
    names = [step["name"] for step in job["steps"]]
    assert names.index("pickup") < names.index("upload") < names.index("review") < names.index("publish")
    groups = {p["item_group_id"] for p in sim.products()}
    assert job["counts"]["products"] == len(groups), job["counts"]


@then("every product that passed review is published as ACTIVATE with audit status APPROVED")
def _published(sim: Sim) -> None:
    products = sim.products()
    published = [p for p in products if p["item_group_id"] not in RULE_BREAKERS]
    assert published and all(p["status"] == "ACTIVATE" for p in published), \
        [(p["item_group_id"], p["status"]) for p in published if p["status"] != "ACTIVATE"]
    assert all(sim.product(p["id"])["data"]["audit"]["status"] == "APPROVED" for p in published)
    skus = sorted(sku["seller_sku"] for p in products for sku in p["skus"])
    assert skus == sorted(SELLABLE_SKUS)


@then("the rule-breaking products are FAILED with audit status FAILED")
def _rule_breakers(sim: Sim, world: World) -> None:
    world.values["failed"] = {group: sim.product_by_group(group) for group in RULE_BREAKERS}
    for product in world.values["failed"].values():
        assert (product["status"], product["audit"]["status"]) == ("FAILED", "FAILED"), product


@then("their audit_failed_reasons name the SKU, the title and image_urls fields and what to do")
def _reasons(world: World) -> None:
    for group, field_name in (("HOME-RUG-LONG", "title"), ("HOME-MIRROR-NOIMG", "image_urls")):
        (reason,) = world.values["failed"][group]["audit_failed_reasons"]
        assert group in reason["position"] and field_name in reason["position"], reason
        assert reason["reasons"] and reason["suggestions"], reason


@then("the other products are still published")
def _others_published(sim: Sim) -> None:
    others = [p for p in sim.products() if p["item_group_id"] not in RULE_BREAKERS]
    assert others and all(p["status"] == "ACTIVATE" for p in others)


@when("a feed in the cartridge's own format is dropped in the product folder")
def _drop_cartridge_feed(sim: Sim, world: World) -> None:
    remember_shop(sim, world)
    sim.drop_product_feed(CARTRIDGE_FEED.name, CARTRIDGE_FEED.read_bytes())


@when("TikTok Shop is alerted for the product folder")
def _alert(sim: Sim) -> None:
    assert sim.alert("product", "update")["code"] == 0


@then("every product of that feed is published as ACTIVATE")
def _cartridge_published(sim: Sim, world: World) -> None:
    finished_update_job(sim, world)
    rows = list(csv.reader(io.StringIO(CARTRIDGE_FEED.read_text("utf-8")), delimiter="|"))[1:]
    for group in {row[9] for row in rows}:
        assert sim.product_by_group(group)["status"] == "ACTIVATE", group


@when("TikTok Shop is alerted for a folder on a host the tenant never registered")
def _alert_foreign(sim: Sim, world: World) -> None:
    remember_shop(sim, world)
    url = "http://sfcc-elsewhere.invalid/on/demandware.servlet/webdav/Sites/Impex/" + PRODUCT_FOLDER
    world.values["answer"] = sim.alert("product", "update", url=url)


@then("the alert is answered with a non-zero code that names the url")
def _refused(world: World) -> None:
    answer = world.values["answer"]
    assert answer["code"] != 0 and "url" in answer["message"], answer


@then("no job is recorded")
def _no_job(sim: Sim, world: World) -> None:
    assert len(sim.jobs()) == world.jobs_before

