"""A DTD is refused wherever it stands and in any encoding, on both sides, naming the file and line; an
entity is never silently dropped. Run as a user would: `sfcc-connector export`, `tiktok-sim check`, and
an inventory alert to a real simulator server."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from support.sfcc import INVENTORY_FOLDER, write_catalog, write_inventory, write_pricebook
from support.simulator_client import running

from connector.cli import main as connector_main
from simulator.check import check_command

ENTITY_DTD = '<!DOCTYPE {root} [<!ENTITY t "Title">]>'
# Each way a text pre-scan was bypassed, and the DTD forms: (what comes before the DOCTYPE, the DOCTYPE)
PLACEMENTS: dict[str, tuple[str, str]] = {
    "right-after-the-declaration": ("", ENTITY_DTD),
    "after-a-comment": ("<!-- <product> exported by SFCC -->\n", ENTITY_DTD),
    "after-a-processing-instruction": ("<?sfcc <export> ?>\n", ENTITY_DTD),
    "after-64-KiB-of-comment": ("<!--" + "x" * 70000 + "-->\n", ENTITY_DTD),
    "after-64-KiB-of-spaces": (" " * 70000 + "\n", ENTITY_DTD),
    "external-only": ("", '<!DOCTYPE {root} SYSTEM "http://127.0.0.1:9/evil.dtd">'),
    "bare": ("", "<!DOCTYPE {root}>"),
    "parameter-entity": ("", """<!DOCTYPE {root} [<!ENTITY % p "<!ENTITY t 'Title'>"> %p;]>"""),
}
ENCODINGS = ("utf-8", "utf-16")


def with_dtd(path: Path, root: str, placement: str, encoding: str) -> int:
    """Put a DTD into the UTF-8 XML file a helper wrote at `path`; return the root element's line."""
    before, doctype = PLACEMENTS[placement]
    text = path.read_text(encoding="utf-8")
    rest = text.partition("?>")[2].lstrip("\n")
    text = f'<?xml version="1.0" encoding="{encoding.upper()}"?>\n{before}{doctype.format(root=root)}\n{rest}'
    path.write_bytes(text.encode(encoding))  # utf-16 writes a byte order mark, as Windows tools do
    return text.partition(f"<{root} ")[0].count("\n") + 1


def export(catalog: Path, prices: Path, out: Path) -> Result:
    return CliRunner().invoke(connector_main, ["export", "--full", "--catalog", str(catalog), "--pricebook",
                                               str(prices), "--site-id", "S", "--out", str(out)])


def both_ways() -> pytest.MarkDecorator:
    return pytest.mark.parametrize("placement", list(PLACEMENTS))


@pytest.mark.parametrize("encoding", ENCODINGS)
@both_ways()
def test_the_connector_refuses_a_catalog_with_a_dtd_naming_file_and_line(
    tmp_path: Path, placement: str, encoding: str
) -> None:
    catalog = write_catalog(tmp_path / "catalog.xml", {"S1": "One"})
    line = with_dtd(catalog, "catalog", placement, encoding)
    prices = write_pricebook(tmp_path / "prices.xml", {"S1": "10"})
    out = tmp_path / "out"
    result = export(catalog, prices, out)
    assert result.exit_code != 0
    assert f"{catalog}:{line}: DOCTYPE/ENTITY declarations are refused" in result.output, result.output
    assert not out.exists() or not any(out.rglob("*.txt"))


@both_ways()
def test_check_refuses_an_inventory_with_a_dtd_naming_file_and_line(tmp_path: Path, placement: str) -> None:
    """UTF-8 only: `check` tells a feed from an inventory by content, and takes no UTF-16 file for either."""
    inventory = write_inventory(tmp_path / "inventory.xml", {"S1": 3})
    line = with_dtd(inventory, "inventory", placement, "utf-8")
    result = CliRunner().invoke(check_command, [str(inventory)])
    assert result.exit_code != 0
    assert f"line {line}" in result.output or f":{line}" in result.output, result.output
    assert "DOCTYPE/ENTITY declarations are refused" in result.output, result.output


@pytest.mark.parametrize("placement", ["after-a-comment", "after-64-KiB-of-comment", "parameter-entity"])
def test_pickup_refuses_an_inventory_with_a_dtd_and_changes_no_stock(tmp_path: Path, placement: str) -> None:
    source = write_inventory(tmp_path / "inventory.xml", {"S1": 3})
    with_dtd(source, "inventory", placement, "utf-16")
    with running(tmp_path / "sim", dav_user="merchant", dav_password="access-key") as client:
        name = "inventory-RefArch-20261127093000.xml"
        client.drop(INVENTORY_FOLDER, name, source.read_bytes())
        job = client.run("inventory", "create")
        assert "DOCTYPE/ENTITY declarations are refused" in str(job), job
        assert name in str(job), job
        assert job.get("counts", {}).get("skus_updated", 0) == 0, job


def test_an_entity_without_a_dtd_is_an_error_not_an_empty_title(tmp_path: Path) -> None:
    catalog = write_catalog(tmp_path / "catalog.xml", {"S1": "One"})
    text = catalog.read_text(encoding="utf-8")
    assert ">One<" in text
    catalog.write_text(text.replace(">One<", ">&t;<"), encoding="utf-8")
    line = text.partition(">One<")[0].count("\n") + 1
    prices = write_pricebook(tmp_path / "prices.xml", {"S1": "10"})
    result = export(catalog, prices, tmp_path / "out")
    assert result.exit_code != 0
    assert f"{catalog}:{line}: malformed XML: Entity 't' not defined" in result.output, result.output
