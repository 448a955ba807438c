"""The rule catalog as data, the region profiles, and docs/rules.md generated from them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.check import rules_command
from simulator.rules.catalog import RULES, SCOPES, SEVERITIES, rule
from simulator.rules.engine import GROUP_ADD_CHECKS, GROUP_FINISH_CHECKS, ROW_CHECKS
from simulator.rules.profiles import get_profile

DOC = Path(__file__).resolve().parent.parent / "docs" / "rules.md"
# Codes raised by the readers (file layout, delete and inventory files) or by the server with the
# shop's state, rather than by a check function of the engine.
RAISED_ELSEWHERE = {
    "FILE_EMPTY", "FILE_NO_ROWS", "FILE_BOM", "FILE_HEADER_INVALID", "FILE_CRLF", "FILE_COLUMN_COUNT",
    "FILE_QUOTING", "SKU_ID_DUPLICATE", "DELETE_BLANK_ID", "DELETE_ID_TOO_LONG", "DELETE_ID_INVALID",
    "DELETE_UNKNOWN_SKU", "INVENTORY_PRODUCT_ID_MISSING", "INVENTORY_QUANTITY_MALFORMED",
    "INVENTORY_QUANTITY_NEGATIVE", "INVENTORY_QUANTITY_FRACTIONAL", "INVENTORY_QUANTITY_MISSING",
    "INVENTORY_FIELD_INVALID", "INVENTORY_DUPLICATE_RECORD", "INVENTORY_QUANTITY_CAPPED",
    "INVENTORY_UNKNOWN_SKU", "INVENTORY_MISSING_SKU", "FILE_ROW_NOT_UTF8", "FILE_ROW_BINARY",
    "FILE_ROW_TOO_LONG", "DELETE_ID_UNTERMINATED",
}


def test_codes_are_unique_and_every_rule_is_complete() -> None:
    codes = [r.code for r in RULES]
    assert len(codes) == len(set(codes))
    for found in RULES:
        assert found.severity in SEVERITIES and found.scope in SCOPES, found
        assert found.field and found.message and found.hint and found.source, found
        assert all(region == get_profile(region).region for region in found.regions), found


def test_every_rule_has_exactly_one_implementation() -> None:
    engine_codes = set(ROW_CHECKS) | set(GROUP_ADD_CHECKS) | set(GROUP_FINISH_CHECKS)
    assert engine_codes.isdisjoint(RAISED_ELSEWHERE)
    assert engine_codes | RAISED_ELSEWHERE == {r.code for r in RULES}


def test_server_side_codes_exist_with_warning_severity() -> None:
    for code in ("INVENTORY_UNKNOWN_SKU", "INVENTORY_MISSING_SKU", "DELETE_UNKNOWN_SKU"):
        assert rule(code).severity == "warning"


def test_unknown_code_is_a_loud_error() -> None:
    with pytest.raises(KeyError, match="NO_SUCH_RULE"):
        rule("NO_SUCH_RULE")


def test_region_profiles() -> None:
    us, uk, sg = get_profile(), get_profile("uk"), get_profile("SG")
    assert (us.region, us.currency, us.price_min, us.price_max, us.title_min, us.max_skus) == (
        "US", "USD", Decimal("0.01"), Decimal("7600"), 1, 100)
    assert (uk.country, uk.currency, uk.price_max) == ("GB", "GBP", Decimal("5600"))
    assert (sg.title_min, sg.title_max, sg.max_skus, sg.max_inventory) == (25, 255, 300, 99999)


def test_unknown_region_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"'XX'.*US, UK, SG"):
        get_profile("XX")


def test_rules_doc_is_the_catalog() -> None:
    result = CliRunner().invoke(rules_command, ["--markdown"])
    assert result.exit_code == 0
    assert DOC.read_text(encoding="utf-8") == result.output, (
        "docs/rules.md is stale: run `tiktok-sim rules --markdown > docs/rules.md`")
    for found in RULES:
        assert f"| `{found.code}` | {found.severity} |" in result.output


def test_rules_lists_every_code() -> None:
    result = CliRunner().invoke(rules_command, [])
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.output.splitlines()] == [r.code for r in RULES]
