"""A finished job drops its staged rows and only its own: a job that shares the thread's scratch tables
keeps every row it staged."""

from __future__ import annotations

from pathlib import Path

from simulator.store import Store, stage

COLUMNS = ("line", "sku_id", "item_group_id", "row_values", "filled")


def staged(store: Store) -> list[tuple[int, str]]:
    rows = store.connection().execute("SELECT job_id, sku_id FROM temp.staged_rows ORDER BY job_id, seq")
    return [tuple(row) for row in rows]


def stage_rows(store: Store, job_id: int, count: int) -> None:
    with store.transaction() as conn:
        stage(conn, "staged_rows", COLUMNS, job_id, "feed.txt",
              ((line, f"S{line}", "G", "{}", "") for line in range(count)))


def test_clearing_one_job_keeps_the_others_rows(tmp_path: Path) -> None:
    store = Store(tmp_path)
    stage_rows(store, 7, 3)
    stage_rows(store, 8, 2)
    store.clear_job_scratch(8)
    assert staged(store) == [(7, "S0"), (7, "S1"), (7, "S2")]
    store.clear_job_scratch(9)  # a job that staged nothing
    assert len(staged(store)) == 3
    store.clear_job_scratch(7)
    assert staged(store) == []


def test_clearing_the_lower_job_keeps_the_higher(tmp_path: Path) -> None:
    store = Store(tmp_path)
    stage_rows(store, 7, 2)
    stage_rows(store, 8, 1)
    store.clear_job_scratch(7)
    assert staged(store) == [(8, "S0")]
