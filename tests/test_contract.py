"""The contract between the two sides: the connector and the simulator share no code, so nothing but
this test keeps them agreeing with each other and with docs/formats.md on the feed header, the Impex
path, the folder names and the file-name patterns.

Each side's own constants are compared, never one side's imported into the other: a drift on either
side, or in the document, fails here with the value each of the three holds.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from connector import names
from connector.feed import FEED_HEADER
from connector.webdav import IMPEX_PATH, INVENTORY_FOLDER, PRODUCT_FOLDER, tracking_folder
from simulator.dav import DAV_MOUNT
from simulator.feedfile import PRODUCT_COLUMNS
from simulator.flows import FLOWS

FORMATS = (Path(__file__).resolve().parent.parent / "docs" / "formats.md").read_text(encoding="utf-8")
# a morning and an afternoon time: the feed name's 12-hour clock must not change what matches
MOMENTS = (datetime(2024, 3, 15, 2, 15, 30, 123000), datetime(2024, 3, 15, 14, 5, 9, 7000))


def _documented_columns() -> list[str]:
    """The `| # | column |` table of formats.md section 2, in its order."""
    return re.findall(r"^\| \d+ \| `([a-z_]+)` \|", FORMATS, flags=re.MULTILINE)


def test_feed_header_is_the_same_on_both_sides_and_in_the_document() -> None:
    assert tuple(FEED_HEADER) == PRODUCT_COLUMNS, "connector header != simulator header"
    assert tuple(_documented_columns()) == PRODUCT_COLUMNS, "docs/formats.md column table != simulator"


def test_impex_path_is_the_same_on_both_sides_and_in_the_document() -> None:
    assert IMPEX_PATH == DAV_MOUNT
    assert f"<instance>{DAV_MOUNT}/" in FORMATS


@pytest.mark.parametrize("folder", [PRODUCT_FOLDER, INVENTORY_FOLDER, tracking_folder("<SiteID>")])
def test_connector_folders_are_the_documented_ones(folder: str) -> None:
    assert f"| `{folder}/` |" in FORMATS, f"{folder}/ is not in the folder table of docs/formats.md"


def _kinds_taking(name: str) -> set[tuple[str, str]]:
    """The alert kinds whose pickup would take a file of this name."""
    return {kind for kind, flow in FLOWS.items() if flow.pattern.fullmatch(name)}


@pytest.mark.parametrize("now", MOMENTS, ids=["am", "pm"])
def test_each_connector_file_is_taken_by_exactly_its_own_alert_kinds(now: datetime) -> None:
    product = {("product", "update"), ("product", "create")}
    inventory = {("inventory", "create"), ("inventory", "update")}
    assert _kinds_taking(names.feed_file_name("RefArch", "en_US", now)) == product
    assert _kinds_taking(names.delete_feed_name("RefArch", now)) == {("product", "delete")}
    assert _kinds_taking(names.inventory_file_name("RefArch", now)) == inventory
    assert _kinds_taking(names.tracker_file_name(now, "en_US")) == set()
    assert _kinds_taking(names.LASTRUN_NAME) == set()


def test_every_alert_kind_the_connector_sends_is_in_the_flow_table() -> None:
    # reference 5.1: product sends delete then update; the inventory job sends create
    for kind in (("product", "delete"), ("product", "update"), ("inventory", "create")):
        assert kind in FLOWS


@pytest.mark.parametrize(
    "documented",
    ["`tiktok-feed-<SiteID>-<yyyyMMddhhmmss>-<locale>.txt`", "`delete-feed-<SiteID>-<yyyyMMddHHmmss>.txt`",
     "`inventory-<SiteID>-<yyyyMMddHHmmssSSS>.xml`", "`TEMP_<name>`"],
)
def test_documented_name_patterns_are_the_ones_both_sides_use(documented: str) -> None:
    assert documented in FORMATS
    pattern = documented.strip("`")
    example = (pattern.replace("<SiteID>", "RefArch").replace("<locale>", "en_US")
               .replace("<yyyyMMddhhmmss>", "20240315021530").replace("<yyyyMMddHHmmss>", "20240315141530")
               .replace("<yyyyMMddHHmmssSSS>", "20240315141530123").replace("<name>", "x.txt"))
    made = {
        "tiktok-feed": names.feed_file_name("RefArch", "en_US", datetime(2024, 3, 15, 2, 15, 30)),
        "delete-feed": names.delete_feed_name("RefArch", datetime(2024, 3, 15, 14, 15, 30)),
        "inventory-": names.inventory_file_name("RefArch", datetime(2024, 3, 15, 14, 15, 30, 123000)),
        "TEMP_": names.temp_name("x.txt"),
    }
    prefix = next(p for p in made if pattern.startswith(p))
    assert made[prefix] == example, f"the connector writes {made[prefix]!r} where the document says {pattern}"
    if prefix != "TEMP_":
        assert _kinds_taking(example), f"no simulator flow takes {example!r}"
    else:
        assert not _kinds_taking(names.temp_name(names.feed_file_name("RefArch", "en_US", MOMENTS[0])))
