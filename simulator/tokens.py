"""Seller authorization as TikTok's auth host keeps it: auth codes, grants, access and refresh tokens.

A code is single use and lives 30 minutes; exchanging it opens a grant (one seller's authorization of
one app, named by `open_id`) with a refresh token, and issues an access token (7 days by default).
Refresh issues a new access token and keeps the refresh token: TikTok says the refresh token expires
with the authorization. Only SHA-256 digests of codes and tokens are stored, so the SQLite file does
not hand out working credentials. All of it lives in SQLite, so a restart keeps every token.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time
from dataclasses import dataclass

from simulator.envelope import Refusal
from simulator.store import Store

AUTH_CODE_LIFETIME_S = 30 * 60
ACCESS_TOKEN_LIFETIME_S = 7 * 24 * 3600
# How long a seller's authorization lasts: no source pins it (a real capture shows the year 2125).
REFRESH_TOKEN_LIFETIME_S = 365 * 24 * 3600

# TikTok's auth errors (reference: tiktok-partner-api.md 2.4).
INVALID_AUTH_CODE = 36004004
NO_AUTH_RECORD = 36004005
REFRESH_EXPIRED = 36004001


class TokenRefused(Refusal):
    """A code or refresh token TikTok would not accept; `code` is TikTok's error code."""


@dataclass(frozen=True)
class Grant:
    """What an exchange or a refresh hands back: the tokens, their absolute expiry times, the seller."""

    tenant_id: str
    open_id: str
    access_token: str
    access_token_expire_in: int
    refresh_token: str
    refresh_token_expire_in: int


@dataclass(frozen=True)
class Caller:
    """Whom a valid access token speaks for."""

    tenant_id: str
    app_key: str


class TokenExpired(Exception):
    """The access token was valid once and has expired."""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_auth_code(store: Store, tenant_id: str, app_key: str) -> str:
    """What a seller's consent in the browser yields: a code for this app and this shop."""
    code = secrets.token_urlsafe(32)
    store.registry().execute(
        "INSERT INTO auth_codes (digest, tenant, app_key, expires_at) VALUES (?, ?, ?, ?)",
        (_digest(code), tenant_id, app_key, time.time() + AUTH_CODE_LIFETIME_S),
    )
    return code


def _access_token(conn: sqlite3.Connection, open_id: str, lifetime_s: int) -> tuple[str, int]:
    """A new access token on a grant; stored to the fraction of a second, answered in whole seconds."""
    token = "TTP_" + secrets.token_urlsafe(30)
    expires = time.time() + lifetime_s
    conn.execute(
        "INSERT INTO access_tokens (digest, open_id, expires_at) VALUES (?, ?, ?)",
        (_digest(token), open_id, expires),
    )
    return token, int(expires)


def exchange_code(store: Store, code: str, app_key: str, lifetime_s: int = ACCESS_TOKEN_LIFETIME_S) -> Grant:
    """`grant_type=authorized_code`: spend the code (once), open a grant, issue the first tokens."""
    with store.registry_transaction() as conn:
        row = conn.execute(
            "SELECT tenant, expires_at, used FROM auth_codes WHERE digest = ? AND app_key = ?",
            (_digest(code), app_key),
        ).fetchone()
        if row is None or row["used"] or row["expires_at"] < time.time():
            raise TokenRefused(INVALID_AUTH_CODE, "Invalid auth code.")
        conn.execute("UPDATE auth_codes SET used = 1 WHERE digest = ?", (_digest(code),))
        open_id = secrets.token_urlsafe(24)
        refresh = "TTP_" + secrets.token_urlsafe(30)
        refresh_expires = int(time.time()) + REFRESH_TOKEN_LIFETIME_S
        conn.execute(
            "INSERT INTO grants (open_id, tenant, app_key, refresh_digest, refresh_expires_at, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (open_id, row["tenant"], app_key, _digest(refresh), refresh_expires, time.time()),
        )
        access, access_expires = _access_token(conn, open_id, lifetime_s)
    return Grant(row["tenant"], open_id, access, access_expires, refresh, refresh_expires)


def refresh(
    store: Store, refresh_token: str, app_key: str, lifetime_s: int = ACCESS_TOKEN_LIFETIME_S
) -> Grant:
    """`grant_type=refresh_token`: a new access token on the same grant; older ones live until they expire."""
    with store.registry_transaction() as conn:
        row = conn.execute(
            "SELECT open_id, tenant, refresh_expires_at FROM grants WHERE refresh_digest = ? AND app_key = ?",
            (_digest(refresh_token), app_key),
        ).fetchone()
        if row is None:
            raise TokenRefused(NO_AUTH_RECORD, "can not find related auth record")
        if row["refresh_expires_at"] < time.time():
            raise TokenRefused(REFRESH_EXPIRED, "rt has expired")
        access, access_expires = _access_token(conn, row["open_id"], lifetime_s)
    return Grant(
        row["tenant"], row["open_id"], access, access_expires, refresh_token, int(row["refresh_expires_at"])
    )


def caller(store: Store, access_token: str) -> Caller | None:
    """The seller and app an access token speaks for; None if unknown, TokenExpired once expired."""
    row = (
        store.registry()
        .execute(
            "SELECT g.tenant, g.app_key, t.expires_at FROM access_tokens t JOIN grants g USING (open_id)"
            " WHERE t.digest = ?",
            (_digest(access_token),),
        )
        .fetchone()
    )
    if row is None:
        return None
    if row["expires_at"] <= time.time():
        raise TokenExpired
    return Caller(row["tenant"], row["app_key"])


def tenant_of(store: Store, secret: str) -> str | None:
    """The shop an auth code or refresh token was issued for, spent or not: whose token call it is."""
    if not secret:
        return None
    digest = _digest(secret)
    row = store.registry().execute(
        "SELECT tenant FROM auth_codes WHERE digest = ? UNION ALL"
        " SELECT tenant FROM grants WHERE refresh_digest = ? LIMIT 1",
        (digest, digest),
    ).fetchone()
    return row[0] if row else None
