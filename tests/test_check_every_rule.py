"""One feed with one violation per product-feed rule: `check` reports each code once, at the right place."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from fixtures.sample import feed_line, product_rows, write_feed
from simulator.check import check_command
from simulator.feedfile import MAX_LINE_BYTES
from simulator.rules.catalog import RULES

Mutation = Callable[[list[dict]], None]
PROPS = "variation_properties"


def _set(column: str, value: str, index: int = 0) -> Mutation:
    def mutate(rows: list[dict]) -> None:
        rows[index][column] = value
    return mutate


def _copy_properties(rows: list[dict]) -> None:
    rows[1]["variation_properties"] = rows[0]["variation_properties"]


# code -> (variants of the product it breaks, the change, which of its rows the issue names)
CASES: dict[str, tuple[int, Mutation, int]] = {
    "SKU_ID_MISSING": (0, _set("sku_id", ""), 0),
    "SKU_ID_TOO_LONG": (0, _set("sku_id", "X" * 51), 0),
    "ITEM_GROUP_ID_MISSING": (0, _set("item_group_id", ""), 0),
    "TITLE_MISSING": (0, _set("title", ""), 0),
    "TITLE_TOO_LONG": (0, _set("title", "T" * 256), 0),
    "TITLE_CONTROL_CHARS": (0, _set("title", "Wool\tBlazer"), 0),
    "TITLE_EMOJI": (0, _set("title", "Wool Blazer \U0001F525"), 0),
    "TITLE_PROMOTIONAL": (0, _set("title", "Wool Blazer - Free Shipping"), 0),
    "DESCRIPTION_MISSING": (0, _set("description", ""), 0),
    "DESCRIPTION_TOO_LONG": (0, _set("description", "d" * 10001), 0),
    "IMAGE_URLS_INVALID": (0, _set("image_urls", "https://www.example.com/a.jpg"), 0),
    "IMAGE_URLS_NONE": (0, _set("image_urls", '{"images":[]}'), 0),
    "IMAGE_URLS_TOO_MANY": (0, _set("image_urls", json.dumps(
        {"images": [f"https://www.example.com/{n}.jpg" for n in range(10)]})), 0),
    "IMAGE_URL_NOT_ABSOLUTE": (0, _set("image_urls", '{"images":["/images/large/a.jpg"]}'), 0),
    "IMAGE_URL_FILE_TYPE": (0, _set("image_urls", '{"images":["https://www.example.com/a.gif"]}'), 0),
    "LANDING_PAGE_URL_INVALID": (0, _set("landing_page_url", "www.example.com/p.html"), 0),
    "PRODUCT_CATEGORY_MISSING": (0, _set("product_category", ""), 0),
    "SALE_REGIONS_INVALID": (0, _set("sale_regions", "default"), 0),
    "SALE_REGIONS_OTHER_REGION": (0, _set("sale_regions", "CA"), 0),
    "AVAILABILITY_INVALID": (0, _set("availability", "In Stock"), 0),
    "PRICE_MISSING": (0, _set("price", ""), 0),
    "PRICE_FORMAT": (0, _set("price", "0 N/A"), 0),
    "PRICE_CURRENCY": (0, _set("price", "12.99 EUR"), 0),
    "PRICE_OUT_OF_RANGE": (0, _set("price", "7600.01 USD"), 0),
    "VARIATION_PROPERTIES_INVALID": (0, _set(PROPS, '{"Color":'), 0),
    "VARIATION_PROPERTY_NAME_LENGTH": (0, _set(PROPS, '{"A very long attribute name":"x"}'), 0),
    "VARIATION_PROPERTY_VALUE_TOO_LONG": (0, _set(PROPS, json.dumps({"Color": "v" * 51})), 0),
    "IS_DEFAULT_VARIANT_INVALID": (2, _set("is_default_variant", "FALSE", 1), 1),
    "BRAND_MISSING": (0, _set("brand", ""), 0),
    "CONDITION_INVALID": (0, _set("condition", "mint"), 0),
    "GROUP_TOO_MANY_SKUS": (101, lambda rows: None, 100),
    "GROUP_TOO_MANY_PROPERTIES": (0, _set(PROPS, '{"A":"1","B":"1","C":"1","D":"1"}'), 0),
    "GROUP_PROPERTY_NAMES_DIFFER": (2, _set(PROPS, '{"Colour":"Navy","Size":"1"}', 1), 1),
    "GROUP_DUPLICATE_COMBINATION": (2, _copy_properties, 1),
    "GROUP_DEFAULT_VARIANT_COUNT": (2, _set("is_default_variant", "true", 1), 1),
    "GROUP_BRAND_INCONSISTENT": (2, _set("brand", "Other Brand", 1), 1),
    "GROUP_CATEGORY_INCONSISTENT": (2, _set("product_category", "mens-jackets", 1), 1),
}
LAYOUT = ("SKU_ID_DUPLICATE", "FILE_COLUMN_COUNT", "FILE_QUOTING", "FILE_BOM", "FILE_CRLF",
          "FILE_ROW_NOT_UTF8", "FILE_ROW_BINARY", "FILE_ROW_TOO_LONG")
# rules that need another region, another file, or the shop's state; tested elsewhere
ELSEWHERE = {"TITLE_TOO_SHORT", "FILE_EMPTY", "FILE_NO_ROWS", "FILE_HEADER_INVALID"}


def build_feed(path: Path) -> dict[str, tuple[int, str]]:
    """Write the feed; return each expected code's (line, sku_id)."""
    rows: list[dict] = product_rows("CLEAN", 3) + product_rows("SIMPLE-OK", 0)
    expected: dict[str, tuple[int, str]] = {}
    for number, (code, (variants, mutate, target)) in enumerate(CASES.items()):
        product = product_rows(f"P{number:02d}", variants)
        mutate(product)
        expected[code] = (len(rows) + target + 2, product[target]["sku_id"])
        rows += product
    expected["SKU_ID_DUPLICATE"] = (len(rows) + 2, "SIMPLE-OK")
    rows.append(dict(rows[3]))
    write_feed(path, rows)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.append(feed_line(["SHORT-ROW", "only two fields"]))
    lines.append('"BROKEN"|"unbalanced quote\n')
    expected["FILE_COLUMN_COUNT"] = (len(lines) - 1, "SHORT-ROW")
    expected["FILE_QUOTING"] = (len(lines), "")
    expected["FILE_BOM"] = (1, "")
    expected["FILE_CRLF"] = (1, "")
    unreadable = [b"caf\xe9|x\r\n", b"A\x00B\r\n", b"L" * (MAX_LINE_BYTES + 1) + b"\r\n"]
    for offset, code in enumerate(("FILE_ROW_NOT_UTF8", "FILE_ROW_BINARY", "FILE_ROW_TOO_LONG"), start=1):
        expected[code] = (len(lines) + offset, "")
    path.write_bytes(b"\xef\xbb\xbf" + "".join(line.replace("\n", "\r\n") for line in lines).encode()
                     + b"".join(unreadable))
    return expected


def test_every_product_feed_rule_is_exercised_here() -> None:
    product_codes = {r.code for r in RULES if r.scope in ("file", "row", "group")}
    assert product_codes == set(CASES) | set(LAYOUT) | ELSEWHERE


def test_one_violation_per_rule_yields_each_code_once_at_its_line_and_sku(tmp_path: Path) -> None:
    feed = tmp_path / "every-rule.txt"
    expected = build_feed(feed)
    result = CliRunner().invoke(check_command, [str(feed), "--format", "json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    found = {issue["code"]: issue for issue in report["issues"]}
    assert set(found) == set(expected)
    for code, (line, sku_id) in expected.items():
        issue = found[code]
        assert issue["count"] == 1, (code, issue)
        example = issue["examples"][0]
        assert example["line"] == line, (code, example)
        assert (example["sku_id"] or "") == sku_id, (code, example)
    warnings = {c for c, i in found.items() if i["severity"] == "warning" and not c.startswith("FILE_")}
    assert warnings == {"TITLE_PROMOTIONAL", "IMAGE_URL_FILE_TYPE", "GROUP_DEFAULT_VARIANT_COUNT",
                        "GROUP_BRAND_INCONSISTENT", "GROUP_CATEGORY_INCONSISTENT", "SKU_ID_DUPLICATE"}
    error_items = {issue["examples"][0]["line"] for issue in found.values() if issue["severity"] == "error"}
    assert report["items_with_errors"] == len(error_items)
