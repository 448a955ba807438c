"""The bundled scenarios' steps: prepare the SFCC site, run the connector command, judge what reached TikTok.

`tiktok-sim conformance` runs this module with pytest-bdd; the settings (command, TLS, timeout) come from
the run's config stash. Each scenario gets the run's one simulator, emptied by `POST /_sim/reset`, a
fresh export folder and an empty connector state folder kept across the syncs within it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from simulator.conformance import judge
from simulator.conformance.judge import Sync, Violation
from simulator.conformance.runner import ConnectorRun, Contract, run_connector
from simulator.conformance.session import SimSession
from simulator.conformance.settings import SETTINGS, Settings
from simulator.conformance.site import LOCALE, SITE_ID, apply_edit_session, export_site, sellable_skus

scenarios("features")

MODES = {"a full": "full", "a delta": "delta", "an inventory": "inventory"}


@pytest.fixture(scope="session")
def settings(request: pytest.FixtureRequest) -> Settings:
    return request.config.stash[SETTINGS]


@pytest.fixture(scope="session")
def session(settings: Settings) -> Iterator[SimSession]:
    """One simulator for the whole run, over https when --tls."""
    with SimSession(tls=settings.tls) as started:
        yield started


@dataclass
class World:
    """One scenario's site, connector state and the last sync as the simulator saw it."""

    session: SimSession
    settings: Settings
    export_dir: Path
    state_dir: Path
    site_catalog: Path | None = None
    sync: Sync | None = None
    jobs: list[dict[str, Any]] = field(default_factory=list)  # the last sync's, oldest first
    runs: list[ConnectorRun] = field(default_factory=list)

    def contract(self, mode: str) -> Contract:
        server = self.session.server
        return Contract(export_dir=self.export_dir, site_catalog=self.site_catalog, instance=server.base_url,
                        user=server.dav_user, password=server.dav_password, tiktok_url=server.base_url,
                        state_dir=self.state_dir, mode=mode, ca_file=server.ca_path, site_id=SITE_ID,
                        locale=LOCALE, external_business_id=server.external_business_id)

    def run(self, mode: str) -> None:
        """Run the connector once and wait for the jobs its alerts started to finish."""
        mark, known_jobs = self.session.journal_mark(), len(self.session.jobs())
        run = run_connector(self.settings.command, self.contract(mode), self.settings.timeout_s)
        self.runs.append(run)
        if not run.ok:
            raise Violation("connector-exit", f"the {mode} sync failed: {run.describe()}")
        self.jobs = self.session.settled_jobs()[known_jobs:]
        self.sync = Sync(self.session.journal(since=mark), self.session.dav_url, mode)

    def read(self, relpath: str) -> bytes:
        status, body = self.session.dav("GET", relpath)
        if status != 200:
            raise AssertionError(f"GET `{relpath}` over WebDAV answered {status}")
        return body


@pytest.fixture
def world(session: SimSession, settings: Settings, tmp_path: Path) -> World:
    session.reset()
    state_dir = tmp_path / "connector-state"
    state_dir.mkdir()
    return World(session, settings, tmp_path / "sfcc-export", state_dir)


@given(parsers.parse('the SFCC site "{site}" exported as the bundled fixtures'))
def _site(world: World, site: str) -> None:
    assert site == SITE_ID, f"the bundled fixtures are site {SITE_ID}, not {site}"
    world.site_catalog = export_site(world.export_dir)


@given("the connector has run a full sync")
def _full_sync_done(world: World) -> None:
    """The starting point of a later sync; only that it left products is checked here (the initial
    catalog sync scenario judges the full sync itself)."""
    world.run("full")
    if not world.session.products():
        raise Violation("shop-outcome", "the full sync this scenario starts from left no product on TikTok "
                        f"Shop; its jobs: {[(j['id'], j['feed_type'], j['state']) for j in world.jobs]}")


@when(parsers.re(r"the connector runs (?P<which>a full|a delta|an inventory) sync"))
def _sync(world: World, which: str) -> None:
    world.run(MODES[which])


@when(parsers.parse('the merchant renames "{renamed}", adds "{added}" and removes "{removed}" in SFCC'))
def _edit_session(world: World) -> None:
    apply_edit_session(world.export_dir)


@then("every file was written in its documented folder")
def _folders(world: World) -> None:
    judge.check_folders(world.sync)


@then(parsers.parse("the {kind} file was PUT as TEMP_ and then MOVEd into place"))
def _temp_then_move(world: World, kind: str) -> None:
    judge.check_temp_then_move(world.sync, [kind])


@then("the product feed starts with the documented header")
def _header(world: World) -> None:
    judge.check_header(world.sync, _first_line(world))


def _first_line(world: World) -> Callable[[str], str]:
    """Reads a dropped file's first line back over WebDAV, exactly as stored (a BOM or CR stays)."""
    return lambda path: world.read(path).split(b"\n", 1)[0].decode("utf-8", "replace")


@then("a delete feed was dropped and a delete alert sent")
def _delete_feed(world: World) -> None:
    judge.check_delete_feed(world.sync)


@then("the delete alert came before the update alert")
def _order(world: World) -> None:
    judge.check_alert_order(world.sync)


@then("every alert was sent after its files were in place")
def _alerts_follow(world: World) -> None:
    judge.check_alerts_follow_files(world.sync, world.session.external_business_id)


@then("the inventory records name only products the SFCC site defines")
def _known_skus(world: World) -> None:
    known: set[str] = set()
    for catalog in world.export_dir.glob("catalog-*.xml"):
        known |= judge.catalog_product_ids(catalog.read_bytes())
    judge.check_known_skus(world.sync, world.read, known)


@then("TikTok Shop completed every job of the sync")
def _jobs(world: World) -> None:
    if not world.jobs:
        raise Violation("shop-outcome", "the sync started no job on TikTok Shop")
    failed = [j for j in world.jobs if j["state"] != "completed"]
    if failed:
        shown = "; ".join(f"job {j['id']} ({j['feed_type']}/{j['update_type']}) {j['state']}: "
                          f"{j.get('error') or j.get('issues', '')}" for j in failed)
        raise Violation("shop-outcome", f"jobs that did not complete: {shown}")


def _statuses(world: World, groups: bool = False) -> dict[str, str]:
    """Each SKU's product status on TikTok Shop; with `groups`, each item_group_id's too (a deleted
    product keeps its item_group_id but no longer lists the SKUs it lost)."""
    products = world.session.products()
    found = {p["item_group_id"]: p["status"] for p in products} if groups else {}
    return found | {sku["seller_sku"]: p["status"] for p in products for sku in p["skus"]}


@then(parsers.re(r'every sellable SKU of the site is on TikTok Shop, ACTIVATE but for the rule breakers '
                 r'(?P<breakers>.+), which are FAILED'))
def _published(world: World, breakers: str) -> None:
    failing = set(breakers.replace('"', "").replace(" and ", ",").replace(" ", "").split(","))
    expected = {sku: "FAILED" if sku in failing else "ACTIVATE" for sku in sellable_skus()}
    shown = _statuses(world)
    wrong = {sku: (want, shown.get(sku, "absent")) for sku, want in expected.items()
             if shown.get(sku) != want}
    extra = sorted(set(shown) - set(expected))
    if wrong or extra:
        raise Violation("shop-outcome", f"SKUs not as expected (SKU: expected, shown): {wrong}; "
                        f"SKUs the site does not sell: {extra}")


@then(parsers.parse('"{sku}" is {status} on TikTok Shop'))
def _status(world: World, sku: str, status: str) -> None:
    shown = _statuses(world, groups=True).get(sku, "absent")
    if shown != status:
        raise Violation("shop-outcome", f"{sku} is {shown} on TikTok Shop; expected {status}")


@then("TikTok Shop applied the stock of the inventory file")
def _stock(world: World) -> None:
    inventory = [j for j in world.jobs if j["feed_type"] == "inventory"]
    applied = sum(j.get("counts", {}).get("applied", 0) for j in inventory)
    if not applied:
        raise Violation("shop-outcome", f"no inventory job applied any stock; jobs: "
                        f"{[(j['id'], j['state'], j.get('counts')) for j in inventory]}")
