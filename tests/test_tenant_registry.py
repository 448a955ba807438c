"""The trusted tenant registry: only a callback whose external_data the app's key signed changes a tenant's
WebDAV host and credentials; connection status and disconnect check the same signature.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support.cartridge import AUTH_CALLBACK, CONNECTION_STATUS, DISCONNECT, call, callback_body, external_data
from support.sfcc import PRODUCT_FOLDER
from support.simulator_client import Client, row, running

from connector.cli import main as connector_main

TENANT = "sfcc-sim-tenant"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    with running(tmp_path / "sim") as sim:
        yield sim


@pytest.fixture
def other(tmp_path: Path) -> Iterator[Client]:
    """A second SFCC instance: the host a forged or stale callback tries to move the tenant to."""
    with running(tmp_path / "other", dav_user="other-user", dav_password="other-key") as instance:
        instance.drop_feed([row("SKU-OTHER", "G-OTHER")])
        yield instance


def tiktok(client: Client, method: str, path: str, external: str, body: Any = None) -> dict[str, Any]:
    status, answer = call(client.server.base_url, method, path, external, body)
    assert status == 200, (status, answer)
    return answer


def move_to(client: Client, other: Client, external: str) -> dict[str, Any]:
    """The default tenant's auth callback, pointing it at `other`'s WebDAV."""
    body = callback_body(TENANT, other.server.base_url, other.server.dav_user, other.server.dav_password)
    return tiktok(client, "POST", AUTH_CALLBACK, external, body)


def fetches_from_own_webdav(client: Client) -> None:
    """An alert is still accepted for, and fetched from, the simulator's own WebDAV only."""
    client.drop_feed([row("SKU-OWN", "G-OWN")])
    job = client.run()
    assert job["state"] == "completed", job
    assert client.server.store.get_tenant(TENANT).webdav_base == client.server.base_url


@pytest.mark.parametrize(("external", "code", "words"), [
    (lambda key: external_data(TENANT, "not-the-key"), 40007, "hmac"),
    (lambda key: external_data(TENANT, key, timestamp_ms=int((time.time() - 11 * 60) * 1000)), 40008, "old"),
    (lambda key: external_data(TENANT, key, timestamp_ms=int((time.time() + 5 * 60) * 1000)), 40008, "ahead"),
    (lambda key: external_data(TENANT, key)[:-8], 40006, "external_data"),
    (lambda key: "", 40006, "missing"),
    (lambda key: external_data("someone-else", key), 40003, "someone-else"),
], ids=["bad-hmac", "stale", "future", "garbled", "missing", "signed-for-another-tenant"])
def test_a_refused_callback_changes_nothing(client: Client, other: Client, external: Any, code: int,
                                           words: str) -> None:
    before = client.server.store.get_tenant(TENANT)
    answer = move_to(client, other, external(client.server.external_data_key))
    assert answer["code"] == code and words in answer["message"], answer
    assert answer["data"] is None
    assert client.server.store.get_tenant(TENANT) == before
    fetches_from_own_webdav(client)


def test_a_refused_callback_registers_no_new_tenant(client: Client, other: Client) -> None:
    body = callback_body("tenant-9", other.server.base_url, "u", "k")
    answer = tiktok(client, "POST", AUTH_CALLBACK, external_data("tenant-9", "not-the-key"), body)
    assert answer["code"] == 40007, answer
    assert client.server.store.get_tenant("tenant-9") is None
    assert client.alert(url=f"{other.server.dav_url}/x", external_business_id="tenant-9")["code"] == 40004


def test_a_valid_callback_moves_the_tenant(client: Client, other: Client) -> None:
    answer = move_to(client, other, external_data(TENANT, client.server.external_data_key))
    assert answer["code"] == 0, answer
    tenant = client.server.store.get_tenant(TENANT)
    assert (tenant.webdav_base, tenant.user) == (other.server.base_url, "other-user")
    answer = client.alert(url=f"{other.server.dav_url}/{PRODUCT_FOLDER}")
    assert answer["code"] == 0, answer
    job = client.wait_job(answer["data"]["job_id"])
    assert job["state"] == "completed" and job["files"], job


def status_of(client: Client, tenant: str) -> int:
    answer = tiktok(client, "GET", CONNECTION_STATUS, external_data(tenant, client.server.external_data_key))
    assert answer["code"] == 0, answer
    return answer["data"]["connect_info"]["connect_status"]["connect"]


def test_connection_status_and_disconnect(client: Client) -> None:
    key = client.server.external_data_key
    assert status_of(client, TENANT) == 2
    assert status_of(client, "never-onboarded") == 0
    assert tiktok(client, "GET", CONNECTION_STATUS, external_data(TENANT, "wrong"))["code"] == 40007

    body = {"biz_type": 3, "outer_shop_id": TENANT}
    assert tiktok(client, "POST", DISCONNECT, external_data(TENANT, "wrong"), body)["code"] == 40007
    assert tiktok(client, "POST", DISCONNECT, external_data(TENANT, key), {**body, "outer_shop_id": "x"})[
        "code"] == 40003
    assert status_of(client, TENANT) == 2  # refused disconnects changed nothing

    assert tiktok(client, "POST", DISCONNECT, external_data(TENANT, key), body)["code"] == 0
    assert status_of(client, TENANT) == 0
    answer = client.alert()
    assert answer["code"] == 40009 and "disconnected" in answer["message"], answer
    assert client.jobs() == []

    own = callback_body(TENANT, client.server.base_url, client.server.dav_user, client.server.dav_password)
    assert tiktok(client, "POST", AUTH_CALLBACK, external_data(TENANT, key), own)["code"] == 0
    assert status_of(client, TENANT) == 2
    fetches_from_own_webdav(client)


def test_connector_onboard_signs_with_the_simulators_key(client: Client, other: Client) -> None:
    """`sfcc-connector onboard` and `tiktok-sim serve` agree on the external_data HMAC."""
    args = ["onboard", "--site-id", "RefArch", "--instance", other.server.base_url,
            "--user", "other-user", "--password", "other-key", "--tiktok-url", client.server.base_url,
            "--external-business-id", "tenant-5"]
    wrong = CliRunner().invoke(connector_main, [*args, "--external-data-key", "not-the-key"])
    assert wrong.exit_code != 0 and "40007" in wrong.output, wrong.output
    assert client.server.store.get_tenant("tenant-5") is None
    key = {"TIKTOK_EXTERNAL_DATA_KEY": client.server.external_data_key}
    right = CliRunner().invoke(connector_main, args, env=key)
    assert right.exit_code == 0, right.output
    assert client.server.store.get_tenant("tenant-5").webdav_base == other.server.base_url
