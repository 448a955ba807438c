"""One verdict (issue 11, case 6): for every rule of the catalog, an error means the simulator does not take
what it names (the product fails review, or the row, record or ID is not applied) and a warning or info
never keeps anything out. Each rule is triggered in a real file and sent through a real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.sfcc import INVENTORY_FOLDER, PRODUCT_FOLDER, inventory_xml
from support.simulator_client import Client, feed, row, running
from test_check_every_rule import CASES, build_feed

from simulator.feedfile import read_product_feed
from simulator.rules.catalog import RULES, rule
from simulator.rules.record import group_key

FEED = "tiktok-feed-RefArch-20261127100000-en_US.txt"
# rows a layout rule keeps out of the file's records: an error says the row is skipped
ROW_LAYOUT = {"FILE_COLUMN_COUNT", "FILE_QUOTING", "FILE_ROW_NOT_UTF8", "FILE_ROW_BINARY",
              "FILE_ROW_TOO_LONG"}
FILE_ELSEWHERE = ("FILE_HEADER_INVALID", "FILE_NO_ROWS", "FILE_EMPTY")


def taken_iff_not_error(code: str, taken: bool) -> None:
    """The one verdict: what a rule names is taken exactly when the rule is not an error."""
    severity = rule(code).severity
    assert taken == (severity != "error"), (code, severity, "taken" if taken else "kept out")


@pytest.fixture(scope="module")
def every_rule(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Client, dict, Path]]:
    folder = tmp_path_factory.mktemp("verdict")
    path = folder / FEED
    expected = build_feed(path)
    with running(folder / "sim") as client:
        client.drop(PRODUCT_FOLDER, FEED, path.read_bytes())
        job = client.run()
        assert job["state"] == "completed", job
        yield client, expected, path


def _status_of_line(client: Client, path: Path, line: int) -> str:
    records = {r.line: r for r in read_product_feed(path, lambda issue: None)}
    return client.product(group_key(records[line]))["status"]


@pytest.mark.parametrize("code", sorted(set(CASES) | {"SKU_ID_DUPLICATE", "FILE_BOM", "FILE_CRLF"}))
def test_a_product_rule_fails_the_product_exactly_when_it_is_an_error(every_rule: tuple, code: str) -> None:
    client, expected, path = every_rule
    line, _ = expected[code]
    if code in ("FILE_BOM", "FILE_CRLF"):  # the file's own rules: the first product stands for the file
        line = 2
    status = _status_of_line(client, path, line)
    assert status in ("FAILED", "ACTIVATE")
    taken_iff_not_error(code, status == "ACTIVATE")


@pytest.mark.parametrize("code", sorted(ROW_LAYOUT))
def test_a_row_layout_error_keeps_the_row_out(every_rule: tuple, code: str) -> None:
    client, expected, path = every_rule
    line, _ = expected[code]
    records = list(read_product_feed(path, lambda issue: None))
    shop_skus = {sku["seller_sku"] for p in client.products() for sku in p["skus"]}
    assert shop_skus == {r.sku_id for r in records}  # every record of the file, and no other row
    taken_iff_not_error(code, line in {r.line for r in records})


def test_file_rules_not_in_the_every_rule_feed(tmp_path: Path) -> None:
    """FILE_HEADER_INVALID and FILE_NO_ROWS take the file; FILE_EMPTY (an empty product feed) has nothing."""
    with running(tmp_path / "sim") as client:
        reordered = feed([row("H1", "H1")]).replace(b'"title"|"description"|', b'"description"|"title"|', 1)
        client.drop(PRODUCT_FOLDER, FEED, reordered)
        job = client.run()
        assert "FILE_HEADER_INVALID" in {i["code"] for i in job["issues"]}
        taken_iff_not_error("FILE_HEADER_INVALID", client.product("H1")["status"] == "ACTIVATE")
        client.drop(PRODUCT_FOLDER, "tiktok-feed-RefArch-20261127100001-en_US.txt", feed([]))
        job = client.run()
        assert "FILE_NO_ROWS" in {i["code"] for i in job["issues"]}
        taken_iff_not_error("FILE_NO_ROWS", job["state"] == "completed")
        client.drop(PRODUCT_FOLDER, "tiktok-feed-RefArch-20261127100002-en_US.txt", b"")
        job = client.run()
        assert "FILE_EMPTY" in {i["code"] for i in job["issues"]}
        taken_iff_not_error("FILE_EMPTY", job["counts"]["records"] > 0)


def test_title_too_short_fails_the_product_where_the_region_requires_it(tmp_path: Path) -> None:
    with running(tmp_path / "sim", region="SG") as client:
        client.drop_feed([row("T1", "T1", title="Short", sale_regions="SG", price="20 SGD")])
        job = client.run()
        assert "TITLE_TOO_SHORT" in {i["code"] for i in job["issues"]}
        taken_iff_not_error("TITLE_TOO_SHORT", client.product("T1")["status"] == "ACTIVATE")


DELETE_LINES = {  # line -> the rule it breaks ("" for a good line)
    1: "", 2: "DELETE_BLANK_ID", 3: "DELETE_ID_INVALID", 4: "DELETE_ID_TOO_LONG", 5: "DELETE_UNKNOWN_SKU",
    6: "DELETE_ID_UNTERMINATED",
}


def test_delete_rules(tmp_path: Path) -> None:
    """Only the good line and the unknown SKU's line reach the deletion: counted as deleted and unknown."""
    with running(tmp_path / "sim") as client:
        client.drop_feed([row(sku, sku) for sku in ("D1", "D3", "D6")])
        client.run()
        data = b"D1\n\n D3\n" + b"D" * 101 + b"\nNEVER-SYNCED\nD6"
        client.drop(PRODUCT_FOLDER, "delete-feed-RefArch-20261127100000.txt", data)
        job = client.run("product", "delete")
        found = {i["code"]: i["examples"][0]["line"] for i in job["issues"]}
        live = {p["item_group_id"] for p in client.products() if p["status"] != "DELETED"}
        assert live == {"D3", "D6"} and (job["counts"]["deleted"], job["counts"]["unknown"]) == (1, 1)
        for line, code in DELETE_LINES.items():
            if code:
                assert found[code] == line, (code, found)
                taken_iff_not_error(code, code == "DELETE_UNKNOWN_SKU")  # what the counts above show


INVENTORY = {  # SKU -> (the rule its record breaks, the record's inner XML)
    "I1": ("", "<allocation>4</allocation>"),
    "I2": ("INVENTORY_QUANTITY_MALFORMED", "<allocation>lots</allocation>"),
    "I3": ("INVENTORY_QUANTITY_NEGATIVE", "<allocation>-1</allocation>"),
    "I4": ("INVENTORY_QUANTITY_FRACTIONAL", "<allocation>1.5</allocation>"),
    "I5": ("INVENTORY_QUANTITY_MISSING", ""),
    "I6": ("INVENTORY_FIELD_INVALID", "<allocation>1</allocation><perpetual>maybe</perpetual>"),
    "I7": ("INVENTORY_QUANTITY_CAPPED", "<allocation>100000</allocation>"),
}
INVENTORY_ELSEWHERE = ("INVENTORY_PRODUCT_ID_MISSING", "INVENTORY_UNKNOWN_SKU", "INVENTORY_DUPLICATE_RECORD",
                       "INVENTORY_MISSING_SKU")


def test_inventory_rules(tmp_path: Path) -> None:
    with running(tmp_path / "sim") as client:
        client.drop_feed([row(sku, sku) for sku in [*INVENTORY, "I8", "I9"]])
        client.run()
        records = [(sku, inner) for sku, (_, inner) in INVENTORY.items()] + [
            ("", "<allocation>1</allocation>"), ("UNKNOWN", "<allocation>1</allocation>"),
            ("I8", "<allocation>2</allocation>"), ("I8", "<allocation>9</allocation>")]
        client.drop(INVENTORY_FOLDER, "inventory-RefArch-20261127100000.xml", inventory_xml(records))
        job = client.run("inventory", "create")
        codes = {i["code"] for i in job["issues"]}
        assert set(INVENTORY_ELSEWHERE) | {code for code, _ in INVENTORY.values() if code} <= codes, codes
        stock = {sku["seller_sku"]: sku["inventory"][0]["quantity"] if sku["inventory"] else None
                 for p in client.products() for sku in p["skus"]}
        assert (stock["I1"], stock["I7"], stock["I8"], stock["I9"]) == (4, 99_999, 2, None)
        assert job["report"]["applied"] == 3  # I1, I7, I8: no record without a product-id, none unknown
        for sku, (code, _) in INVENTORY.items():
            if code:
                taken_iff_not_error(code, stock[sku] is not None)
        taken_iff_not_error("INVENTORY_PRODUCT_ID_MISSING", False)  # applied counts it out, above
        taken_iff_not_error("INVENTORY_UNKNOWN_SKU", stock["I1"] == 4)  # it keeps nothing else out
        taken_iff_not_error("INVENTORY_DUPLICATE_RECORD", stock["I8"] == 9)  # the second record
        taken_iff_not_error("INVENTORY_MISSING_SKU", stock["I1"] == 4)  # the file was taken


def test_every_rule_of_the_catalog_is_judged_here() -> None:
    judged = (set(CASES) | ROW_LAYOUT | {"SKU_ID_DUPLICATE", "FILE_BOM", "FILE_CRLF", "TITLE_TOO_SHORT"}
              | set(FILE_ELSEWHERE) | set(DELETE_LINES.values()) - {""} | set(INVENTORY_ELSEWHERE)
              | {code for code, _ in INVENTORY.values() if code})
    assert judged == {r.code for r in RULES}
