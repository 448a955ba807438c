"""Steps for feed_rules.feature: one bad value, then `tiktok-sim check` and the simulator's review agree.

The check half runs `check_command` in-process on a file in tmp_path; the review half drops the same
bytes in the simulator's WebDAV product folder and alerts, through the `sim` fixture.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from harness import Sim
from pytest_bdd import given, parsers, scenarios, then, when
from support.sfcc import PRODUCT_FOLDER

from fixtures.sample import feed_line, product_rows, write_feed
from simulator.check import check_command
from simulator.rules.catalog import rule

scenarios("feed_rules.feature")

FEED_NAME = "tiktok-feed-RefArch-20240315021530-en_US.txt"
_REPEAT = re.compile(r"\{([^{}]+?)\*(\d+)\}")
EXIT_STATUS = {"error": 1, "warning": 0, "info": 0}


@dataclass
class FeedUnderTest:
    """The feed a scenario builds, and the line it broke."""

    tmp_path: Path
    rows: list[dict] = field(default_factory=list)
    rewrite: Callable[[str], str] = staticmethod(lambda text: text)
    line: int | None = None

    def data(self) -> bytes:
        path = write_feed(self.tmp_path / FEED_NAME, self.rows)
        return self.rewrite(path.read_text(encoding="utf-8")).encode("utf-8")


@dataclass(frozen=True)
class Checked:
    """What `tiktok-sim check` said about the feed: its exit status and JSON report."""

    exit_code: int
    report: dict[str, Any]

    def codes(self) -> dict[str, dict]:
        return {issue["code"]: issue for issue in self.report["issues"]}


@pytest.fixture
def feed(tmp_path: Path) -> FeedUnderTest:
    return FeedUnderTest(tmp_path)


def expand(value: str) -> str:
    """{text*N} is N copies of text, {tab} a TAB: values a feature table cannot hold literally."""
    return _REPEAT.sub(lambda m: m.group(1) * int(m.group(2)), value).replace("{tab}", "\t")


@given("a valid product feed in the cartridge's layout, with a variant value that carries the cartridge's "
       "escaped quote")
def _valid_feed(feed: FeedUnderTest) -> None:
    feed.rows = product_rows("M1", 3) + product_rows("S1", 0)
    feed.rows[1]["variation_properties"] = '{"Color":"12\\\\" Frame","Size":"1"}'


@when(parsers.re(r'the SKU "(?P<sku>[^"]+)" gets the (?P<column>\w+) value "(?P<value>.*)"'))
def _set_value(feed: FeedUnderTest, sku: str, column: str, value: str) -> None:
    index = next(n for n, row in enumerate(feed.rows) if row["sku_id"] == sku)
    feed.rows[index][column] = expand(value)
    feed.line = index + 2


def _extra_line(text: str) -> Callable[[str], str]:
    return lambda feed_text: feed_text + text


CHANGES: dict[str, Callable[[FeedUnderTest], None]] = {
    "a byte order mark": lambda f: setattr(f, "rewrite", lambda text: "\ufeff" + text),
    "CR LF line ends": lambda f: setattr(f, "rewrite", lambda text: text.replace("\n", "\r\n")),
    "a row with two fields": lambda f: setattr(f, "rewrite", _extra_line(feed_line(["S9", "Blazer"]))),
    "a row with an unbalanced quote": lambda f: setattr(f, "rewrite", _extra_line('"S9"|"Blazer\n')),
    "a second row for the SKU S1": lambda f: f.rows.append(dict(f.rows[-1])),
    "a header with its columns reordered": lambda f: setattr(  # rows are read by name: only a warning
        f, "rewrite", lambda text: text.replace('"title"|"description"|', '"description"|"title"|', 1)),
    "no rows after the header": lambda f: f.rows.clear(),
    "a product with 101 SKUs": lambda f: f.rows.extend(product_rows("BIG", 101)),
}


@when(parsers.parse("the feed has {change}"))
def _change(feed: FeedUnderTest, change: str) -> None:
    CHANGES[change](feed)


def _check(feed: FeedUnderTest, *options: str) -> Checked:
    path = feed.tmp_path / "checked" / FEED_NAME
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(feed.data())
    result = CliRunner().invoke(check_command, [str(path), "--format", "json", "--max-examples", "200",
                                                *options])
    return Checked(result.exit_code, json.loads(result.stdout))


@when("the feed is checked with tiktok-sim check", target_fixture="checked")
def _checked(feed: FeedUnderTest) -> Checked:
    return _check(feed)


@when(parsers.parse("the feed is checked with tiktok-sim check for region {region}"),
      target_fixture="checked")
def _checked_region(feed: FeedUnderTest, region: str) -> Checked:
    return _check(feed, "--region", region)


@then("tiktok-sim check finds nothing and exits with status 0")
def _nothing(feed: FeedUnderTest, checked: Checked) -> None:
    assert (checked.exit_code, checked.report["issues"]) == (0, []), checked.report
    assert checked.report["items_valid"] == checked.report["items_total"] == len(feed.rows)


@then(parsers.parse("tiktok-sim check reports only {code}, as {severity}, on that SKU's line"))
def _reported_on_line(feed: FeedUnderTest, checked: Checked, code: str, severity: str) -> None:
    assert list(checked.codes()) == [code], checked.report["issues"]
    issue = checked.codes()[code]
    where = issue["examples"][0]["line"]
    assert (issue["severity"], issue["count"], where) == (severity, 1, feed.line), issue


@then(parsers.re(r"tiktok-sim check reports (?P<code>[A-Z_]+), as (?P<severity>\w+)"))
def _reported(checked: Checked, code: str, severity: str) -> None:
    assert code in checked.codes(), checked.report["issues"]
    assert checked.codes()[code]["severity"] == severity


@then(parsers.parse("tiktok-sim check exits with the status for {severity}"))
def _exit_status(checked: Checked, severity: str) -> None:
    errors = [i["code"] for i in checked.report["issues"] if i["severity"] == "error"]
    assert checked.exit_code == EXIT_STATUS[severity] == (1 if errors else 0), (checked.exit_code, errors)


@when("the feed is dropped in the product folder and TikTok Shop is alerted", target_fixture="job")
def _dropped(feed: FeedUnderTest, sim: Sim) -> dict[str, Any]:
    sim.drop(PRODUCT_FOLDER, FEED_NAME, feed.data())
    answer = sim.alert("product", "update")
    assert answer["code"] == 0, answer
    return sim.wait_job(answer["data"]["job_id"])


@then("every product of the feed is published as ACTIVATE")
def _all_published(feed: FeedUnderTest, job: dict[str, Any], sim: Sim) -> None:
    assert job["state"] == "completed", job
    for group in {row["item_group_id"] for row in feed.rows}:
        product = sim.product(group)
        assert (product["status"], product["audit"]["status"]) == ("ACTIVATE", "APPROVED"), product


@then(parsers.parse("the simulator's job reports {code}"))
def _job_reports(job: dict[str, Any], code: str) -> None:
    assert code in [issue["code"] for issue in job["issues"]], job


@then(parsers.parse('the product "{product}" is {outcome} because of {code}'))
def _product_outcome(sim: Sim, product: str, outcome: str, code: str) -> None:
    found = sim.product(product)
    assert found["status"] == outcome, found
    if outcome == "FAILED":
        reasons = [reason for entry in found["audit_failed_reasons"] for reason in entry["reasons"]]
        assert rule(code).message in reasons, found["audit_failed_reasons"]
    else:
        assert code in [warning["code"] for warning in found["warnings"]], found["warnings"]
