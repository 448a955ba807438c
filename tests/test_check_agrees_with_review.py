"""`tiktok-sim check` and the simulator's review give every product of a fixture feed the same verdict."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.sfcc import PRODUCT_FOLDER
from support.simulator_client import running
from test_check_every_rule import build_feed

from simulator.check import check_command
from simulator.feedfile import read_product_feed
from simulator.rules.catalog import rule
from simulator.rules.record import group_key

FEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "feeds"


def _check_verdicts(path: Path) -> dict[str, tuple[set[str], set[str]]]:
    """Per product: (error messages, warning codes) from `check`, for product and group rules."""
    group_of = {(r.line, r.sku_id): group_key(r) for r in read_product_feed(path, lambda issue: None)}
    by_line = {line: group for (line, _), group in group_of.items()}
    result = CliRunner().invoke(check_command, [str(path), "--format", "json", "--max-examples", "100000"])
    assert result.exit_code in (0, 1), result.output
    verdicts: dict[str, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    for issue in json.loads(result.stdout)["issues"]:
        if rule(issue["code"]).scope not in ("row", "group") or issue["code"].startswith("FILE_"):
            continue
        assert issue["count"] == len(issue["examples"])
        for example in issue["examples"]:
            if issue["code"] == "SKU_ID_DUPLICATE":
                continue  # the repeated row is kept out of check's verdict; the review keeps the last row
            errors, warnings = verdicts[by_line[example["line"]]]
            (errors if issue["severity"] == "error" else warnings).add(
                issue["message"] if issue["severity"] == "error" else issue["code"])
    for group in set(by_line.values()):
        verdicts.setdefault(group, (set(), set()))
    return verdicts


def _every_rule_feed(tmp_path: Path) -> Path:
    path = tmp_path / FIXTURE_FEED
    build_feed(path)
    return path


FIXTURE_FEED = "tiktok-feed-RefArch-20240315021530-en_US.txt"


@pytest.mark.parametrize("source", [FIXTURE_FEED, "tiktok-feed-unquoted.txt", "every-rule"])
def test_review_and_check_agree_on_each_product(tmp_path: Path, source: str) -> None:
    path = _every_rule_feed(tmp_path) if source == "every-rule" else FEEDS / source
    expected = _check_verdicts(path)
    with running(tmp_path / "sim") as sim:
        sim.drop(PRODUCT_FOLDER, FIXTURE_FEED, path.read_bytes())
        job = sim.run()
        assert job["state"] == "completed", job
        products = {p["item_group_id"]: p for p in sim.products()}
        assert set(products) == set(expected)
        for group, (errors, warnings) in expected.items():
            found = sim.product(group)
            reasons = {reason for entry in found["audit_failed_reasons"] for reason in entry["reasons"]}
            review = (found["status"], reasons, {w["code"] for w in found["warnings"]})
            assert review == ("FAILED" if errors else "ACTIVATE", errors, warnings), group
