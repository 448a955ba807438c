"""A big site's sync stages its rows from two processes (the second half's lines and hashes made in a
worker): the feed, the delete feed, the tracker and the snapshot are byte for byte those of one process,
on a full sync and on the delta after it."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.connector_servers import AlertServer, DavServer, settings_for
from support.sfcc import PRODUCT_FOLDER

import connector.scratch
from connector.scan import SiteInputs
from connector.sync import Syncer
from fixtures.generate import generate

SITE = "RefArch"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    files, _ = generate(4000, tmp_path_factory.mktemp("site"), seed=11)
    return files


def changed_site(site: dict[str, Path], folder: Path) -> dict[str, Path]:
    """The site a day later: 60 prices changed and 3 products no longer assigned (deletes)."""
    folder.mkdir()
    changed = dict(site)
    prices = site["pricebook-list"].read_text(encoding="utf-8")
    changed["pricebook-list"] = folder / "pricebook-list.xml"
    changed["pricebook-list"].write_text(re.sub(r">(\d+)\.95<", r">\1.45<", prices, count=60),
                                         encoding="utf-8")
    storefront = site["catalog-storefront"].read_text(encoding="utf-8")
    changed["catalog-storefront"] = folder / "catalog-storefront.xml"
    changed["catalog-storefront"].write_text(re.sub(
        r'<category-assignment category-id="[^"]+" product-id="P0000001\d">.*?</category-assignment>', "",
        storefront, count=3, flags=re.DOTALL), encoding="utf-8")
    return changed


def inputs(files: dict[str, Path]) -> SiteInputs:
    return SiteInputs((files["catalog-master"], files["catalog-storefront"]),
                      (files["pricebook-list"], files["pricebook-sale"]), (files["inventory"],), SITE)


def sync_full_then_delta(days: tuple[dict[str, Path], dict[str, Path]], tmp: Path
                         ) -> tuple[list[tuple[list[bytes], list[str]]], list[tuple[str, ...]]]:
    """Each run's files (feed, delete feed, tracker) and summary lines, then the committed snapshot."""
    dav, alerts = DavServer(tmp / "impex"), AlertServer()
    runs = []
    try:
        for files, mode in zip(days, ("full", "delta"), strict=True):
            reported: list[str] = []
            syncer = Syncer(settings_for(dav, alerts, tmp / "state", SITE), log=lambda line: None,
                            report=reported.append)
            try:
                result = syncer.sync_products(inputs(files), mode)
            finally:
                syncer.close()
            folders = (PRODUCT_FOLDER, PRODUCT_FOLDER, f"{PRODUCT_FOLDER}/tracking/{SITE}")
            runs.append(([dav.file(f"{folder}/{name}").read_bytes()
                          for folder, name in zip(folders, result.files, strict=False)], reported))
    finally:
        dav.stop()
        alerts.stop()
    with sqlite3.connect(tmp / "state" / "snapshot.sqlite") as db:
        snapshot = db.execute("SELECT * FROM sku ORDER BY site, sku_id").fetchall()
    return runs, snapshot


def test_full_then_delta_sync_stage_the_same_rows_from_one_process_or_two(
    site: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    days = (site, changed_site(site, tmp_path / "day2"))
    workers: list[bool] = []
    real = connector.scratch.Background.__init__

    def recorded(self: connector.scratch.Background, function: Callable[..., Any], args: tuple[object, ...],
                 parallel: bool) -> None:
        workers.append(parallel and getattr(function, "__name__", "") == "write_rows_part")
        real(self, function, args, parallel)

    monkeypatch.setattr(connector.scratch.Background, "__init__", recorded)
    monkeypatch.setattr(connector.scratch, "PARALLEL_MIN_BYTES", 1 << 62)
    one = sync_full_then_delta(days, tmp_path / "one")
    assert not any(workers)
    monkeypatch.setattr(connector.scratch, "PARALLEL_MIN_BYTES", 0)
    two = sync_full_then_delta(days, tmp_path / "two")
    assert workers.count(True) == 2  # the rows of each run: really two processes
    assert two == one
    (full, _), (delta, _) = one[0]
    assert full[0].count(b"\n") == 4001
    assert 1 < delta[0].count(b"\n") < 200  # only the changed rows, with the header
    assert delta[1].count(b"\n") >= 3  # the unassigned products
    assert len(one[1]) > 3000
