"""The Partner API shop each tenant is: id, name, region, seller type, cipher, code, and its connection.

TikTok's Partner API names a seller's shop by `shop_id` and addresses it by the opaque `shop_cipher`;
the cartridge names the same merchant by `external_business_id`. Here one tenant is one shop, created
the first time the tenant registers and never renumbered, so tokens and ciphers a client saved stay
valid across restarts and re-onboarding. (`shop.py` is about product statuses, not this.)
"""

from __future__ import annotations

import secrets
import sqlite3
import string
import time
from dataclasses import dataclass
from typing import Any

from simulator.store import Store
from simulator.tenant import Tenant

SELLER_TYPE = "LOCAL"
# TikTok's shop ids are 19-digit numbers, e.g. "7000714532876273420".
_SHOP_ID_BASE = 7_000_000_000_000_000_000
_CODE_ALPHABET = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class Shop:
    """A tenant as the Partner API sees it; `connected` is the cartridge connection (disconnect clears it)."""

    tenant_id: str
    shop_id: str
    name: str
    region: str
    seller_type: str
    cipher: str
    code: str
    connected: bool = True

    def as_json(self) -> dict[str, Any]:
        """The `data.shops[]` entry of `GET /authorization/202309/shops`: every field a string."""
        return {
            "id": self.shop_id,
            "name": self.name,
            "region": self.region,
            "seller_type": self.seller_type,
            "cipher": self.cipher,
            "code": self.code,
        }


_COLUMNS = "tenant, shop_id, name, region, seller_type, cipher, code, connected"


def _shop(row: sqlite3.Row | None) -> Shop | None:
    return Shop(*row[:7], connected=bool(row[7])) if row else None


def register(store: Store, tenant: Tenant) -> Shop:
    """Record the tenant (its WebDAV host and credentials) and open or reconnect its shop, in one go."""
    with store.registry_transaction() as conn:
        store.put_tenant(tenant)
        conn.execute(
            f"INSERT INTO shops ({_COLUMNS}, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)"
            " ON CONFLICT (tenant) DO UPDATE SET region = excluded.region, connected = 1",
            (
                tenant.id,
                str(_SHOP_ID_BASE + secrets.randbelow(10**18)),
                tenant.site_id or tenant.id,
                tenant.region,
                SELLER_TYPE,
                "ROW_" + secrets.token_urlsafe(24),
                tenant.region[:2] + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10)),
                time.time(),
            ),
        )
    shop = shop_of(store, tenant.id)
    assert shop is not None
    return shop


def open_missing(store: Store) -> None:
    """Give every tenant of a data folder from before shops existed its shop, so its tokens can be had."""
    orphans = store.registry().execute("SELECT id FROM tenants WHERE id NOT IN (SELECT tenant FROM shops)")
    for (tenant_id,) in orphans.fetchall():
        tenant = store.get_tenant(tenant_id)
        assert tenant is not None
        register(store, tenant)


def shop_of(store: Store, tenant_id: str) -> Shop | None:
    row = store.registry().execute(f"SELECT {_COLUMNS} FROM shops WHERE tenant = ?", (tenant_id,)).fetchone()
    return _shop(row)


def shop_by_cipher(store: Store, cipher: str) -> Shop | None:
    row = store.registry().execute(f"SELECT {_COLUMNS} FROM shops WHERE cipher = ?", (cipher,)).fetchone()
    return _shop(row)


def disconnect(store: Store, tenant_id: str) -> None:
    """The cartridge's disconnect: the shop stays, its alerts are refused until it onboards again."""
    store.registry().execute("UPDATE shops SET connected = 0 WHERE tenant = ?", (tenant_id,))
