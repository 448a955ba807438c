"""The engine: streaming and per-product checks agree, regions matter, audit reasons take TikTok's shape."""

from __future__ import annotations

import json

from fixtures.sample import product_rows
from simulator.rules.engine import FeedChecker, check_group, undo_cartridge_escaping
from simulator.rules.issues import audit_failed_reasons, blocks_publication, make_issue
from simulator.rules.profiles import get_profile
from simulator.rules.record import FeedRecord


def _records(rows: list[dict], first_line: int = 2) -> list[FeedRecord]:
    return [FeedRecord(first_line + n, row) for n, row in enumerate(rows)]


def _streamed(records: list[FeedRecord], region: str = "US") -> list:
    checker = FeedChecker(get_profile(region))
    issues = [issue for record in records for issue in checker.add(record)]
    return issues + checker.finish()


def _key(issues: list) -> list[tuple]:
    return sorted((i.code, i.line, i.sku_id, i.item_group_id, i.value) for i in issues)


def test_streaming_and_per_product_checks_give_the_same_issues() -> None:
    rows = product_rows("M1", 4) + product_rows("M2", 3) + product_rows("S1", 0)
    rows[1]["title"] = "Blazer \U0001F525 best price"
    rows[2]["variation_properties"] = rows[1]["variation_properties"]
    rows[3]["is_default_variant"] = "true"
    rows[5]["brand"] = "Other"
    rows[6]["variation_properties"] = '{"Colour":"Navy","Size":"1","Fit":"Slim","Length":"Long"}'
    rows[7]["price"] = "9000 USD"
    records = _records(rows)
    per_product = [issue for group in ("M1", "M2", "S1")
                   for issue in check_group([r for r in records if r.item_group_id == group], get_profile())]
    streamed = _streamed(records)
    assert _key(streamed) == _key(per_product)
    assert {i.code for i in streamed} == {
        "TITLE_EMOJI", "TITLE_PROMOTIONAL", "GROUP_DUPLICATE_COMBINATION", "GROUP_DEFAULT_VARIANT_COUNT",
        "GROUP_BRAND_INCONSISTENT", "GROUP_PROPERTY_NAMES_DIFFER", "GROUP_TOO_MANY_PROPERTIES",
        "PRICE_OUT_OF_RANGE"}


def test_a_clean_product_with_cartridge_escaped_quotes_has_no_issue() -> None:
    rows = product_rows("M1", 2)
    rows[0]["variation_properties"] = '{"Frame":"12\\\\" Frame","Size":"1"}'
    assert undo_cartridge_escaping(rows[0]["variation_properties"]) == '{"Frame":"12\\" Frame","Size":"1"}'
    rows[1]["variation_properties"] = '{"Frame":"14\\\\" Frame","Size":"1"}'
    assert check_group(_records(rows), get_profile()) == []


def test_title_minimum_depends_on_the_region() -> None:
    (us_row,) = product_rows("S1", 0)
    us_row["title"] = "Short title"
    assert check_group(_records([us_row]), get_profile("US")) == []
    (sg_row,) = product_rows("S1", 0, region="SG", currency="SGD")
    sg_row["title"] = "Short title"
    assert [i.code for i in check_group(_records([sg_row]), get_profile("SG"))] == ["TITLE_TOO_SHORT"]


def test_price_range_and_currency_follow_the_region() -> None:
    (row,) = product_rows("S1", 0, region="GB", currency="GBP")
    row["price"] = "6000 GBP"
    assert [i.code for i in check_group(_records([row]), get_profile("UK"))] == ["PRICE_OUT_OF_RANGE"]
    assert {i.code for i in check_group(_records([row]), get_profile("US"))} == {
        "PRICE_CURRENCY", "SALE_REGIONS_OTHER_REGION"}


def test_sku_limit_depends_on_the_region() -> None:
    rows = product_rows("BIG", 101)
    us = check_group(_records(rows), get_profile("US"))
    assert [(i.code, i.sku_id, i.value) for i in us] == [("GROUP_TOO_MANY_SKUS", "BIG-100", "101 SKUs")]
    sg_rows = product_rows("BIG", 101, region="SG", currency="SGD")
    assert check_group(_records(sg_rows), get_profile("SG")) == []


def test_duplicate_sku_in_a_feed_is_reported_once_and_kept_out_of_its_product() -> None:
    rows = product_rows("M1", 2)
    records = _records(rows + [dict(rows[1])])
    issues = _streamed(records)
    assert [(i.code, i.line, i.sku_id) for i in issues] == [("SKU_ID_DUPLICATE", 4, "M1-1")]


def test_audit_failed_reasons_are_built_from_errors_only() -> None:
    issues = [
        make_issue("TITLE_TOO_LONG", line=2, sku_id="A", item_group_id="M", value="x" * 300),
        make_issue("TITLE_EMOJI", line=2, sku_id="A", item_group_id="M"),
        make_issue("TITLE_PROMOTIONAL", line=2, sku_id="A", item_group_id="M"),
        make_issue("PRICE_FORMAT", line=3, sku_id="B", item_group_id="M"),
    ]
    reasons = audit_failed_reasons(issues)
    assert reasons == [
        {"position": "sku A / title", "reasons": [issues[0].message, issues[1].message],
         "suggestions": [issues[0].hint, issues[1].hint]},
        {"position": "sku B / price", "reasons": [issues[3].message], "suggestions": [issues[3].hint]},
    ]
    assert json.loads(json.dumps(reasons)) == reasons
    assert blocks_publication(issues)
    assert not blocks_publication([issues[2]])
    assert issues[0].value.endswith("(300 characters)") and len(issues[0].value) < 260


def test_duplicate_skus_are_found_among_thousands_of_distinct_ones() -> None:
    rows = [row for n in range(3000) for row in product_rows(f"S{n}", 0)]
    rows += [dict(rows[0]), dict(rows[1500]), dict(rows[2999])]
    issues = _streamed(_records(rows))
    assert [(i.code, i.line, i.sku_id) for i in issues] == [
        ("SKU_ID_DUPLICATE", 3002, "S0"), ("SKU_ID_DUPLICATE", 3003, "S1500"),
        ("SKU_ID_DUPLICATE", 3004, "S2999")]


def test_default_variant_count_points_at_the_second_default_or_the_first_sku() -> None:
    three = product_rows("M3", 4)
    for row in three:
        row["is_default_variant"] = "false" if row is three[0] else "true"
    none = product_rows("M0", 2)
    none[0]["is_default_variant"] = "false"
    issues = _streamed(_records(three + none))
    assert [(i.code, i.sku_id, i.value) for i in issues] == [
        ("GROUP_DEFAULT_VARIANT_COUNT", "M3-2", "3 default variants"),
        ("GROUP_DEFAULT_VARIANT_COUNT", "M0-0", "0 default variants")]


def test_a_repeated_combination_is_found_among_many_variants_of_one_product() -> None:
    rows = product_rows("BIG", 90)
    rows.append(dict(rows[40], sku_id="BIG-X", is_default_variant="false"))
    issues = _streamed(_records(rows))
    assert [(i.code, i.sku_id) for i in issues] == [("GROUP_DUPLICATE_COMBINATION", "BIG-X")]
