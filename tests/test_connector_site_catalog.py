"""The site catalog: which products are site products, where product_category comes from, and refusals."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.sfcc import CATALOG_NS, write_pricebook

from connector.cli import main
from connector.feed import strip_tags
from connector.scan import SiteCatalogError, SiteInputs, scan_site
from connector.summary import ExportSummary

NOW = datetime(2024, 3, 15, 14, 15, 30, tzinfo=UTC)
SIMPLE = '<product product-id="{}"><online-flag>true</online-flag></product>'
MASTER = ('<product product-id="{}"><online-flag>true</online-flag><variations><variants>{}</variants>'
          '</variations></product>')
BUNDLE = ('<product product-id="{}"><online-flag>true</online-flag><bundled-products>'
          '<bundled-product product-id="S1"><quantity>1</quantity></bundled-product></bundled-products>'
          '</product>')
SET = ('<product product-id="{}"><online-flag>true</online-flag><product-set-products>'
       '<product-set-product product-id="S1"/></product-set-products></product>')


def assign(product_id: str, category: str, primary: bool = False) -> str:
    flag = "<primary-flag>true</primary-flag>" if primary else ""
    return (f'<category-assignment category-id="{category}" product-id="{product_id}">{flag}'
            "</category-assignment>")


def catalog(tmp_path: Path, catalog_id: str, body: str, name: str | None = None) -> Path:
    path = tmp_path / (name or f"{catalog_id}.xml")
    path.write_text(f'<?xml version="1.0"?>\n<catalog xmlns="{CATALOG_NS}" catalog-id="{catalog_id}">{body}'
                    "</catalog>\n", encoding="utf-8")
    return path


def master_catalog(tmp_path: Path) -> Path:
    """Products of every kind; the master catalog assigns some of them to its own categories."""
    variants = "".join(f'<variant product-id="{v}"/>' for v in ("V1", "V2"))
    orphan_variants = '<variant product-id="W1"/>'
    body = (SIMPLE.format("S1") + SIMPLE.format("S2") + SIMPLE.format("NOSITE")
            + MASTER.format("M1", variants) + SIMPLE.format("V1") + SIMPLE.format("V2")
            + MASTER.format("M2", orphan_variants) + SIMPLE.format("W1") + BUNDLE.format("B1")
            + SET.format("SET1") + '<product product-id="OFF"><online-flag>false</online-flag></product>'
            + SIMPLE.format("NOPRICE")
            + assign("S1", "master-cat", primary=True) + assign("M1", "master-cat", primary=True)
            + assign("NOSITE", "master-cat", primary=True))
    return catalog(tmp_path, "master", body)


def storefront(tmp_path: Path, body: str | None = None, catalog_id: str = "storefront") -> Path:
    default = (assign("S1", "first") + assign("S1", "site-main", primary=True) + assign("S2", "second")
               + assign("M1", "tops", primary=True) + assign("W1", "loose") + assign("B1", "kits")
               + assign("SET1", "kits") + assign("OFF", "kits") + assign("NOPRICE", "kits"))
    return catalog(tmp_path, catalog_id, default if body is None else body)


def scan(tmp_path: Path, *catalogs: Path, site: Path | None = None) -> tuple[dict[str, str], ExportSummary]:
    """product_category by SKU of the rows, and the export summary."""
    prices = {pid: "10" for pid in ("S1", "S2", "NOSITE", "M1", "M2", "B1", "SET1", "OFF")}
    inputs = SiteInputs(catalogs, (write_pricebook(tmp_path / "book.xml", prices),), (), "RefArch",
                        site_catalog=site)
    with scan_site(inputs, NOW) as result:
        rows = {row.sku_id: row.product_category for row in result.rows()}
        return rows, result.summary


def test_site_products_and_their_categories_come_from_the_site_catalog_only(tmp_path: Path) -> None:
    rows, summary = scan(tmp_path, master_catalog(tmp_path), storefront(tmp_path))
    # S1: the site's primary beats its first assignment and the master catalog's primary. V1, V2: their
    # master's site category. W1: assigned itself, but its master is not, so its container has none.
    assert rows == {"S1": "site-main", "S2": "second", "V1": "tops", "V2": "tops", "W1": "", "B1": "kits"}
    assert summary.site_catalog.startswith("storefront (")
    assert {reason: (tally.count, tally.examples) for reason, tally in summary.skipped.items()} == {
        "not in site catalog": (2, ["NOSITE", "M2"]), "master": (1, ["M1"]), "product set": (1, ["SET1"]),
        "offline": (1, ["OFF"]), "no price": (1, ["NOPRICE"])}
    assert (summary.skus, summary.no_category.examples) == (6, ["W1"])


def test_named_site_catalog_need_not_be_among_the_catalogs(tmp_path: Path) -> None:
    site = storefront(tmp_path, assign("S2", "chosen"))
    other = storefront(tmp_path, assign("S1", "ignored"), catalog_id="other")
    rows, _ = scan(tmp_path, master_catalog(tmp_path), other, site=site)
    assert rows == {"S2": "chosen"}


def test_single_catalog_is_the_site_catalog(tmp_path: Path) -> None:
    rows, summary = scan(tmp_path, master_catalog(tmp_path))
    assert rows == {"S1": "master-cat", "NOSITE": "master-cat", "V1": "master-cat", "V2": "master-cat"}
    assert summary.skipped["not in site catalog"].count == 7
    (warning,) = summary.warnings
    assert warning.startswith("7 products are not in the site catalog") and "give the storefront" in warning


def test_files_with_one_catalog_id_are_one_catalog(tmp_path: Path) -> None:
    full = storefront(tmp_path, assign("S1", "a"))
    delta = catalog(tmp_path, "storefront", assign("S2", "b"), name="storefront-delta.xml")
    rows, _ = scan(tmp_path, master_catalog(tmp_path), full, delta)
    assert rows == {"S1": "a", "S2": "b"}


def test_ambiguous_site_catalog_is_refused_naming_the_candidates(tmp_path: Path) -> None:
    with pytest.raises(SiteCatalogError) as refused:
        scan(tmp_path, master_catalog(tmp_path), storefront(tmp_path), storefront(tmp_path, catalog_id="b2b"))
    message = str(refused.value)
    assert "cannot tell which catalog is the site" in message and "--site-catalog" in message
    assert all(name in message for name in ("storefront.xml", "b2b.xml", "master.xml"))


@pytest.mark.parametrize("explicit", [True, False])
def test_site_catalog_that_assigns_none_of_the_products_is_refused(tmp_path: Path, explicit: bool) -> None:
    empty = storefront(tmp_path, assign("UNKNOWN", "x"))
    with pytest.raises(SiteCatalogError, match="assigns none of the 12 products"):
        scan(tmp_path, master_catalog(tmp_path), empty, site=empty if explicit else None)


def test_assignments_of_undefined_products_are_a_warning_with_count_and_examples(tmp_path: Path) -> None:
    ghosts = ("GHOST-1", "GHOST-2", "GHOST-3", "GHOST-4")
    body = "".join(assign(pid, "x") for pid in ghosts) + assign("S1", "x")
    _, summary = scan(tmp_path, master_catalog(tmp_path), storefront(tmp_path, body))
    (warning,) = summary.warnings
    assert "assigns products that no given catalog defines: 4 (GHOST-1, GHOST-2, GHOST-3, ...)" in warning


def test_summary_says_loudly_when_no_sku_has_a_category(tmp_path: Path) -> None:
    rows, summary = scan(tmp_path, master_catalog(tmp_path), storefront(tmp_path, assign("W1", "x")))
    assert rows == {"W1": ""}
    assert any(line.startswith("WARNING: none of the 1 SKUs has a product_category")
               for line in summary.lines(1))


def test_tags_are_stripped_with_the_cartridges_pattern() -> None:
    assert strip_tags("<p>a <> b</p><br/>") == "a <> b"


def test_site_catalog_from_the_environment_and_a_one_line_refusal_without_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    master, site, b2b = master_catalog(tmp_path), storefront(tmp_path), storefront(tmp_path, catalog_id="b2b")
    book = write_pricebook(tmp_path / "book.xml", {"S1": "10", "S2": "10"})
    args = ["export", "--site-id", "RefArch", "--out", str(tmp_path / "out"), "--pricebook", str(book),
            *(item for path in (master, site, b2b) for item in ("--catalog", str(path)))]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 1 and refused.output.startswith("error: cannot tell which catalog")
    assert refused.output.count("\n") == 1

    monkeypatch.setenv("SFCC_SITE_CATALOG", str(site))
    chosen = CliRunner().invoke(main, args)
    assert chosen.exit_code == 0, chosen.output
    assert "2 rows" in chosen.output and "site catalog storefront (" in chosen.output


def test_export_summary_as_json_on_the_bundled_site(tmp_path: Path) -> None:
    site = Path(__file__).resolve().parent.parent / "fixtures" / "sfcc"
    files = {"--catalog": ("catalog-master", "catalog-storefront"),
             "--pricebook": ("pricebook-list", "pricebook-sale"), "--inventory": ("inventory",)}
    inputs = [item for flag, names in files.items() for name in names
              for item in (flag, str(site / f"{name}.xml"))]
    result = CliRunner().invoke(main, ["export", *inputs, "--site-id", "RefArch",
                                       "--out", str(tmp_path / "out"), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["rows"], report["inventory_records"]) == (30, 39)
    summary = report["summary"]
    assert summary["site_catalog"].startswith("sim-storefront-catalog (")
    assert summary["skipped"]["not in site catalog"] == {"count": 1, "examples": ["ACC-CAP-UNLISTED"]}
    assert summary["skipped"]["offline"]["count"] == 2 and summary["skipped"]["no price"]["count"] == 1
    assert summary["empty"]["image_urls"]["examples"] == ["HOME-MIRROR-NOIMG"]
    assert summary["empty"]["product_category"]["count"] == 0
    assert "skipped, not in site catalog: 1 (ACC-CAP-UNLISTED)" in result.stderr
