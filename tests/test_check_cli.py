"""`tiktok-sim check` as a user runs it: exit codes, kinds by content, and the three report formats."""

from __future__ import annotations

import importlib.util
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree
from support.sfcc import write_catalog, write_inventory, write_pricebook

from fixtures.sample import catalog_rows, product_rows, write_feed
from simulator.check import check_command

REPORT_KEYS = {"schema_version", "file", "kind", "region", "processing_state", "verdict", "error",
               "items_total", "items_valid", "items_with_errors", "items_with_warnings", "issues"}
ISSUE_KEYS = {"code", "severity", "field", "message", "hint", "count", "examples"}


def run(*args: str):
    return CliRunner().invoke(check_command, list(args))


def clean_rows() -> list[dict]:
    rows = product_rows("25592770M", 3) + product_rows("SIMPLE1", 0)
    rows[1]["variation_properties"] = '{"Color":"12\\\\" Frame","Size":"1"}'
    return rows


def test_clean_feed_with_cartridge_escaping_exits_0_quoted_or_not(tmp_path: Path) -> None:
    for quoted in (True, False):
        feed = write_feed(tmp_path / f"any-name-{quoted}.csv", clean_rows(), quoted=quoted)
        result = run(str(feed))
        assert result.exit_code == 0, result.output
        first, second = result.output.splitlines()[:2]
        assert first == f"{feed}: product feed, region US: ok"
        assert second.strip() == "items: 4 total, 4 valid, 0 with errors, 0 with warnings"


def test_binary_file_exits_2_and_says_why(tmp_path: Path) -> None:
    blob = tmp_path / "tiktok-feed-RefArch.txt"
    blob.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    result = run(str(blob), "--format", "json")
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["processing_state"] == "failure" and report["kind"] is None
    assert "binary" in report["error"] and str(blob) in report["error"]


def test_text_that_is_no_feed_exits_2(tmp_path: Path) -> None:
    notes = tmp_path / "README.md"
    notes.write_text("# Notes\n\nThis is not a feed at all.\n")
    result = run(str(notes))
    assert result.exit_code == 2
    assert "not a feed" in result.output and "neither a product feed" in result.output


def test_a_non_utf8_row_is_an_error_on_its_line_and_the_rest_is_checked(tmp_path: Path) -> None:
    rows = clean_rows()
    feed = write_feed(tmp_path / "feed.txt", rows)
    data = feed.read_bytes().replace(b"Tailored", "Tailor\xe9d".encode("latin-1"), 1)
    feed.write_bytes(data)
    result = run(str(feed), "--format", "json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    (issue,) = [found for found in report["issues"] if found["severity"] == "error"]
    assert (issue["code"], issue["examples"][0]["line"]) == ("FILE_ROW_NOT_UTF8", 2)
    assert "byte 0xe9 at column 22" in issue["examples"][0]["value"]
    assert (report["items_total"], report["items_with_errors"]) == (len(rows), 1)


def test_header_only_feed_passes_with_info_and_empty_file_is_an_empty_delete_feed(tmp_path: Path) -> None:
    header_only = write_feed(tmp_path / "feed.txt", [])
    empty = tmp_path / "delete-feed-RefArch-20240315141531.txt"
    empty.write_bytes(b"")
    result = run(str(header_only), str(empty), "--format", "json")
    assert result.exit_code == 0, result.output
    feed_report, delete_report = (json.loads(line) for line in result.stdout.splitlines())
    assert [i["code"] for i in feed_report["issues"]] == ["FILE_NO_ROWS"]
    assert feed_report["issues"][0]["severity"] == "info"
    assert (delete_report["kind"], delete_report["items_total"], delete_report["issues"]) == ("delete", 0, [])


def test_json_report_shape_examples_and_output_file(tmp_path: Path) -> None:
    rows = clean_rows()
    for row in rows:
        row["price"] = "9000 USD"
    rows[0]["title"] = "Blazer - free shipping"
    feed = write_feed(tmp_path / "feed.txt", rows)
    out = tmp_path / "report.json"
    result = run(str(feed), "--format", "json", "--max-examples", "2", "--output", str(out))
    assert result.exit_code == 1
    report = json.loads(out.read_text())
    assert set(report) == REPORT_KEYS
    assert (report["items_total"], report["items_valid"], report["items_with_errors"],
            report["items_with_warnings"]) == (4, 0, 4, 1)
    price, promo = report["issues"]
    assert set(price) == ISSUE_KEYS
    assert (price["code"], price["severity"], price["field"], price["count"]) == (
        "PRICE_OUT_OF_RANGE", "error", "price", 4)
    assert price["examples"] == [{"line": 2, "sku_id": "25592770M-0", "value": "9000 USD"},
                                 {"line": 3, "sku_id": "25592770M-1", "value": "9000 USD"}]
    assert (promo["code"], promo["severity"], promo["examples"][0]["value"]) == (
        "TITLE_PROMOTIONAL", "warning", "free shipping")


def test_region_option_changes_the_verdict(tmp_path: Path) -> None:
    rows = product_rows("M1", 2, region="GB", currency="GBP")
    feed = write_feed(tmp_path / "feed.txt", rows)
    assert run(str(feed), "--region", "UK").exit_code == 0
    result = run(str(feed), "--format", "json")
    assert result.exit_code == 1
    codes = {i["code"] for i in json.loads(result.stdout)["issues"]}
    assert codes == {"PRICE_CURRENCY", "SALE_REGIONS_OTHER_REGION"}
    assert run(str(feed), "--region", "XX").exit_code == 2


def test_junit_has_one_testcase_per_sku(tmp_path: Path) -> None:
    rows = clean_rows()
    rows[2]["condition"] = "mint"
    feed = write_feed(tmp_path / "feed.txt", rows)
    result = run(str(feed), "--format", "junit")
    assert result.exit_code == 1
    suite = etree.fromstring(result.stdout.encode()).find("testsuite")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [
        "sku 25592770M-0 (line 2)", "sku 25592770M-1 (line 3)", "sku 25592770M-2 (line 4)",
        "sku SIMPLE1 (line 5)"]
    failing = [c for c in cases if c.find("failure") is not None]
    assert [(c.get("name"), c.find("failure").get("type")) for c in failing] == [
        ("sku 25592770M-2 (line 4)", "CONDITION_INVALID")]
    assert (suite.get("tests"), suite.get("failures")) == ("4", "1")


def test_junit_escapes_hostile_values_and_stays_valid_xml(tmp_path: Path) -> None:
    rows = clean_rows()
    rows[0]["sku_id"] = 'A<&"\x01B'
    rows[1]["title"] = 'T <b>&amp; "q" \x02 end'
    feed = write_feed(tmp_path / "feed.txt", rows)
    result = run(str(feed), "--format", "junit")
    assert result.exit_code == 1
    suite = etree.fromstring(result.stdout_bytes).find("testsuite")
    first, second = suite.findall("testcase")[:2]
    assert first.get("name") == 'sku A<&"\\u0001B (line 2)'
    assert second.find("failure").get("type") == "TITLE_CONTROL_CHARS"
    assert 'value="T <b>&amp; \\"q\\" \\u0002 end"' in second.find("failure").text


def test_junit_of_many_rows_lists_every_sku_in_line_order(tmp_path: Path) -> None:
    rows = list(catalog_rows(2_401, 5))
    rows[11_000]["condition"] = "mint"
    feed = write_feed(tmp_path / "feed.txt", rows)
    result = run(str(feed), "--format", "junit", "--output", str(tmp_path / "report.xml"))
    assert result.exit_code == 1
    suite = etree.parse(str(tmp_path / "report.xml")).getroot().find("testsuite")
    names = [case.get("name") for case in suite.iter("testcase")]
    assert names == [f"sku {row['sku_id']} (line {line})" for line, row in enumerate(rows, start=2)]
    failing = [case.get("name") for case in suite.iter("testcase") if case.find("failure") is not None]
    assert failing == [f"sku {rows[11_000]['sku_id']} (line 11002)"]
    assert (suite.get("tests"), suite.get("failures")) == ("12005", "1")


def test_delete_feed_rules(tmp_path: Path) -> None:
    feed = tmp_path / "some-file.txt"
    feed.write_text("SKU-1\n\n" + "L" * 101 + "\nSKU 2 \nSKU-3\n")
    result = run(str(feed), "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["kind"] == "delete" and report["items_total"] == 5
    found = {i["code"]: i["examples"][0]["line"] for i in report["issues"]}
    assert found == {"DELETE_BLANK_ID": 2, "DELETE_ID_TOO_LONG": 3, "DELETE_ID_INVALID": 4}


def test_unreadable_file_wins_over_errors(tmp_path: Path) -> None:
    bad = write_feed(tmp_path / "feed.txt", [dict(clean_rows()[0], brand="")])
    inventory = tmp_path / "inventory.xml"
    inventory.write_text('<?xml version="1.0"?><inventory xmlns="urn:other"/>')
    result = run(str(bad), str(inventory))
    assert result.exit_code == 2
    assert "BRAND_MISSING" in result.output
    assert "not <inventory> in the SFCC inventory namespace" in result.output


def test_bench_script_reports_its_figure(capsys: pytest.CaptureFixture[str]) -> None:
    script = Path(__file__).resolve().parent.parent / "bench" / "check_bench.py"
    spec = importlib.util.spec_from_file_location("check_bench", script)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.main(500)
    figure = r"500 rows \(.* MB\) checked in [\d.]+ s \(.* rows/s\), peak RSS \d+ MB, 0 with errors\n"
    assert re.fullmatch(figure, capsys.readouterr().out)


def test_utf16_feed_is_named_as_such(tmp_path: Path) -> None:
    feed = write_feed(tmp_path / "feed.txt", clean_rows())
    feed.write_bytes(feed.read_text(encoding="utf-8").encode("utf-16"))
    result = run(str(feed))
    assert result.exit_code == 2
    assert "it is UTF-16 text; feeds are UTF-8" in result.output


def test_items_count_records_and_broken_lines_once_each(tmp_path: Path) -> None:
    rows = clean_rows()
    rows[2]["price"] = "9000 USD"
    feed = write_feed(tmp_path / "feed.txt", rows)
    lines = feed.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(2, '"ONLY"|"two fields"\n')
    lines.insert(4, "\n")
    feed.write_text("".join(lines), encoding="utf-8")
    result = run(str(feed), "--format", "json")
    report = json.loads(result.output)
    assert [(group["code"], group["count"]) for group in report["issues"]] == [
        ("FILE_COLUMN_COUNT", 2), ("PRICE_OUT_OF_RANGE", 1)]
    assert (report["items_total"], report["items_valid"], report["items_with_errors"]) == (6, 3, 3)


def test_text_report_says_each_failure_once_naming_the_file_once(tmp_path: Path) -> None:
    truncated = write_inventory(tmp_path / "inventory.xml", {"A": 1, "B": 2, "C": 3})
    truncated.write_bytes(truncated.read_bytes()[:-60])
    result = run(str(truncated))
    assert result.exit_code == 2
    assert result.stderr == ""
    header, problem = result.stdout.splitlines()[:2]
    assert header == f"{truncated}: inventory XML, region US: not checked"
    assert problem.startswith("  line ") and "truncated?" in problem and str(truncated) not in problem
    assert result.stdout.count(str(truncated)) == 1 and result.stdout.count("truncated?") == 1
    assert "valid" not in result.stdout  # records read before the cut are not a verdict on the file


def test_a_truncated_file_counts_no_valid_items_in_json(tmp_path: Path) -> None:
    truncated = write_inventory(tmp_path / "inventory.xml", {"A": 1, "B": 2, "C": 3})
    truncated.write_bytes(truncated.read_bytes()[:-60])
    result = run(str(truncated), "--format", "json")
    report = json.loads(result.stdout)
    assert (report["processing_state"], report["verdict"]) == ("failure", "not checked")
    assert report["items_valid"] == 0
    assert report["items_total"] >= 2 and report["error"].startswith(f"{truncated}:")
    assert result.stderr == f"error: {report['error']}\n"  # machine formats keep one line on stderr


def test_verdict_words_match_the_exit_status(tmp_path: Path) -> None:
    clean = write_feed(tmp_path / "clean.txt", clean_rows())
    broken = write_feed(tmp_path / "broken.txt", [dict(clean_rows()[0], condition="mint")])
    blob = tmp_path / "blob.bin"
    blob.write_bytes(b"\x00\x01")
    for files, status, verdicts in (([clean], 0, ["ok"]), ([clean, broken], 1, ["ok", "errors"]),
                                    ([broken, blob], 2, ["errors", "not checked"])):
        text, data = run(*map(str, files)), run(*map(str, files), "--format", "json")
        assert text.exit_code == data.exit_code == status
        headers = [line for line in text.stdout.splitlines() if line and not line.startswith(" ")]
        assert [line.rsplit(": ", 1)[1] for line in headers] == verdicts
        assert [json.loads(line)["verdict"] for line in data.stdout.splitlines()] == verdicts


@pytest.mark.parametrize(("writer", "what", "inputs"), [
    (lambda path: write_catalog(path, {"A": "One"}), "an SFCC catalog export",
     "--catalog {} --pricebook PRICEBOOK.xml"),
    (lambda path: write_pricebook(path, {"A": "10"}), "an SFCC price book export",
     "--catalog CATALOG.xml --pricebook {}"),
], ids=["catalog", "pricebook"])
def test_an_sfcc_export_is_named_with_the_command_that_makes_the_feed(
        tmp_path: Path, writer: Callable[[Path], Path], what: str, inputs: str) -> None:
    export = writer(tmp_path / "export.xml")
    result = run(str(export))
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        f"{export}: not checked",
        f"  this is {what}, not a TikTok feed. Run `sfcc-connector export {inputs.format(export)} "
        "--site-id SITE --out DIR` on it and check the feed it writes"]
    report = json.loads(run(str(export), "--format", "json").stdout)
    assert report["kind"] is None and "namespace" not in report["error"]


def test_a_site_export_archive_is_named_too(tmp_path: Path) -> None:
    archive = tmp_path / "site-export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("site-export/catalogs/master/catalog.xml", "<catalog/>")
    result = run(str(archive))
    assert result.exit_code == 2
    assert "zip archive (an SFCC site export?), not a TikTok feed. Unzip it, run `sfcc-connector export" \
        in result.stdout
