"""The row rules remember their findings per column value: on tricky values, repeated, interleaved, across
regions and with a cache that fills and forgets, the issues are exactly those of each rule run on the row."""

from __future__ import annotations

import dataclasses
import json

import pytest
from support.simulator_client import row

from simulator.rules import engine
from simulator.rules.catalog import rule
from simulator.rules.issues import Issue, make_issue
from simulator.rules.profiles import Profile, get_profile
from simulator.rules.record import FeedRecord

LONG = "x" * 10_001
TRICKY: list[dict[str, str]] = [
    {},
    {"title": "   "}, {"title": "Bad\x07title"}, {"title": "Nice 😀 shirt"}, {"title": "Best price shirt"},
    {"title": "T" * 256}, {"title": "Short"}, {"title": ""},
    {"description": ""}, {"description": "  "}, {"description": LONG}, {"description": LONG},
    {"description": LONG + "y"}, {"description": "A good product."},
    {"sku_id": "S" * 51}, {"sku_id": " "}, {"sku_id": ""},
    {"landing_page_url": "ftp://shop.example.com/x"}, {"landing_page_url": "https://shop.example.com/a b"},
    {"landing_page_url": ""}, {"landing_page_url": "https://shop.example.com/ok.html"},
    {"price": "0 USD"}, {"price": "1.5 EUR"}, {"price": "abc"}, {"price": ""}, {"price": "7600.01 USD"},
    {"image_urls": "not json"}, {"image_urls": '{"images":[]}'}, {"image_urls": "[]"},
    {"image_urls": json.dumps({"images": [f"https://img.example.com/{n}.jpg" for n in range(10)]})},
    {"image_urls": '{"images":["/relative.jpg","https://img.example.com/a.gif"]}'},
    {"variation_properties": "{bad"}, {"variation_properties": json.dumps({"N" * 21: "v"})},
    {"variation_properties": json.dumps({"Size": "v" * 51})}, {"variation_properties": "[]"},
    {"sale_regions": "GB"}, {"sale_regions": "XX"}, {"sale_regions": ""},
    {"availability": "maybe"}, {"condition": ""}, {"is_default_variant": "yes"}, {"brand": " "},
    {"product_category": ""},
    # one value in several columns: each column's rules judge it on their own
    {"title": "", "brand": "", "description": "", "product_category": ""},
]


def _records() -> list[FeedRecord]:
    rows = [row(f"SKU-{n}", f"G{n}", **values) for n, values in enumerate(TRICKY)]
    # again, in another order, so remembered values come back between others
    rows += [row(f"SKU-{n}-again", f"G{n}", **values) for n, values in reversed(list(enumerate(TRICKY)))]
    return [FeedRecord(line, values) for line, values in enumerate(rows, 2)]


def _each_rule(record: FeedRecord, profile: Profile) -> list[Issue]:
    """What every row rule that applies to the region finds in the row, each run on the row itself."""
    issues = []
    for code, check in engine.ROW_CHECKS.items():
        if engine.applies(rule(code), profile):
            value = check(engine.Row(record.values), profile)
            if value is not None:
                issues.append(make_issue(code, line=record.line, sku_id=record.sku_id,
                                         item_group_id=record.item_group_id, value=value))
    return issues


def _row_issues(records: list[FeedRecord], profile: Profile) -> list[list[Issue]]:
    found = []
    for record in records:
        issues = engine.check_group([record], profile)
        found.append([issue for issue in issues if issue.code in engine.ROW_CHECKS])
    return found


@pytest.mark.parametrize("region", ["US", "SG"])
def test_remembered_findings_are_each_rules_findings(region: str) -> None:
    profile = dataclasses.replace(get_profile(region))  # a profile of its own: nothing remembered yet
    records = _records()
    expected = [_each_rule(record, profile) for record in records]
    assert _row_issues(records, profile) == expected
    assert _row_issues(records, profile) == expected  # all remembered now
    assert any(expected)


def test_a_full_cache_forgets_without_changing_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "_REMEMBERED", 2)
    profile = dataclasses.replace(get_profile("US"))
    records = _records()
    assert _row_issues(records, profile) == [_each_rule(record, profile) for record in records]
