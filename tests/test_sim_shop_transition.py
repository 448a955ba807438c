"""`shop.transition` creates a product in one INSERT (no UPDATE after it): what the change carries lands with
it, the defaults otherwise, and a product changed twice in one batch ends as the later change says."""

from __future__ import annotations

import json
from pathlib import Path

from simulator import shop
from simulator.store import Store


def rows(store: Store) -> dict[str, tuple[str, str, str, str, str]]:
    return {group: tuple(rest) for group, *rest in store.connection().execute(
        "SELECT item_group_id, title, status, audit_status, audit_failed_reasons, warnings FROM products")}


def test_created_products_carry_their_fields_or_the_defaults(tmp_path: Path) -> None:
    store = Store(tmp_path)
    reasons, warnings = json.dumps([{"reasons": ["no image"]}]), json.dumps([{"message": "w"}])
    with store.transaction() as conn:
        moved = shop.transition(conn, "t", 1, [
            shop.Change("G1", shop.PENDING),
            shop.Change("G2", shop.PENDING, "Title 2", reasons, warnings),
            shop.Change("G3", shop.PENDING, "First"),
            shop.Change("G3", shop.ACTIVATE, "Second"),
        ])
    assert moved == 4
    assert rows(store) == {
        "G1": ("", "PENDING", "AUDITING", "[]", "[]"),
        "G2": ("Title 2", "PENDING", "AUDITING", reasons, warnings),
        "G3": ("Second", "ACTIVATE", "APPROVED", "[]", "[]"),
    }
    history = store.connection().execute(
        "SELECT item_group_id, status FROM status_history ORDER BY rowid").fetchall()
    assert [tuple(row) for row in history] == [
        ("G1", "PENDING"), ("G2", "PENDING"), ("G3", "PENDING"), ("G3", "ACTIVATE")]
