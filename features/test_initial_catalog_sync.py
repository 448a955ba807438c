"""Steps for the initial catalog sync (onboarding): thin calls to the real connector and simulator."""

from __future__ import annotations

import csv
import io
from typing import Any

from fixture_facts import CARTRIDGE_FEED, RULE_BREAKERS, SELLABLE_SKUS
from harness import ShopBefore, Sim, read_feed, remember_shop, update_job
from pytest_bdd import scenarios, then, when
from support.sfcc import PRODUCT_FOLDER

scenarios("initial_catalog_sync.feature")


def product_feeds(sim: Sim) -> list[str]:
    return [n for n in sim.listing(PRODUCT_FOLDER) if n.startswith("tiktok-feed-")]


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
def _picked_up(sim: Sim, before: ShopBefore) -> None:
    job = update_job(sim, before)
    assert job["files"] == product_feeds(sim), job["files"]
    assert "pickup" in [step["name"] for step in job["steps"]]


@then("TikTok Shop uploaded every row of the feed")
def _uploaded(sim: Sim, before: ShopBefore) -> None:
    job = update_job(sim, before)
    assert job["counts"]["records"] == len(SELLABLE_SKUS), job["counts"]


@then("TikTok Shop reviewed every product")
def _reviewed(sim: Sim, before: ShopBefore) -> None:
    job = update_job(sim, before)
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
    tiktok = [sim.tiktok_product(p["id"])["data"] for p in published]  # as a signed TikTok client reads
    assert all((t["status"], t["audit"]["status"]) == ("ACTIVATE", "APPROVED") for t in tiktok)
    skus = sorted(sku["seller_sku"] for p in products for sku in p["skus"])
    assert skus == sorted(SELLABLE_SKUS)


@then("the rule-breaking products are FAILED with audit status FAILED", target_fixture="failed")
def _rule_breakers(sim: Sim) -> dict[str, dict[str, Any]]:
    failed = {group: sim.product(group) for group in RULE_BREAKERS}
    for product in failed.values():
        assert (product["status"], product["audit"]["status"]) == ("FAILED", "FAILED"), product
    return failed


@then("their audit_failed_reasons name the SKU, the title and image_urls fields and what to do")
def _reasons(failed: dict[str, dict[str, Any]]) -> None:
    for group, field_name in (("HOME-RUG-LONG", "title"), ("HOME-MIRROR-NOIMG", "image_urls")):
        (reason,) = failed[group]["audit_failed_reasons"]
        assert group in reason["position"] and field_name in reason["position"], reason
        assert reason["reasons"] and reason["suggestions"], reason


@then("the other products are still published")
def _others_published(sim: Sim) -> None:
    others = [p for p in sim.products() if p["item_group_id"] not in RULE_BREAKERS]
    assert others and all(p["status"] == "ACTIVATE" for p in others)


@when("a feed in the cartridge's own format is dropped in the product folder", target_fixture="before")
def _drop_cartridge_feed(sim: Sim) -> ShopBefore:
    before = remember_shop(sim)
    sim.drop(PRODUCT_FOLDER, CARTRIDGE_FEED.name, CARTRIDGE_FEED.read_bytes())
    return before


@when("TikTok Shop is alerted for the product folder")
def _alert(sim: Sim) -> None:
    assert sim.alert("product", "update")["code"] == 0


@then("every product of that feed is published as ACTIVATE")
def _cartridge_published(sim: Sim, before: ShopBefore) -> None:
    update_job(sim, before)
    rows = list(csv.reader(io.StringIO(CARTRIDGE_FEED.read_text("utf-8")), delimiter="|"))[1:]
    for group in {row[9] for row in rows}:
        assert sim.product(group)["status"] == "ACTIVATE", group


@when("TikTok Shop is alerted for a folder on a host the tenant never registered",
      target_fixture="alert_answer")
def _alert_foreign(sim: Sim) -> dict[str, Any]:
    url = "http://sfcc-elsewhere.invalid/on/demandware.servlet/webdav/Sites/Impex/" + PRODUCT_FOLDER
    return sim.alert("product", "update", url=url)


@then("the alert is answered with a non-zero code that names the url")
def _refused(alert_answer: dict[str, Any]) -> None:
    assert alert_answer["code"] != 0 and "url" in alert_answer["message"], alert_answer


@then("no job is recorded")
def _no_job(sim: Sim, before: ShopBefore) -> None:
    assert len(sim.jobs()) == before.jobs
