"""Steps for the inventory sync: inventory feeds verified for accuracy and completeness, then integrated."""

from __future__ import annotations

import itertools
from typing import Any

from fixture_facts import INVENTORY_LIST, INVENTORY_RECORDS, SELLABLE_SKUS, expected_quantities
from harness import Connector, ShopBefore, Sim, new_files, new_jobs, remember_shop, synced
from pytest_bdd import given, parsers, scenarios, then, when
from support.sfcc import INVENTORY_FOLDER, inventory_xml

scenarios("inventory_sync.feature")

UNKNOWN_SKU = "NO-SUCH-SKU-42"
LEFT_OUT = SELLABLE_SKUS[0]  # the live SKU a feed that leaves one out leaves out
_names = itertools.count(1)


def quantities(products: list[dict[str, Any]]) -> dict[str, int | None]:
    """Each SKU's stock in the INVENTORY_LIST warehouse, as the product API shows it."""
    found: dict[str, int | None] = {}
    for product in products:
        for sku in product["skus"]:
            stock = [inv["quantity"] for inv in sku["inventory"] if inv["warehouse_id"] == INVENTORY_LIST]
            found[sku["seller_sku"]] = stock[0] if stock else None
    return found


def sku_for(who: str) -> str:
    """The SKU a step means by "a live SKU" or "an unknown SKU"."""
    return UNKNOWN_SKU if who.strip() == "an unknown SKU" else SELLABLE_SKUS[0]


def drop_and_alert(sim: Sim, data: bytes) -> ShopBefore:
    before = remember_shop(sim)
    sim.drop(INVENTORY_FOLDER, f"inventory-RefArch-20261126{next(_names):09d}.xml", data)
    assert sim.alert("inventory", "create")["code"] == 0
    return before


def inventory_job(sim: Sim, before: ShopBefore) -> dict[str, Any]:
    (job,) = [j for j in new_jobs(sim, before) if j["feed_type"] == "inventory"]
    return job


def inventory_file(sim: Sim, before: ShopBefore) -> str:
    """The one inventory feed dropped since `before`."""
    names = new_files(sim, before, INVENTORY_FOLDER)
    assert len(names) == 1 and names[0].startswith("inventory") and names[0].endswith(".xml"), names
    return names[0]


RECORDS = {
    "ats 7": "<allocation>5</allocation><ats>7</ats>",
    "allocation 5 and no ats": "<allocation>5</allocation>",
    "perpetual": "<allocation>0</allocation><perpetual>true</perpetual>",
    "ats 250000": "<allocation>250000</allocation><ats>250000</ats>",
    "ats -3": "<allocation>0</allocation><ats>-3</ats>",
    "ats 4": "<allocation>4</allocation><ats>4</ats>",
}


@given("the connector has run an inventory sync", target_fixture="before")
@when("the connector runs an inventory sync", target_fixture="before")
def _inventory_sync(connector: Connector) -> ShopBefore:
    return synced(connector, "--inventory-only")


@then("an inventory feed was dropped in the WebDAV inventory folder under its final name")
def _inventory_dropped(sim: Sim, before: ShopBefore) -> None:
    assert inventory_file(sim, before)


@then("TikTok Shop was alerted with an inventory create alert for the inventory folder")
def _inventory_alerted(sim: Sim, before: ShopBefore) -> None:
    job = inventory_job(sim, before)
    assert (job["update_type"], job["url"].endswith("/Impex/" + INVENTORY_FOLDER)) == ("create", True), job


@then("TikTok Shop picked up and uploaded the inventory feed")
def _inventory_uploaded(sim: Sim, before: ShopBefore) -> None:
    job = inventory_job(sim, before)
    assert job["files"] == [inventory_file(sim, before)], job
    assert [s["name"] for s in job["steps"]][:2] == ["pickup", "upload"], job["steps"]


@then("TikTok Shop verified the inventory for accuracy and completeness")
def _verified(sim: Sim, before: ShopBefore) -> None:
    job = inventory_job(sim, before)
    assert "verify" in [s["name"] for s in job["steps"]], job["steps"]
    report = job["report"]
    assert report["read"] == len(INVENTORY_RECORDS) and report["missing"] == 0, report
    unknown = [sku for _, sku in INVENTORY_RECORDS if sku not in SELLABLE_SKUS]
    assert report["unknown"] == len(unknown) > 0, report


@then("TikTok Shop integrated the inventory into the listings")
def _integrated(sim: Sim, before: ShopBefore) -> None:
    job = inventory_job(sim, before)
    assert job["state"] == "completed" and [s["name"] for s in job["steps"]][-1] == "integrate", job
    report = job["report"]
    assert report["applied"] == report["read"] - report["unknown"], report


@then("every known SKU's quantity in the product API equals the inventory file's")
def _quantities_match(sim: Sim) -> None:
    shown = quantities(sim.products())
    expected = expected_quantities()
    assert {sku: shown.get(sku) for sku in expected} == expected


@when(parsers.parse(
    "an inventory feed with a record for {who} of {record} is dropped and TikTok Shop is alerted"),
    target_fixture="before")
def _drop_record(sim: Sim, who: str, record: str) -> ShopBefore:
    return drop_and_alert(sim, inventory_xml([(sku_for(who), RECORDS[record])], INVENTORY_LIST))


@then("the inventory job completes")
def _job_completes(sim: Sim, before: ShopBefore) -> None:
    job = inventory_job(sim, before)
    assert job["state"] == "completed", job


@then(parsers.parse("the job's report counts {count:d} as {counter}"))
def _report_counts(sim: Sim, before: ShopBefore, count: int, counter: str) -> None:
    report = inventory_job(sim, before)["report"]
    assert report[counter] == count, report


@then(parsers.parse("{who} shows a quantity of {quantity}"))
def _shows_quantity(sim: Sim, before: ShopBefore, who: str, quantity: str) -> None:
    shown = quantities(sim.products())
    sku = sku_for(who)
    if quantity == "absent":
        assert sku not in shown
    elif quantity == "unchanged":
        assert shown[sku] == quantities(before.products)[sku]
    else:
        assert shown[sku] == int(quantity), (sku, shown[sku])


@when("an inventory feed that leaves out one live SKU is dropped and TikTok Shop is alerted",
      target_fixture="before")
def _leave_one_out(sim: Sim) -> ShopBefore:
    kept = [(sku, "<allocation>3</allocation>") for sku in sorted(SELLABLE_SKUS) if sku != LEFT_OUT]
    return drop_and_alert(sim, inventory_xml(kept, INVENTORY_LIST))


@then("the job's report counts the missing SKU with it as an example")
def _missing_reported(sim: Sim, before: ShopBefore) -> None:
    report = inventory_job(sim, before)["report"]
    assert report["missing"] == 1 and LEFT_OUT in str(report["examples"]["missing"]), report


@then("the missing SKU keeps its previous quantity")
def _missing_kept(sim: Sim, before: ShopBefore) -> None:
    assert quantities(sim.products())[LEFT_OUT] == quantities(before.products)[LEFT_OUT]


@when("a truncated inventory feed is dropped and TikTok Shop is alerted", target_fixture="before")
def _truncated(sim: Sim) -> ShopBefore:
    records = [(sku, "<allocation>1</allocation>") for sku in sorted(SELLABLE_SKUS)]
    whole = inventory_xml(records, INVENTORY_LIST)
    return drop_and_alert(sim, whole[: len(whole) - 60])


@then("the inventory job fails with a reason naming the file")
def _job_fails(sim: Sim, before: ShopBefore) -> None:
    job = inventory_job(sim, before)
    assert job["state"] == "failed" and inventory_file(sim, before) in job["error"], job


@then("every quantity is as it was")
def _unchanged(sim: Sim, before: ShopBefore) -> None:
    assert quantities(sim.products()) == quantities(before.products)
