"""Acceptance with a client nobody here wrote: the unofficial PyPI `tiktok-shop-api`, unmodified, over https.

It gets only what a developer has: the simulator's base URL for both API and auth, the app key and
secret, an auth code from `/_sim/shops/<id>/auth_code`, and `SSL_CERT_FILE` naming the simulator's CA.
The runnable example in `examples/` does the same from the command line and is run here too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.simulator_client import Client, row, running
from tiktok_shop_api import TikTokShop, TikTokShopAuth, TikTokShopError
from tiktok_shop_api.generated.models.search_products_request import SearchProductsRequest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "tiktok_shop_api_client.py"
PRICES = {"TEE-S": "19.5", "TEE-M": "21", "MUG": "8.25", "CAP": "12"}


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    """A simulator over https with a tee (two sizes), a mug and a cap, all published."""
    with running(tmp_path_factory.mktemp("sim"), tls=True) as client:
        client.drop_feed(
            [
                row("TEE-S", "TEE", variation_properties='{"Size":"S"}', price=f"{PRICES['TEE-S']} USD"),
                row("TEE-M", "TEE", variation_properties='{"Size":"M"}', is_default_variant="false",
                    price=f"{PRICES['TEE-M']} USD"),
                row("MUG", "MUG", price=f"{PRICES['MUG']} USD"),
                row("CAP", "CAP", price=f"{PRICES['CAP']} USD"),
            ]
        )
        assert client.run()["state"] == "completed"
        yield client


@pytest.fixture
def trusted(sim: Client, monkeypatch: pytest.MonkeyPatch) -> Client:
    """`SSL_CERT_FILE` names the simulator's CA, as the client's README tells a developer to do."""
    assert sim.server.base_url.startswith("https://") and sim.server.ca_path
    monkeypatch.setenv("SSL_CERT_FILE", str(sim.server.ca_path))
    return sim


def authorized(sim: Client) -> tuple[TikTokShop, str, str]:
    """The client's own flow: code -> token -> authorized shops -> the shop's cipher."""
    base, key, secret = sim.server.base_url, sim.server.app_key, sim.server.app_secret
    status, answer = sim.api("POST", f"/_sim/shops/{sim.server.external_business_id}/auth_code")
    assert status == 200, answer
    tokens = TikTokShopAuth(key, secret, base_url=base).exchange_code(answer["code"])
    assert tokens.access_token and tokens.access_token_expire_in > 0
    client = TikTokShop(key, secret, access_token=tokens.access_token, base_url=base)
    (shop,) = client.authorization.get_authorized_shops().data.shops
    assert shop.cipher and shop.id.isdigit()
    return client, shop.cipher, tokens.access_token


def test_code_token_shop_search_and_get_with_the_unmodified_client(trusted: Client) -> None:
    client, cipher, _ = authorized(trusted)
    products = client.with_shop(shop_cipher=cipher).products
    query = SearchProductsRequest(seller_skus=["TEE-M", "MUG"])
    found = products.search_products(page_size=10, body=query).data
    wanted = {trusted.product(group)["id"] for group in ("TEE", "MUG")}
    assert found.total_count == 2 and {p.id for p in found.products} == wanted and found.next_page_token == ""
    prices = {sku.seller_sku: sku.price.sale_price for p in found.products for sku in p.skus}
    assert prices == {sku: PRICES[sku] for sku in ("TEE-S", "TEE-M", "MUG")}
    assert {sku.price.currency for p in found.products for sku in p.skus} == {"USD"}
    tee_id = trusted.product("TEE")["id"]
    tee = products.get_product(tee_id).data
    assert (tee.id, tee.status, tee.audit.status) == (tee_id, "ACTIVATE", "APPROVED")
    assert {sku.seller_sku: sku.price.sale_price for sku in tee.skus} == {"TEE-S": "19.5", "TEE-M": "21"}
    assert sorted(a.value_name for sku in tee.skus for a in sku.sales_attributes) == ["M", "S"]


def test_a_request_signed_with_a_wrong_secret_is_refused_with_tiktoks_code(trusted: Client) -> None:
    _, cipher, token = authorized(trusted)
    forged = TikTokShop(trusted.server.app_key, "not-the-secret", access_token=token,
                        shop_cipher=cipher, base_url=trusted.server.base_url)
    with pytest.raises(TikTokShopError) as refused:
        forged.products.search_products(page_size=10)
    assert (refused.value.code, refused.value.http_status) == (106001, 401), refused.value


def test_the_runnable_example_against_the_running_simulator(sim: Client) -> None:
    data_dir = sim.server.data_dir
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), "--base-url", sim.server.base_url, "--data-dir", str(data_dir),
         "--tenant", sim.server.external_business_id, "--seller-sku", "CAP"],
        capture_output=True, text=True, timeout=60, env={k: v for k, v in os.environ.items()
                                                        if k != "SSL_CERT_FILE"},
    )
    assert result.returncode == 0, result.stderr
    cap_id = sim.product("CAP")["id"]
    assert "1 product(s)" in result.stdout and f"{cap_id} ACTIVATE  CAP" in result.stdout, result.stdout
    assert "12 USD" in result.stdout and f"product {cap_id}:" in result.stdout, result.stdout
