"""Fixtures and the steps every flow shares: a real simulator on a free port, and the real connector CLI.

Values pass from step to step as fixtures (`target_fixture`): `before` is the shop as the last acting
step found it, `edit` what the merchant changed in SFCC.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import Connector, Edit, ShopBefore, Sim, SiteEditor, new_jobs, remember_shop, synced
from pytest_bdd import given, parsers, then, when
from support.sfcc import PRODUCT_FOLDER

from simulator.server import SimServer


@pytest.fixture(autouse=True, params=["http", "https"])
def scheme(request: pytest.FixtureRequest) -> str:
    """Every scenario runs over both: SFCC's tools and the cartridge speak only https.

    Autouse, because pytest-bdd asks for step fixtures only at run time, too late to parametrize `sim`."""
    return request.param


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, SimServer]]:
    """One simulator per scheme for the whole run, each started when a scenario first needs it."""
    started: dict[str, SimServer] = {}
    yield started
    for server in started.values():
        server.stop()


@pytest.fixture
def sim(scheme: str, servers: dict[str, SimServer], tmp_path_factory: pytest.TempPathFactory) -> Sim:
    """The scheme's simulator, emptied through `POST /_sim/reset` (a QA engineer's way between scenarios)."""
    if scheme not in servers:
        servers[scheme] = SimServer(tmp_path_factory.mktemp(f"sim-{scheme}"), tls=scheme == "https")
        servers[scheme].start()
    sim = Sim(servers[scheme])
    sim.reset()
    return sim


@pytest.fixture
def connector(sim: Sim, tmp_path: Path) -> Connector:
    return Connector(sim, tmp_path / "connector-state")


@pytest.fixture
def site(connector: Connector, tmp_path: Path) -> SiteEditor:
    return SiteEditor(connector, tmp_path / "site")


@pytest.fixture
def edit() -> Edit:
    """Until a step edits the SFCC site, the merchant has changed nothing."""
    return Edit()


@given("a TikTok Shop simulator with its embedded SFCC WebDAV location", target_fixture="before")
def _simulator(sim: Sim) -> ShopBefore:
    assert sim.api("GET", "/_sim/health")[1]
    return remember_shop(sim)


@given(parsers.parse('the SFCC site "{site}" exported as the bundled fixtures'))
def _site(site: str, connector: Connector) -> None:
    assert all(path.is_file() for path in connector.catalogs + connector.pricebooks + connector.inventories)


@given("the connector has run a full sync", target_fixture="before")
def _full_sync_done(sim: Sim, connector: Connector) -> ShopBefore:
    connector.sync("--full")
    return remember_shop(sim)


@when("the connector runs a full sync", target_fixture="before")
def _full_sync(connector: Connector) -> ShopBefore:
    return synced(connector, "--full")


@given("the connector runs a delta sync", target_fixture="before")
@when("the connector runs a delta sync", target_fixture="before")
def _delta_sync(connector: Connector) -> ShopBefore:
    return synced(connector, "--delta")


@when("TikTok Shop is alerted again for the product folder", target_fixture="before")
def _alert_again(sim: Sim) -> ShopBefore:
    before = remember_shop(sim)
    answer = sim.alert("product", "update")
    assert answer["code"] == 0, answer
    return before


@then("the new job completes without picking up any file")
def _nothing_new(sim: Sim, before: ShopBefore) -> None:
    (job,) = new_jobs(sim, before)
    assert job["state"] == "completed", job
    assert job["files"] == [], job["files"]


@then("TikTok Shop was alerted with a delete alert and then an update alert for the product folder")
def _alerted_product(sim: Sim, before: ShopBefore) -> None:
    product_jobs = [j for j in new_jobs(sim, before) if j["feed_type"] == "product"]
    assert [j["update_type"] for j in product_jobs] == ["delete", "update"], product_jobs
    assert all(j["url"].endswith("/Impex/" + PRODUCT_FOLDER) for j in product_jobs)


@then("no product changes status")
@then("no other product changed status")
def _no_other_change(sim: Sim, before: ShopBefore, edit: Edit) -> None:
    sim.wait_all_jobs()
    now = {p["item_group_id"]: p["status"] for p in sim.products()}
    changed = {g: (before.statuses.get(g), s) for g, s in now.items()
               if before.statuses.get(g) != s and g not in edit.groups}
    assert not changed, f"unexpected status changes: {changed}"
