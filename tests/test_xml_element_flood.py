"""Memory stays flat on any well-formed XML: the readers release every element, known or not, and refuse
a record too large to hold. Run as a user would (`sfcc-connector export`, `tiktok-sim check` as their own
processes), with each process's own peak RSS (`VmHWM`)."""

from __future__ import annotations

from pathlib import Path

from support.sfcc import write_catalog, write_inventory, write_pricebook

from connector.records import MAX_RECORD_ELEMENTS
from fixtures.peak import run_measured
from simulator.inventoryfile import MAX_RECORD_ELEMENTS as MAX_INVENTORY_RECORD_ELEMENTS

# lxml keeps about 120 bytes per element it holds: unreleased, this flood alone would add about 115 MiB to
# the 60-odd MiB a run takes (measured: 63 MiB with every element released)
FLOOD_ELEMENTS = 1_000_000
PEAK_LIMIT_MIB = 110


def flood(path: Path, before: str, count: int = FLOOD_ELEMENTS) -> None:
    """Put `count` unknown, well-formed elements into `path` just before `before`."""
    text = path.read_text(encoding="utf-8")
    head, _, tail = text.rpartition(before)
    with open(path, "w", encoding="utf-8") as out:
        out.write(head)
        out.write("<unknown-wrapper>")
        chunk = "<u/>" * 10_000
        for _ in range(count // 10_000):
            out.write(chunk)
        out.write("</unknown-wrapper>\n")
        out.write(before + tail)


def export(catalog: Path, prices: Path, out: Path) -> tuple[str, ...]:
    return ("connector.cli", "export", "--full", "--catalog", str(catalog), "--pricebook", str(prices),
            "--site-id", "S", "--out", str(out))


def test_the_connector_stays_flat_on_a_flood_of_unknown_catalog_elements(tmp_path: Path) -> None:
    catalog = write_catalog(tmp_path / "catalog.xml", {"S1": "One", "S2": "Two"})
    flood(catalog, "</catalog>")
    prices = write_pricebook(tmp_path / "prices.xml", {"S1": "10", "S2": "12"})
    flood(prices, "</pricebooks>")
    out = tmp_path / "out"
    code, output, peak = run_measured(*export(catalog, prices, out))
    assert code == 0, output
    feed = next(out.rglob("tiktok-feed-*.txt")).read_text(encoding="utf-8")
    assert '"S1"' in feed and '"S2"' in feed
    assert peak is not None and peak < PEAK_LIMIT_MIB, f"peak RSS {peak} MiB"


def test_check_stays_flat_on_a_flood_of_unknown_inventory_elements(tmp_path: Path) -> None:
    inventory = write_inventory(tmp_path / "inventory.xml", {"S1": 3, "S2": 0})
    flood(inventory, "</inventory-list>")
    code, output, peak = run_measured("simulator.cli", "check", str(inventory))
    assert code == 0, output
    assert peak is not None and peak < PEAK_LIMIT_MIB, f"peak RSS {peak} MiB"


def test_a_product_too_large_to_hold_is_refused_naming_its_line(tmp_path: Path) -> None:
    catalog = write_catalog(tmp_path / "catalog.xml", {"S1": "One", "S2": "Two"})
    text = catalog.read_text(encoding="utf-8")
    line = text.partition('product-id="S2"')[0].count("\n") + 1
    children = "<x/>" * (MAX_RECORD_ELEMENTS + 1)
    catalog.write_text(text.replace('product-id="S2">', f'product-id="S2">{children}'), encoding="utf-8")
    prices = write_pricebook(tmp_path / "prices.xml", {"S1": "10", "S2": "12"})
    code, output, _ = run_measured(*export(catalog, prices, tmp_path / "out"))
    assert code != 0
    assert f"{catalog}:{line}: <product> holds more than {MAX_RECORD_ELEMENTS:,} elements" in output, output


def test_an_inventory_record_too_large_to_hold_is_refused_naming_its_line(tmp_path: Path) -> None:
    inventory = write_inventory(tmp_path / "inventory.xml", {"S1": 3, "S2": 0})
    text = inventory.read_text(encoding="utf-8")
    line = text.partition('product-id="S2"')[0].count("\n") + 1
    children = "<x/>" * (MAX_INVENTORY_RECORD_ELEMENTS + 1)
    inventory.write_text(text.replace('product-id="S2">', f'product-id="S2">{children}'), encoding="utf-8")
    code, output, _ = run_measured("simulator.cli", "check", str(inventory))
    assert code != 0
    assert f"<record> holds more than {MAX_INVENTORY_RECORD_ELEMENTS:,} elements" in output, output
    assert f"line {line}" in output or f":{line}" in output, output
