"""TikTok's product API as a signed client sees it: Get Product 202309, Search Products 202312 and 202502.

Every field is checked against the feed row it comes from, every documented search filter against the
products it must keep, and every refusal against TikTok's code; the simulator-only fields are checked to
be absent here and present in `/_sim/products`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.cartridge import AUTH_CALLBACK, call, callback_body, external_data
from support.partner import for_server
from support.sfcc import INVENTORY_FOLDER, PRODUCT_FOLDER, inventory_xml
from support.simulator_client import Client, row, running

IMAGES = ["https://img.example.com/large/tee-black.jpg", "https://img.example.com/large/tee-back.jpg"]
SIM_ONLY = {"item_group_id", "external_business_id", "warnings", "stock_status", "history", "status_history"}
SIM_SKU_ONLY = {"title", "stock_status"}


def images(*urls: str) -> str:
    return json.dumps({"images": list(urls)}, separators=(",", ":"))


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    """One shop for the read-only tests: a two-variant tee, a mug, a failed product and a deleted one."""
    with running(tmp_path_factory.mktemp("sim")) as client:
        client.drop_feed(
            [
                row("TEE-BLK-M", "TEE", title="Tee", description="Soft &amp; light",
                    image_urls=images(*IMAGES), variation_properties='{"Color":"Black","Size":"M"}',
                    price="12.5 USD", brand="Acme", product_category="mens-tops"),
                row("TEE-WHT-M", "TEE", title="Tee", image_urls=images("https://img.example.com/large/w.jpg"),
                    variation_properties='{"Color":"White","Size":"M"}', is_default_variant="false",
                    brand="Acme", product_category="mens-tops"),
                row("MUG", "MUG", variation_properties="{}", brand="Acme", price="8 USD"),
                row("BAD", "BAD", price=""),
                row("GONE", "GONE"),
            ]
        )
        assert client.run()["state"] == "completed"
        client.drop(PRODUCT_FOLDER, "delete-feed-RefArch-20261126140000.txt", b"GONE\n")
        assert client.run(update_type="delete")["state"] == "completed"
        yield client


def product_id(client: Client, group: str) -> str:
    return client.product(group)["id"]


def get(client: Client, group: str) -> dict[str, Any]:
    answer = client.tiktok_product(product_id(client, group))
    assert answer["code"] == 0, answer
    return answer["data"]


def search_ids(client: Client, body: dict[str, Any], version: str = "202502") -> list[str]:
    return [p["id"] for p in client.search(body, version=version)["products"]]


def refusal(client: Client, body: Any, **query: str) -> dict[str, Any]:
    _, answer = client.partner.post("/product/202502/products/search", body, **{"page_size": "10", **query})
    assert answer["code"] != 0 and answer["data"] is None, answer
    return answer


def test_get_product_derives_every_field_from_the_feed(shop: Client) -> None:
    tee = get(shop, "TEE")
    assert (tee["title"], tee["description"]) == ("Tee", "Soft &amp; light")
    assert (tee["status"], tee["product_status"], tee["audit"]) == (
        "ACTIVATE", "ACTIVATE", {"status": "APPROVED", "pre_approved_reasons": []})
    assert tee["audit_failed_reasons"] == [] and tee["has_draft"] is False
    assert [(i["urls"], i["thumb_urls"]) for i in tee["main_images"]] == [([url], [url]) for url in IMAGES]
    assert len({i["uri"] for i in tee["main_images"]}) == 2
    assert tee["brand"]["name"] == "Acme" and tee["brand"]["id"].isdigit() and len(tee["brand"]["id"]) == 19
    (category,) = tee["category_chains"]
    assert (category["parent_id"], category["local_name"], category["is_leaf"]) == ("0", "mens-tops", True)
    assert isinstance(tee["create_time"], int) and isinstance(tee["update_time"], int)
    assert not SIM_ONLY & tee.keys()
    black, white = tee["skus"]
    assert (black["seller_sku"], white["seller_sku"]) == ("TEE-BLK-M", "TEE-WHT-M")
    assert black["price"] == {"currency": "USD", "sale_price": "12.5", "tax_exclusive_price": "12.5"}
    assert black["status_info"] == {"status": "NORMAL"} and black["inventory"] == []
    names = [[(a["name"], a["value_name"]) for a in sku["sales_attributes"]] for sku in (black, white)]
    assert names == [[("Color", "Black"), ("Size", "M")], [("Color", "White"), ("Size", "M")]]
    color_b, size_b = black["sales_attributes"]
    color_w, size_w = white["sales_attributes"]
    assert color_b["id"] == color_w["id"] != size_b["id"] and size_b["value_id"] == size_w["value_id"]
    assert color_b["value_id"] != color_w["value_id"]
    assert color_w["sku_img"]["urls"] == ["https://img.example.com/large/w.jpg"] and "sku_img" not in size_w


def test_ids_derived_from_names_are_the_same_in_every_product(shop: Client) -> None:
    tee, mug = get(shop, "TEE"), get(shop, "MUG")
    assert tee["brand"] == mug["brand"]
    assert mug["skus"][0]["sales_attributes"] == [] and mug["category_chains"][0]["local_name"] == "tops"


def test_failed_product_shows_its_audit_and_was_never_live(shop: Client) -> None:
    bad = get(shop, "BAD")
    assert (bad["status"], bad["product_status"], bad["audit"]["status"]) == ("FAILED", "INITIAL", "FAILED")
    (reason,) = bad["audit_failed_reasons"]
    assert set(reason) == {"position", "reasons", "suggestions"} and "price" in reason["position"]


def test_get_product_refusals(shop: Client) -> None:
    gone = shop.tiktok_product(product_id(shop, "GONE"))
    assert gone["code"] == 12052901 and gone["data"] is None, gone
    live = product_id(shop, "TEE")
    _, answer = shop.partner.get(f"/product/202309/products/{live}", return_under_review_version="true")
    assert answer["code"] == 12052547, answer
    status, answer = shop.partner.get(
        f"/product/202309/products/{live}", return_under_review_version="true", return_draft_version="true"
    )
    assert (status, answer["code"]) == (400, 36009004) and "return_draft_version" in answer["message"]


def test_search_versions_differ_as_documented(shop: Client) -> None:
    old, new = (shop.search({"seller_skus": ["MUG"]}, version=v)["products"] for v in ("202312", "202502"))
    (old_mug,), (new_mug,) = old, new
    assert old_mug["id"] == new_mug["id"] == product_id(shop, "MUG")
    assert "has_draft" not in old_mug and new_mug["has_draft"] is False
    assert "status_info" not in old_mug["skus"][0]
    assert new_mug["skus"][0]["status_info"] == {"status": "NORMAL"}
    for product in (old_mug, new_mug):
        assert not SIM_ONLY & product.keys() and product["sales_regions"] == ["US"]
        assert product["skus"][0]["price"] == {"currency": "USD", "sale_price": "8",
                                               "tax_exclusive_price": "8"}
        assert "sales_attributes" not in product["skus"][0] and "description" not in product


def test_search_filters_select_exactly_the_matching_products(shop: Client) -> None:
    ids = {group: product_id(shop, group) for group in ("TEE", "MUG", "BAD", "GONE")}
    assert sorted(search_ids(shop, {"seller_skus": ["TEE-WHT-M", "MUG", "NO-SUCH"]})) == sorted(
        [ids["TEE"], ids["MUG"]])
    sku_id = get(shop, "MUG")["skus"][0]["id"]
    assert search_ids(shop, {"sku_ids": [sku_id]}) == [ids["MUG"]]
    assert search_ids(shop, {"sku_ids": ["1"]}) == []
    assert search_ids(shop, {"status": "DELETED"}) == [ids["GONE"]]
    assert search_ids(shop, {"audit_status": ["FAILED"]}) == [ids["BAD"]]
    everything = sorted(ids.values())
    assert search_ids(shop, {"status": "ALL"}) == search_ids(shop, {}) == everything  # in id order
    created = get(shop, "MUG")["create_time"]
    assert ids["MUG"] in search_ids(shop, {"create_time_ge": created, "create_time_le": created})
    assert search_ids(shop, {"create_time_ge": created + 1}) == []
    assert search_ids(shop, {"create_time_le": created - 1}) == []
    updated = max(shop.search({})["products"], key=lambda p: p["update_time"])["update_time"]
    assert search_ids(shop, {"update_time_ge": updated + 1}) == []
    assert search_ids(shop, {"update_time_ge": updated}) != []
    assert search_ids(shop, {"status": "ACTIVATE", "listing_platforms": ["TIKTOK_SHOP"]}) == sorted(
        [ids["TEE"], ids["MUG"]])
    for nothing in ({"return_draft_version": True}, {"listing_quality_tiers": ["GOOD"]},
                    {"sns_filter": "ELIGIBLE"}, {"category_version": "v1"},
                    {"status": "ACTIVATE", "listing_platforms": ["TOKOPEDIA"]}):
        assert search_ids(shop, nothing) == [], nothing
    assert search_ids(shop, {"listing_quality_tier": "GOOD"}, version="202312") == []
    assert search_ids(shop, {"category_version": "v2"}) == everything  # a US shop's tree


@pytest.mark.parametrize(
    ("body", "code", "named"),
    [
        ({"seller_skus": [f"S{i}" for i in range(11)]}, 12019027, "seller_skus"),
        ({"sku_ids": [str(i) for i in range(11)]}, 12019087, "SKU IDs"),
        ({"create_time_ge": "yesterday"}, 12019118, "create_time_ge"),
        ({"create_time_ge": 10, "create_time_le": 5}, 12019118, "create_time_le"),
        ({"update_time_le": -1}, 12019119, "update_time_le"),
        ({"update_time_ge": 10**30}, 12019119, "update_time_ge"),
        ({"status": "LIVE"}, 12052910, "status"),
        ({"audit_status": ["DONE"]}, 12052910, "audit_status"),
        ({"seller_skus": "MUG"}, 12052910, "seller_skus"),
        ({"listing_platforms": ["TIKTOK_SHOP"]}, 12052910, "listing_platforms"),
        ({"return_draft_version": "yes"}, 12052910, "return_draft_version"),
        ([], 12052910, "JSON object"),
    ],
)
def test_search_refuses_bad_filters_with_tiktok_codes(shop: Client, body: Any, code: int, named: str) -> None:
    answer = refusal(shop, body)
    assert answer["code"] == code and named in answer["message"], answer


def test_search_requires_a_page_size_and_pages_with_an_opaque_token(shop: Client) -> None:
    for query in ({}, {"page_size": "0"}, {"page_size": "101"}, {"page_size": "ten"}):
        _, answer = shop.partner.post("/product/202502/products/search", {}, **query)
        assert answer["code"] == 12019109 and "page_size" in answer["message"], (query, answer)
    for token in ("not-ours", base64.urlsafe_b64encode(f"{10**30}:0".encode()).decode()):
        assert refusal(shop, {}, page_token=token)["code"] == 12019108
    status, answer = shop.partner.post("/product/202401/products/search", {}, page_size="10")
    assert (status, answer["code"]) == (404, 36009009), answer  # only the two documented versions exist
    first = shop.search({}, page_size=3)
    assert first["total_count"] == 4 and len(first["products"]) == 3 and first["next_page_token"]
    last = shop.search({}, page_size=3, token=first["next_page_token"])
    assert (last["total_count"], len(last["products"]), last["next_page_token"]) == (4, 1, "")
    assert {p["id"] for p in first["products"] + last["products"]} == set(search_ids(shop, {}))


def test_search_stops_at_tiktoks_ten_thousand_results(shop: Client) -> None:
    """The token format is documented (docs/product-api.md): the last id shown and the results so far."""
    deep = base64.urlsafe_b64encode(b"0:9950").decode()
    assert refusal(shop, {}, page_size="100", page_token=deep)["code"] == 12052180
    assert shop.search({}, page_size=50, token=deep)["total_count"] == 4


def test_sim_products_show_what_tiktok_does_not(shop: Client) -> None:
    tee = shop.product("TEE")
    assert tee.keys() >= SIM_ONLY and tee["item_group_id"] == "TEE"
    assert tee["external_business_id"] == shop.server.external_business_id
    assert [h["status"] for h in tee["status_history"]] == ["PENDING", "ACTIVATE"]
    skus = [{k: v for k, v in sku.items() if k not in SIM_SKU_ONLY} for sku in tee["skus"]]
    shown = {k: v for k, v in tee.items() if k not in SIM_ONLY} | {"skus": skus}
    assert shown == get(shop, "TEE")  # apart from stock under SFCC's names, the rest is TikTok's view
    assert [p["item_group_id"] for p in shop.products("DELETED")] == ["GONE"]
    assert len(shop.products(external_business_id=shop.server.external_business_id)) == 4
    assert shop.products(external_business_id="nobody") == []
    for query in ("status=LIVE", "page_size=0", "page_size=1001", "page_token=zz"):
        status, answer = shop.api("GET", f"/_sim/products?{query}")
        assert status == 400 and answer["code"] == 40003, (query, answer)
    status, answer = shop.api("GET", "/_sim/products/1729000000000000999")
    assert (status, answer["code"]) == (404, 40400)


def test_stock_and_backorders_show_as_tiktok_inventory(tmp_path: Path) -> None:
    with running(tmp_path / "sim") as client:
        client.drop_feed([row("A1", "A")])
        client.run()
        stock = ("<allocation>3</allocation>"
                 "<preorder-backorder-handling>backorder</preorder-backorder-handling>"
                 "<preorder-backorder-allocation>7</preorder-backorder-allocation>")
        client.drop(INVENTORY_FOLDER, "inventory-RefArch-1.xml", inventory_xml([("A1", stock)], "wh-1"))
        assert client.run("inventory", "create")["state"] == "completed"
        (sku,) = get(client, "A")["skus"]
        assert sku["inventory"] == [{"warehouse_id": "wh-1", "quantity": 3, "backorder_quantity": 7}]
        (old,) = client.search({}, version="202312")["products"]
        assert old["skus"][0]["inventory"] == [{"warehouse_id": "wh-1", "quantity": 3}]


def test_two_shops_with_the_same_feed_each_see_only_their_own_products(tmp_path: Path) -> None:
    """tenant-2 onboards on the same WebDAV folder: the same SKUs become its products, with their own ids."""
    with running(tmp_path / "sim") as client:
        server = client.server
        body = callback_body("tenant-2", server.base_url, server.dav_user, server.dav_password)
        signed = external_data("tenant-2", server.external_data_key)
        status, answer = call(server.base_url, "POST", AUTH_CALLBACK, signed, body)
        assert (status, answer["code"]) == (200, 0), answer
        client.drop_feed([row("A1", "A"), row("B1", "B")])
        assert client.run()["state"] == "completed"
        answer = client.alert(external_business_id="tenant-2")
        assert client.wait_job(answer["data"]["job_id"])["state"] == "completed"
        default = server.external_business_id
        mine = {p["item_group_id"]: p["id"] for p in client.products(external_business_id=default)}
        theirs = {p["item_group_id"]: p["id"] for p in client.products(external_business_id="tenant-2")}
        assert mine.keys() == theirs.keys() == {"A", "B"} and not set(mine.values()) & set(theirs.values())
        assert search_ids(client, {"seller_skus": ["A1", "B1"]}) == sorted(mine.values())
        other = for_server(server, "tenant-2")
        _, found = other.post("/product/202502/products/search", {"seller_skus": ["A1"]}, page_size="10")
        assert [p["id"] for p in found["data"]["products"]] == [theirs["A"]], found
        answer = client.tiktok_product(theirs["A"])
        assert answer["code"] == 12052048 and answer["data"] is None, answer
