"""Reset: empty the simulator between scenarios, as moto's reset does, without restarting it.

A full reset empties every table of the shop file (products, SKUs, stock, histories, processed files,
review modes and held reviews, and whatever else the shop keeps), the job records, the job uploads, the
armed faults and the WebDAV tree. It keeps the registry: tenants, their shops, auth codes and tokens are
how the server and its clients are set up, not what a scenario did, so a Partner API client stays
authorized across resets. A tenant's reset empties only the rows of that tenant, its jobs and its faults.
Both refuse while a job of theirs is queued or running: a job writing into emptied tables would leave
half a sync behind.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from simulator import journal
from simulator.faults import Faults
from simulator.store import Store


class JobsRunning(RuntimeError):
    """A reset refused because these jobs are still queued or running."""

    def __init__(self, jobs: list[tuple[int, str, str]]) -> None:
        named = ", ".join(f"job {job_id} ({state}, tenant {tenant})" for job_id, state, tenant in jobs)
        super().__init__(f"cannot reset while {named} {'is' if len(jobs) == 1 else 'are'} not finished")


def _unfinished(registry: sqlite3.Connection, tenant: str | None) -> list[tuple[int, str, str]]:
    rows = registry.execute(
        "SELECT id, state, tenant FROM jobs WHERE state IN ('queued', 'running')"
        + ("" if tenant is None else " AND tenant = ?") + " ORDER BY id",
        () if tenant is None else (tenant,),
    )
    return [tuple(row) for row in rows]


def _empty_folder(folder: Path) -> None:
    """Remove what is inside `folder`, keeping the folder itself (WebDAV serves it)."""
    if not folder.is_dir():
        return
    for child in folder.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def _shop_tables(store: Store) -> list[tuple[str, bool]]:
    """Every table of the shop file, and whether it has a tenant column."""
    conn = store.connection()
    names = [row[0] for row in conn.execute(
        "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    return [(name, any(col[1] == "tenant" for col in conn.execute(f'PRAGMA main.table_info("{name}")')))
            for name in names]


def reset(store: Store, faults: Faults, dav_root: Path, uploads: Path, tenant: str | None = None) -> dict:
    """Empty everything, or one tenant; JobsRunning if a job it would cut off has not finished.

    The whole reset holds the registry's write lock, which creating a job needs: an alert that comes
    meanwhile waits and gets its job after the reset, instead of a job the reset empties under it.
    """
    with store.registry_transaction() as registry:
        running = _unfinished(registry, tenant)
        if running:
            raise JobsRunning(running)
        tables = _shop_tables(store)
        with store.transaction() as conn:
            for name, per_tenant in tables:
                if tenant is None:
                    conn.execute(f'DELETE FROM main."{name}"')
                elif per_tenant:
                    conn.execute(f'DELETE FROM main."{name}" WHERE tenant = ?', (tenant,))
        job_ids = [row[0] for row in registry.execute(
            "SELECT id FROM jobs" + ("" if tenant is None else " WHERE tenant = ?"),
            () if tenant is None else (tenant,))]
        registry.execute("DELETE FROM jobs" + ("" if tenant is None else " WHERE tenant = ?"),
                         () if tenant is None else (tenant,))
        faults.clear(tenant)
        if tenant is None:
            journal.of(store).clear()
            _empty_folder(uploads)
            _empty_folder(dav_root)
        else:
            for job_id in job_ids:
                shutil.rmtree(uploads / str(job_id), ignore_errors=True)
    return {"external_business_id": tenant, "jobs_removed": len(job_ids)}
