"""A large review hands products to the worker processes while its transaction is still moving the rest to
PENDING: the shop and the job's report come out exactly as when the job's own thread checks everything,
and a failure inside that transaction leaves the shop as it was, so running the job again gives the clean
run's state."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.simulator_client import feed, row

from simulator import review as review_step
from simulator import shop
from simulator.flows import FLOWS
from simulator.job import JobContext, PickedFile
from simulator.publish import publish
from simulator.review import PARALLEL_AT, Batch, Checked, review
from simulator.store import Store
from simulator.tenant import DEFAULT_TENANT_ID, Tenant
from simulator.upload import upload_product_feeds
from simulator.workers import InOrder, WorkerPool

VARIANTS = 4
PRODUCTS = PARALLEL_AT + 1000  # five batches of products: more than the workers take at once
DEFECTS = ({}, {"price": "0 USD"}, {"image_urls": '{"images":[]}'}, {"description": ""},
           {"title": "SALE 50% off"}, {"is_default_variant": "false"})


def _first_feed() -> list[dict[str, str]]:
    rows = []
    for p in range(PRODUCTS):
        group = f"G{p:05d}"
        for v in range(VARIANTS):
            defect = DEFECTS[p % len(DEFECTS)] if v == 0 else {}
            values = {"is_default_variant": str(v == 0).lower(), **defect}
            rows.append(row(f"{group}-{v}", group, variation_properties=f'{{"Size":"{v}"}}', **values))
    # the first product gets a last SKU at the end of the file: it is complete only once every row is stored
    rows.append(row("G00000-9", "G00000", variation_properties='{"Size":"9"}', is_default_variant="false"))
    return rows


def _second_feed() -> list[dict[str, str]]:
    """Every product changed; SKUs moved to another product, which then has too many, and one product left
    without SKUs."""
    rows = []
    for r in _first_feed():
        changed = {**r, "price": "21 USD"}
        if r["item_group_id"] == "G00002" or r["sku_id"].endswith("-3") and r["item_group_id"] < "G00100":
            changed["item_group_id"] = "G00001"
            changed["variation_properties"] = f'{{"Size":"{r["sku_id"]}"}}'
        rows.append(changed)
    return rows


def _state(store: Store) -> dict[str, list[Any]]:
    """The shop as tables, without times (they differ between runs)."""
    conn = sqlite3.connect(store.directory / "shop.sqlite3")
    try:
        return {
            "products": conn.execute("SELECT id, item_group_id, title, status, audit_status,"
                                     " audit_failed_reasons, warnings FROM products ORDER BY id").fetchall(),
            "skus": conn.execute("SELECT id, sku_id, item_group_id, line, file, row_values, deleted FROM skus"
                                 " ORDER BY id").fetchall(),
            "history": conn.execute("SELECT id, item_group_id, job_id, file, change FROM history"
                                    " ORDER BY id").fetchall(),
            "statuses": conn.execute("SELECT id, item_group_id, status, audit_status, job_id"
                                     " FROM status_history ORDER BY id").fetchall(),
            "files": conn.execute("SELECT href, size, job_id, failure FROM processed_files"
                                  " ORDER BY rowid").fetchall(),
        }
    finally:
        conn.close()


class _Shop:
    """A store with the default tenant, whose product jobs run their steps in this process."""

    def __init__(self, directory: Path, workers: WorkerPool | None) -> None:
        directory.mkdir()
        self.directory = directory
        self.store = Store(directory)
        self.tenant = Tenant(DEFAULT_TENANT_ID, "http://127.0.0.1:9", "u", "p")
        self.store.put_tenant(self.tenant)
        self.workers = workers

    def run(self, name: str, rows: list[dict[str, str]]) -> dict[str, Any]:
        """One update job over a feed file; returns its counts and issues."""
        path = self.directory / name
        path.write_bytes(feed(rows))
        job_id = self.store.create_job(self.tenant.id, "product", "update", "url")
        picked = PickedFile(name, f"/feeds/{name}", path.stat().st_size, None, path)
        ctx = JobContext(self.store, job_id, self.tenant, FLOWS[("product", "update")], "url",
                         self.directory / "work", files=[picked], workers=self.workers)
        try:
            for step in (upload_product_feeds, review, publish):
                step(ctx)
        finally:
            self.store.clear_job_scratch(job_id)
        return {"counts": ctx.counts, "issues": ctx.issues.groups()}


class _Watched(WorkerPool):
    """A pool that notes, for each batch handed over, whether the review's transaction was still open."""

    def __init__(self, store: Callable[[], Store]) -> None:
        super().__init__()
        self.store = store
        self.inside: list[bool] = []

    def in_order(self, work: Callable[[Batch], Checked]) -> InOrder[Batch, Checked]:
        handed = super().in_order(work)
        put = handed.put

        def noting(chunk: Batch) -> None:
            self.inside.append(self.store().connection().in_transaction)
            put(chunk)

        handed.put = noting  # type: ignore[method-assign]
        return handed


def test_overlapped_review_gives_the_same_shop_and_reports_as_the_job_thread(tmp_path: Path) -> None:
    alone = _Shop(tmp_path / "alone", None)
    expected = [alone.run("tiktok-feed-1.txt", _first_feed()), alone.run("tiktok-feed-2.txt", _second_feed())]
    pool = _Watched(lambda: overlapped.store)
    try:
        overlapped = _Shop(tmp_path / "overlapped", pool)
        found = [overlapped.run("tiktok-feed-1.txt", _first_feed()),
                 overlapped.run("tiktok-feed-2.txt", _second_feed())]
    finally:
        pool.close()
    assert True in pool.inside  # products went to the workers while the transaction was open
    assert found == expected
    assert _state(overlapped.store) == _state(alone.store)
    statuses = {status for _, _, _, status, *_ in _state(alone.store)["products"]}
    assert statuses == {shop.ACTIVATE, shop.FAILED, shop.DELETED}  # the feeds reach every outcome


def test_a_failure_inside_the_overlapped_transaction_leaves_the_shop_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean = _Shop(tmp_path / "clean", None)
    clean.store.create_job(clean.tenant.id, "product", "update", "url")  # so the job ids match the rerun's
    clean.run("tiktok-feed-1.txt", _first_feed())
    pool = _Watched(lambda: failed.store)
    try:
        failed = _Shop(tmp_path / "failed", pool)
        moved = shop.transition
        calls = []

        def fail_on_the_third_batch(*args: Any) -> int:
            calls.append(args)
            if len(calls) == 3:  # by now the workers hold the first batches
                raise OSError("disk gone")
            return moved(*args)

        monkeypatch.setattr(review_step.shop, "transition", fail_on_the_third_batch)
        with pytest.raises(OSError, match="disk gone"):
            failed.run("tiktok-feed-1.txt", _first_feed())
        assert pool.inside and all(pool.inside)
        assert not any(_state(failed.store).values())
        monkeypatch.undo()
        failed.run("tiktok-feed-1.txt", _first_feed())
    finally:
        pool.close()
    assert _state(failed.store) == _state(clean.store)
