"""Steps for the inventory sync: inventory feeds verified for accuracy and completeness, then integrated."""

from __future__ import annotations

import itertools
from typing import Any

from conftest import INVENTORY_FOLDER, Connector, Sim, World, new_jobs, remember_shop
from fixture_facts import INVENTORY_LIST, INVENTORY_RECORDS, SELLABLE_SKUS, expected_quantities
from pytest_bdd import given, parsers, scenarios, then, when

scenarios("inventory_sync.feature")

INVENTORY_NS = "http://www.demandware.com/xml/impex/inventory/2007-05-31"
UNKNOWN_SKU = "NO-SUCH-SKU-42"
_names = itertools.count(1)


def quantities(sim: Sim) -> dict[str, int | None]:
    """Each SKU's stock in the INVENTORY_LIST warehouse, as the product API shows it."""
    found: dict[str, int | None] = {}
    for product in sim.products():
        for sku in product["skus"]:
            stock = [inv["quantity"] for inv in sku["inventory"] if inv["warehouse_id"] == INVENTORY_LIST]
            found[sku["seller_sku"]] = stock[0] if stock else None
    return found


def inventory_xml(records: list[str]) -> bytes:
    body = "\n".join(f'      <record product-id="{sku}">{inner}</record>' for sku, inner in records)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<inventory xmlns="{INVENTORY_NS}">\n'
            f'  <inventory-list>\n    <header list-id="{INVENTORY_LIST}">'
            f"<default-instock>false</default-instock></header>\n    <records>\n{body}\n"
            "    </records>\n  </inventory-list>\n</inventory>\n").encode()


def drop_and_alert(sim: Sim, world: World, data: bytes) -> None:
    remember_shop(sim, world)
    world.values["quantities_before"] = quantities(sim)
    name = f"inventory-RefArch-20261126{next(_names):09d}.xml"
    world.values["inventory_file"] = name
    sim.drop_file(INVENTORY_FOLDER, name, data)
    assert sim.alert("inventory", "create")["code"] == 0


def inventory_job(sim: Sim, world: World) -> dict[str, Any]:
    (job,) = [j for j in new_jobs(sim, world) if j["feed_type"] == "inventory"]
    return job


RECORDS = {
    "ats 7": "<allocation>5</allocation><ats>7</ats>",
    "allocation 5 and no ats": "<allocation>5</allocation>",
    "perpetual": "<allocation>0</allocation><perpetual>true</perpetual>",
    "ats 250000": "<allocation>250000</allocation><ats>250000</ats>",
    "ats -3": "<allocation>0</allocation><ats>-3</ats>",
    "ats 4": "<allocation>4</allocation><ats>4</ats>",
}


@given("the connector has run an inventory sync")
@when("the connector runs an inventory sync")
def _inventory_sync(sim: Sim, connector: Connector, world: World) -> None:
    remember_shop(sim, world)
    connector.sync("--inventory-only")


@then("an inventory feed was dropped in the WebDAV inventory folder under its final name")
def _inventory_dropped(sim: Sim, world: World) -> None:
    names = [n for n in sim.listing(INVENTORY_FOLDER) if n not in world.files_before]
    assert len(names) == 1 and names[0].startswith("inventory") and names[0].endswith(".xml"), names
    world.values["inventory_file"] = names[0]


@then("TikTok Shop was alerted with an inventory create alert for the inventory folder")
def _inventory_alerted(sim: Sim, world: World) -> None:
    job = inventory_job(sim, world)
    assert (job["update_type"], job["url"].endswith("/Impex/" + INVENTORY_FOLDER)) == ("create", True), job


@then("TikTok Shop picked up and uploaded the inventory feed")
def _inventory_uploaded(sim: Sim, world: World) -> None:
    job = inventory_job(sim, world)
    assert job["files"] == [world.values["inventory_file"]], job
    assert [s["name"] for s in job["steps"]][:2] == ["pickup", "upload"], job["steps"]


@then("TikTok Shop verified the inventory for accuracy and completeness")
def _verified(sim: Sim, world: World) -> None:
    job = inventory_job(sim, world)
    assert "verify" in [s["name"] for s in job["steps"]], job["steps"]
    report = job["report"]
    assert report["read"] == len(INVENTORY_RECORDS) and report["missing"] == 0, report
    unknown = [sku for _, sku in INVENTORY_RECORDS if sku not in SELLABLE_SKUS]
    assert report["unknown"] == len(unknown) > 0, report


@then("TikTok Shop integrated the inventory into the listings")
def _integrated(sim: Sim, world: World) -> None:
    job = inventory_job(sim, world)
    assert job["state"] == "completed" and [s["name"] for s in job["steps"]][-1] == "integrate", job
    report = job["report"]
    assert report["applied"] == report["read"] - report["unknown"], report


@then("every known SKU's quantity in the product API equals the inventory file's")
def _quantities_match(sim: Sim) -> None:
    shown = quantities(sim)
    expected = expected_quantities()
    assert {sku: shown.get(sku) for sku in expected} == expected


@when(parsers.parse(
    "an inventory feed with a record for {who} of {record} is dropped and TikTok Shop is alerted"))
def _drop_record(sim: Sim, world: World, who: str, record: str) -> None:
    sku = UNKNOWN_SKU if who.strip() == "an unknown SKU" else SELLABLE_SKUS[0]
    world.values["sku"] = sku
    drop_and_alert(sim, world, inventory_xml([(sku, RECORDS[record])]))


@then("the inventory job completes")
def _job_completes(sim: Sim, world: World) -> None:
    job = inventory_job(sim, world)
    assert job["state"] == "completed", job


@then(parsers.parse("the job's report counts {count:d} as {counter}"))
def _report_counts(sim: Sim, world: World, count: int, counter: str) -> None:
    report = inventory_job(sim, world)["report"]
    assert report[counter] == count, report


@then(parsers.parse("{who} shows a quantity of {quantity}"))
def _shows_quantity(sim: Sim, world: World, quantity: str) -> None:
    shown = quantities(sim)
    sku = world.values["sku"]
    if quantity == "absent":
        assert sku not in shown
    elif quantity == "unchanged":
        assert shown[sku] == world.values["quantities_before"][sku]
    else:
        assert shown[sku] == int(quantity), (sku, shown[sku])


@when("an inventory feed that leaves out one live SKU is dropped and TikTok Shop is alerted")
def _leave_one_out(sim: Sim, world: World) -> None:
    missing, *kept = SELLABLE_SKUS
    world.values["sku"] = missing
    drop_and_alert(sim, world, inventory_xml([(sku, "<allocation>3</allocation>") for sku in sorted(kept)]))


@then("the job's report counts the missing SKU with it as an example")
def _missing_reported(sim: Sim, world: World) -> None:
    report = inventory_job(sim, world)["report"]
    assert report["missing"] == 1 and world.values["sku"] in str(report["examples"]["missing"]), report


@then("the missing SKU keeps its previous quantity")
def _missing_kept(sim: Sim, world: World) -> None:
    sku = world.values["sku"]
    assert quantities(sim)[sku] == world.values["quantities_before"][sku]


@when("a truncated inventory feed is dropped and TikTok Shop is alerted")
def _truncated(sim: Sim, world: World) -> None:
    whole = inventory_xml([(sku, "<allocation>1</allocation>") for sku in sorted(SELLABLE_SKUS)])
    drop_and_alert(sim, world, whole[: len(whole) - 60])


@then("the inventory job fails with a reason naming the file")
def _job_fails(sim: Sim, world: World) -> None:
    job = inventory_job(sim, world)
    assert job["state"] == "failed" and world.values["inventory_file"] in job["error"], job


@then("every quantity is as it was")
def _unchanged(sim: Sim, world: World) -> None:
    assert quantities(sim) == world.values["quantities_before"]
