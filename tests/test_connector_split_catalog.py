"""A big catalog is parsed in two processes, cut at a top-level <product>, and its rows joined in two: the
feed, the summary and every error are byte for byte those of the single-process run."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.sfcc import write_pricebook

import connector.scratch
from connector.catalog_load import CatalogLoad, Loaded
from connector.scan import SiteInputs, scan_site
from connector.scratch import Background, WorkerDied
from connector.split import find_split
from connector.xmlsafe import XmlInputError
from fixtures.generate import generate

SFCC = Path(__file__).resolve().parent.parent / "fixtures" / "sfcc"
CHANGES = SFCC / "changes"
NOW = datetime(2024, 3, 15, 14, 15, 30, tzinfo=UTC)
BOOKS = (SFCC / "pricebook-list.xml", SFCC / "pricebook-sale.xml")
NS = "http://www.demandware.com/xml/impex/catalog/2006-10-31"


@pytest.fixture
def merges(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The scratch files of second parts merged: one per catalog really read in two processes."""
    merged: list[Path] = []
    real = CatalogLoad.merge_part

    def recorded(self: CatalogLoad, path: Path, part: Loaded) -> None:
        merged.append(path)
        real(self, path, part)

    monkeypatch.setattr(CatalogLoad, "merge_part", recorded)
    return merged


def export(inputs: SiteInputs, out: Path, split_min_bytes: int | None) -> tuple[bytes, list[str]]:
    """The feed's bytes and the summary's lines, from a scan that cuts every catalog (0) or none (None)."""
    with scan_site(inputs, NOW, split_min_bytes=split_min_bytes) as scan:
        rows = scan.write_feed(out)
    return out.read_bytes(), scan.summary.lines(rows)


def assert_same_both_ways(inputs: SiteInputs, tmp_path: Path) -> bytes:
    """One process for the catalogs and the rows, then two for each (and for prices and stock)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(connector.scratch, "PARALLEL_MIN_BYTES", 1 << 62)
        single = export(inputs, tmp_path / "single.txt", None)
        patch.setattr(connector.scratch, "PARALLEL_MIN_BYTES", 0)
        assert export(inputs, tmp_path / "split.txt", 0) == single
    return single[0]


@pytest.mark.parametrize("catalogs", [
    (SFCC / "catalog-master.xml", SFCC / "catalog-storefront.xml"),
    (CHANGES / "catalog-master-changed.xml", CHANGES / "catalog-storefront-changed.xml"),
    (SFCC / "catalog-master.xml", CHANGES / "catalog-delta-import.xml", SFCC / "catalog-storefront.xml"),
    (SFCC / "catalog-master.xml",),
], ids=["site", "changed", "delta-import", "master-only"])
def test_every_fixture_catalog_gives_the_same_feed_and_summary_cut_or_not(
    catalogs: tuple[Path, ...], tmp_path: Path, merges: list[Path]
) -> None:
    for catalog in catalogs:
        if b"<product " in catalog.read_bytes():
            assert find_split(catalog, "catalog") is not None, catalog
    inputs = SiteInputs(catalogs, BOOKS, (SFCC / "inventory.xml",), "RefArch")
    assert assert_same_both_ways(inputs, tmp_path).count(b"\n") > 1
    assert len(merges) == sum(b"<product " in catalog.read_bytes() for catalog in catalogs)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    files, _ = generate(4000, tmp_path_factory.mktemp("site"), seed=7)
    return files


def site_inputs(site: dict[str, Path], master: Path | None = None) -> SiteInputs:
    return SiteInputs((master or site["catalog-master"], site["catalog-storefront"]),
                      (site["pricebook-list"], site["pricebook-sale"]), (site["inventory"],), "RefArch")


def test_a_generated_site_gives_the_same_feed_and_summary_cut_or_not(
    site: dict[str, Path], tmp_path: Path, merges: list[Path]
) -> None:
    feed = assert_same_both_ways(site_inputs(site), tmp_path)
    assert len(merges) == 1
    assert feed.count(b"\n") == 4001


def test_with_other_threads_alive_the_parts_come_from_a_forkserver_and_give_the_same_feed(
    site: dict[str, Path], tmp_path: Path, merges: list[Path]
) -> None:
    """Watch mode has threads: its workers come from a forkserver, which gets every argument pickled."""
    single = export(site_inputs(site), tmp_path / "single.txt", None)
    stop = threading.Event()
    busy = threading.Thread(target=stop.wait, daemon=True)
    busy.start()
    try:
        assert connector.scratch._context().get_start_method() == "forkserver"
        assert export(site_inputs(site), tmp_path / "split.txt", 0) == single
    finally:
        stop.set()
        busy.join()
    assert len(merges) == 1


def with_bad_product_late(site: dict[str, Path], path: Path, replace: tuple[str, str], newline: str = "\n"
                          ) -> Path:
    """The generated master with `replace` applied to the last product: in the second part of the cut."""
    text = site["catalog-master"].read_text(encoding="utf-8")
    at = text.rindex("<product ")
    old, new = replace
    path.write_text(text[:at] + text[at:].replace(old, new, 1), encoding="utf-8", newline=newline)
    cut = find_split(path, "catalog")
    assert cut is not None and cut.at < len(text[:at].encode())
    return path


def error_both_ways(inputs: SiteInputs) -> tuple[str, str]:
    errors = []
    for split_min_bytes in (None, 0):
        with pytest.raises(XmlInputError) as caught:
            scan_site(inputs, NOW, split_min_bytes=split_min_bytes)
        errors.append(str(caught.value))
    return errors[0], errors[1]


def test_a_bad_value_in_the_second_part_names_the_same_file_line_and_field(
    site: dict[str, Path], tmp_path: Path
) -> None:
    master = with_bad_product_late(site, tmp_path / "master.xml",
                                   ("<online-flag>true</online-flag>", "<online-flag>maybe</online-flag>"))
    single, split = error_both_ways(site_inputs(site, master))
    line = master.read_text(encoding="utf-8").partition("<online-flag>maybe")[0].count("\n") + 1
    assert line > 65_535  # past what a 16-bit line counter holds
    assert single == split == f"{master}:{line}: online-flag: not a boolean: 'maybe'"


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["crlf", "cr"])
def test_lines_after_the_cut_count_crlf_and_lone_cr_as_libxml_does(
    site: dict[str, Path], tmp_path: Path, newline: str
) -> None:
    master = with_bad_product_late(site, tmp_path / "master.xml",
                                   ("<online-flag>true</online-flag>", "<online-flag>maybe</online-flag>"),
                                   newline)
    single, split = error_both_ways(site_inputs(site, master))
    assert single == split and single.endswith(": online-flag: not a boolean: 'maybe'")


def test_malformed_xml_in_the_second_part_gives_the_single_process_error(
    site: dict[str, Path], tmp_path: Path
) -> None:
    master = with_bad_product_late(site, tmp_path / "master.xml", ("</product>", "</produc>"))
    single, split = error_both_ways(site_inputs(site, master))
    assert single == split and "malformed XML" in single and f"{master}:" in single


def catalog(path: Path, *bodies: str) -> Path:
    path.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n<catalog xmlns="{NS}" catalog-id="m">\n'
                    + "\n".join(bodies) + "\n</catalog>\n", encoding="utf-8")
    return path


def product(product_id: str, name: str, extra: str = "") -> str:
    return (f'<product product-id="{product_id}"><display-name xml:lang="x-default">{name}</display-name>'
            f'<online-flag>true</online-flag>{extra}</product>')


def assignment(product_id: str, category: str, mode: str = "") -> str:
    return f'<category-assignment product-id="{product_id}" category-id="{category}"{mode}/>'


def padding(size: int, inside: str = "") -> str:
    """A comment big enough to hold the file's middle, so the cut falls on the next `<product`."""
    return "<!--" + "x" * size + inside + "-->"


FIRST = [product("A", "A first"), product("B", "B only"), product("C", "C to delete"),
         product("G", "G deleted, then back"), assignment("A", "cat-1"), assignment("B", "cat-1"),
         assignment("C", "cat-2"), '<product product-id="G" mode="delete"/>', assignment("G", "cat-1")]
SECOND = [product("A", "A redefined later wins"), '<product product-id="C" mode="delete"/>',
          product("G", "G back"), assignment("B", "cat-1", ' mode="delete"'), assignment("B", "cat-3"),
          product("D", "D new"), assignment("D", "cat-2")]


def test_later_definitions_deletes_and_assignments_across_the_cut_act_as_in_one_process(
    tmp_path: Path, merges: list[Path]
) -> None:
    size = sum(map(len, FIRST + SECOND)) + 200
    master = catalog(tmp_path / "master.xml", *FIRST, padding(size), *SECOND)
    cut = find_split(master, "catalog")
    assert cut is not None and master.read_bytes()[cut.at:].startswith(b'<product product-id="A"><display')
    prices = write_pricebook(tmp_path / "prices.xml", dict.fromkeys("ABCDG", "10"))
    inputs = SiteInputs((master,), (prices,), (), "RefArch")
    with scan_site(inputs, NOW, split_min_bytes=0) as scan:
        assert scan.deleted_ids == {"C", "G"}
    lines = assert_same_both_ways(inputs, tmp_path).decode().splitlines()[1:]
    assert len(merges) == 2  # the scan above, and the cut one of the two compared
    assert [line.split("|")[0] for line in lines] == ['"B"', '"A"', '"G"', '"D"']  # order of last definition
    assert '"A redefined later wins"' in lines[1] and '"cat-3"' in lines[0] and '"cat-1"' in lines[2]


@pytest.mark.parametrize("trap", [
    '<!--{pad} <product product-id="Z"> -->',
    '<product product-id="Y"><long-description><![CDATA[{pad} <product product-id="Z"> ]]>'
    "</long-description></product>",
    '<unknown-wrapper><!--{pad}--><product product-id="Z"/></unknown-wrapper>',
], ids=["comment", "cdata", "nested"])
def test_a_cut_inside_a_comment_cdata_or_nested_element_falls_back_to_one_process(
    trap: str, tmp_path: Path, merges: list[Path]
) -> None:
    size = sum(map(len, FIRST + SECOND)) + 200
    master = catalog(tmp_path / "master.xml", *FIRST, trap.replace("{pad}", "x" * size), *SECOND)
    cut = find_split(master, "catalog")
    assert cut is not None and master.read_bytes()[cut.at:].startswith(b'<product product-id="Z"')
    prices = write_pricebook(tmp_path / "prices.xml", dict.fromkeys("ABCDGYZ", "10"))
    inputs = SiteInputs((master,), (prices,), (), "RefArch")
    assert assert_same_both_ways(inputs, tmp_path).count(b"\n") == 5
    assert merges == []  # the first part did not parse: the cut was refused, the file read whole


def test_a_worker_that_dies_fails_the_command_instead_of_waiting() -> None:
    with Background(os._exit, (3,), parallel=True) as worker, pytest.raises(WorkerDied) as caught:
        worker.result()
    assert "exit code 3" in str(caught.value)
