"""The fixture site holds what fixtures/README.md promises; the generator writes exactly N sellable SKUs.

The sellable-SKU evaluator here is deliberately independent of connector/: it is the fixtures' own oracle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from fixtures.generate import generate, main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SITE = FIXTURES / "sfcc"
CATALOG = "{http://www.demandware.com/xml/impex/catalog/2006-10-31}"
PRICEBOOK = "{http://www.demandware.com/xml/impex/pricebook/2006-10-31}"
INVENTORY = "{http://www.demandware.com/xml/impex/inventory/2007-05-31}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _parse(path: Path) -> etree._ElementTree:
    return etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))


@dataclass
class Catalog:
    """Per product: online or not, its kind, its master, its x-default name, whether it has large images."""

    online: dict[str, bool] = field(default_factory=dict)
    kind: dict[str, str] = field(default_factory=dict)
    master_of: dict[str, str] = field(default_factory=dict)
    name: dict[str, str] = field(default_factory=dict)
    large_images: dict[str, int] = field(default_factory=dict)


def read_catalog(path: Path, site_id: str = "RefArch") -> Catalog:
    catalog = Catalog()
    for product in _parse(path).getroot().iter(f"{CATALOG}product"):
        pid = product.get("product-id")
        if product.get("mode") == "delete":
            continue
        flags = [f.text == "true" for f in product.findall(f"{CATALOG}online-flag")
                 if f.get("site-id") in (None, site_id)]
        catalog.online[pid] = bool(flags) and flags[-1]
        variants = product.findall(f"{CATALOG}variations/{CATALOG}variants/{CATALOG}variant")
        for variant in variants:
            catalog.master_of[variant.get("product-id")] = pid
        if variants:
            catalog.kind[pid] = "master"
        elif product.find(f"{CATALOG}product-set-products") is not None:
            catalog.kind[pid] = "set"
        else:
            catalog.kind.setdefault(pid, "other")
        for name in product.findall(f"{CATALOG}display-name"):
            if name.get(XML_LANG) == "x-default":
                catalog.name[pid] = name.text or ""
        catalog.large_images[pid] = len(product.findall(
            f"{CATALOG}images/{CATALOG}image-group[@view-type='large']/{CATALOG}image"))
    return catalog


def best_prices(paths: list[Path], now: datetime) -> dict[str, Decimal]:
    """Lowest quantity-1 amount per product ID over the online USD books and their live price tables."""
    best: dict[str, Decimal] = {}
    for path in paths:
        for book in _parse(path).getroot().iter(f"{PRICEBOOK}pricebook"):
            header = book.find(f"{PRICEBOOK}header")
            if header.findtext(f"{PRICEBOOK}currency") != "USD":
                continue
            if header.findtext(f"{PRICEBOOK}online-flag", "true") != "true":
                continue
            for table in book.iter(f"{PRICEBOOK}price-table"):
                start = table.findtext(f"{PRICEBOOK}online-from")
                end = table.findtext(f"{PRICEBOOK}online-to")
                started = not start or datetime.fromisoformat(start) <= now
                if not started or (end and datetime.fromisoformat(end) <= now):
                    continue
                for amount in table.findall(f"{PRICEBOOK}amount"):
                    if Decimal(amount.get("quantity", "1")) == 1:
                        pid, value = table.get("product-id"), Decimal(amount.text)
                        best[pid] = min(value, best.get(pid, value))
    return best


def site_assigned(storefront: Path) -> set[str]:
    """Product IDs the site (storefront) catalog assigns to a category."""
    return {a.get("product-id") for a in _parse(storefront).getroot().iter(f"{CATALOG}category-assignment")}


def sellable_prices(catalog: Catalog, prices: dict[str, Decimal], site: set[str]) -> dict[str, Decimal]:
    """Online site products (assigned in the site catalog, or a variant of a master that is): variants
    and non-master, non-set products with an own or master price (reference 1.9, 1.10)."""
    result = {}
    for pid, online in catalog.online.items():
        if not online or catalog.kind[pid] in ("master", "set"):
            continue
        if pid not in site and catalog.master_of.get(pid) not in site:
            continue
        price = prices.get(pid, prices.get(catalog.master_of.get(pid, "")))
        if price is not None:
            result[pid] = price
    return result


def js_number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _site_prices(catalog_file: Path, list_book: Path,
                 storefront: Path = SITE / "catalog-storefront.xml") -> dict[str, str]:
    catalog = read_catalog(catalog_file)
    prices = best_prices([list_book, SITE / "pricebook-sale.xml"], datetime.now(UTC))
    site = site_assigned(storefront)
    return {pid: js_number(price) for pid, price in sellable_prices(catalog, prices, site).items()}


# Online and priced, but only the master catalog assigns it: never a site product (fixtures/README.md).
MASTER_CATALOG_ONLY = {"ACC-CAP-UNLISTED"}


EXPECTED_PRICES = {
    **dict.fromkeys(["TEE-CREW-BLK-S", "TEE-CREW-BLK-M", "TEE-CREW-BLK-L", "TEE-CREW-WHT-S", "TEE-CREW-WHT-M",
                     "TEE-CREW-WHT-L"], "20"),
    "BLAZER-NVY-6": "129", "BLAZER-NVY-8": "139", "BLAZER-BLK-4": "129", "BLAZER-BLK-6": "99",
    "BLAZER-BLK-8": "129", "FRAME-NAT-8IN": "24.5", "FRAME-NAT-12IN": "29", "FRAME-BLK-8IN": "24.5",
    "FRAME-BLK-12IN": "34.5", "DUVET-SAGE-QUEEN": "169", "DUVET-SAGE-KING": "219", "DUVET-OAT-QUEEN": "189",
    "DUVET-OAT-KING": "219", "BELT-LTH-001": "49.5", "KIT-DRIP-01": "20", "KIT-BOTTLE-750": "24",
    "ACC-TOTE-01": "18", "ACC-BEANIE-01": "65", "HOME-CANDLE-01": "18.5", "KIT-GRINDER-RF": "149",
    "HOME-RUG-LONG": "249", "HOME-MIRROR-NOIMG": "89", "ACC-WALLET-MONO": "55", "BNDL-COFFEE": "42",
}


def test_site_sellable_skus_and_prices_are_as_documented() -> None:
    readme = (FIXTURES / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- sellable-skus:begin -->\n```\n(.*?)```\n<!-- sellable-skus:end -->", readme,
                      re.S)
    documented = block.group(1).split()
    prices = _site_prices(SITE / "catalog-master.xml", SITE / "pricebook-list.xml")
    assert sorted(prices) == documented
    assert len(documented) == 30 and "**30 rows**" in readme
    assert prices == EXPECTED_PRICES


def test_site_special_products() -> None:
    catalog = read_catalog(SITE / "catalog-master.xml")
    assert catalog.kind["SET-BEDROOM"] == "set" and catalog.online["SET-BEDROOM"]
    assert not catalog.online["ACC-SCARF-OFF"] and not catalog.online["BLAZER-NVY-4"]
    assert "ACC-GLOVES-NP" not in best_prices([SITE / "pricebook-list.xml", SITE / "pricebook-sale.xml"],
                                              datetime.now(UTC))
    assert catalog.online["ACC-CAP-UNLISTED"] and "ACC-CAP-UNLISTED" in best_prices(
        [SITE / "pricebook-list.xml"], datetime.now(UTC))
    assert len(catalog.name["HOME-RUG-LONG"]) > 255
    assert catalog.large_images["HOME-MIRROR-NOIMG"] == 0
    assert sorted(pid for pid, kind in catalog.kind.items() if kind == "master") == [
        "M-BLAZER", "M-DUVET", "M-FRAME", "M-TEE-CREW"]


def test_changed_site_swaps_the_removed_and_added_product() -> None:
    base = _site_prices(SITE / "catalog-master.xml", SITE / "pricebook-list.xml")
    changed = _site_prices(SITE / "changes" / "catalog-master-changed.xml",
                           SITE / "changes" / "pricebook-list-changed.xml",
                           SITE / "changes" / "catalog-storefront-changed.xml")
    assert set(base) - set(changed) == {"ACC-TOTE-01"}
    assert set(changed) - set(base) == {"KIT-MUG-02"} and changed["KIT-MUG-02"] == "16"
    before = read_catalog(SITE / "catalog-master.xml").name
    after = read_catalog(SITE / "changes" / "catalog-master-changed.xml").name
    assert {pid for pid in before.keys() & after.keys() if before[pid] != after[pid]} == {"KIT-BOTTLE-750"}


def test_delta_import_holds_only_the_edit() -> None:
    products = _parse(SITE / "changes" / "catalog-delta-import.xml").getroot().findall(f"{CATALOG}product")
    assert [(p.get("product-id"), p.get("mode")) for p in products] == [
        ("KIT-BOTTLE-750", None), ("KIT-MUG-02", None), ("ACC-TOTE-01", "delete")]


@pytest.mark.parametrize("storefront", ["catalog-storefront.xml", "changes/catalog-storefront-changed.xml"])
def test_every_top_level_product_has_exactly_one_primary_category(storefront: str) -> None:
    changed = storefront.startswith("changes/")
    master_file = "changes/catalog-master-changed.xml" if changed else "catalog-master.xml"
    catalog = read_catalog(SITE / master_file)
    root = _parse(SITE / storefront).getroot()
    categories = {c.get("category-id") for c in root.iter(f"{CATALOG}category")}
    primaries: dict[str, int] = {}
    for assignment in root.iter(f"{CATALOG}category-assignment"):
        assert assignment.get("category-id") in categories
        if assignment.findtext(f"{CATALOG}primary-flag") == "true":
            primaries[assignment.get("product-id")] = primaries.get(assignment.get("product-id"), 0) + 1
    top_level = {pid for pid in catalog.online if pid not in catalog.master_of} - MASTER_CATALOG_ONLY
    assert primaries == dict.fromkeys(top_level, 1)


def test_master_catalog_assigns_too_but_never_decides() -> None:
    """Its assignments compete with the storefront's (BELT, the TEE master) or stand alone (the cap)."""
    root = _parse(SITE / "catalog-master.xml").getroot()
    assigned = {a.get("product-id"): a.get("category-id") for a in root.iter(f"{CATALOG}category-assignment")}
    assert assigned["BELT-LTH-001"] == "catalog-accessories" and assigned["M-TEE-CREW"] == "catalog-apparel"
    storefront = site_assigned(SITE / "catalog-storefront.xml")
    assert {"BELT-LTH-001", "M-TEE-CREW"} <= storefront and MASTER_CATALOG_ONLY.isdisjoint(storefront)
    assert assigned.keys() >= MASTER_CATALOG_ONLY


def _inventory_ids(path: Path) -> list[list[str]]:
    return [[r.get("product-id") for r in inventory_list.iter(f"{INVENTORY}record")]
            for inventory_list in _parse(path).getroot().iter(f"{INVENTORY}inventory-list")]


def test_inventory_records_are_sorted_by_product_id() -> None:
    lists = _inventory_ids(SITE / "inventory.xml")
    assert len(lists) == 2 and all(ids == sorted(ids) for ids in lists)


def _site_files(outdir: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(outdir.iterdir())}


def test_generator_is_deterministic(tmp_path: Path) -> None:
    generate(150, tmp_path / "a", seed=3)
    generate(150, tmp_path / "b", seed=3)
    generate(150, tmp_path / "c", seed=4)
    first = _site_files(tmp_path / "a")
    assert len(first) == 5
    assert first == _site_files(tmp_path / "b")
    assert first != _site_files(tmp_path / "c")


@pytest.mark.parametrize("n", [0, 1, 2, 13, 400])
def test_generator_writes_exactly_n_valid_sellable_skus(tmp_path: Path, n: int) -> None:
    paths, counts = generate(n, tmp_path, seed=n, defect_rate=0.05)
    schemas = {ns: etree.XMLSchema(_parse(FIXTURES / "sfcc-schemas" / xsd)) for ns, xsd in (
        (CATALOG, "catalog.xsd"), (PRICEBOOK, "pricebook.xsd"), (INVENTORY, "inventory.xsd"))}
    for path in paths.values():
        document = _parse(path)
        schema = schemas[document.getroot().tag.split("}")[0] + "}"]
        assert schema.validate(document), (path.name, schema.error_log)
    catalog = read_catalog(paths["catalog-master"])
    prices = best_prices([paths["pricebook-list"], paths["pricebook-sale"]], datetime.now(UTC))
    sellable = sellable_prices(catalog, prices, site_assigned(paths["catalog-storefront"]))
    assert len(sellable) == n == counts.sellable == counts.variants + counts.simple
    assert n < 400 or (counts.offline and counts.unpriced), "the oracle must meet non-sellable products too"
    records = _inventory_ids(paths["inventory"])[0]
    assert records == sorted(records) and set(sellable) <= set(records)


def test_generator_defects_follow_the_rate(tmp_path: Path) -> None:
    _, clean = generate(300, tmp_path / "clean", seed=5, defect_rate=0)
    catalog = read_catalog(tmp_path / "clean" / "catalog-master.xml")
    assert sum(clean.defects.values()) == 0
    assert all(len(name) <= 255 for name in catalog.name.values())
    assert all(catalog.large_images[pid] for pid in catalog.name)
    _, broken = generate(300, tmp_path / "broken", seed=5, defect_rate=1)
    catalog = read_catalog(tmp_path / "broken" / "catalog-master.xml")
    prices = best_prices([tmp_path / "broken" / "pricebook-list.xml"], datetime.now(UTC))
    assert all(broken.defects.values())
    assert sum(len(name) > 255 for name in catalog.name.values()) == broken.defects["long-title"]
    assert sum(not catalog.large_images[pid] for pid in catalog.name) == broken.defects["no-images"]
    assert any(price == 0 for price in prices.values())


def test_generator_command_prints_what_it_wrote(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["40", str(tmp_path / "site"), "--seed", "9", "--defect-rate", "0.1"])
    assert result.exit_code == 0, result.output
    assert "sellable SKUs 40:" in result.output
    for name in ("catalog-master", "catalog-storefront", "pricebook-list", "pricebook-sale", "inventory"):
        assert f"{name}.xml" in result.output and (tmp_path / "site" / f"{name}.xml").is_file()


def test_site_availability_is_as_documented() -> None:
    """In stock = any record with ATS > 0 (else, without `ats`, allocation > 0) or perpetual; a variant
    takes its master's stock. ACC-BEANIE-01 has allocation 3 but ATS 0: out of stock."""
    stocked: set[str] = set()
    for record in _parse(SITE / "inventory.xml").getroot().iter(f"{INVENTORY}record"):
        ats = record.findtext(f"{INVENTORY}ats") or record.findtext(f"{INVENTORY}allocation", "0")
        if Decimal(ats) > 0 or record.findtext(f"{INVENTORY}perpetual") == "true":
            stocked.add(record.get("product-id"))
    catalog = read_catalog(SITE / "catalog-master.xml")
    stocked |= {master for variant, master in catalog.master_of.items() if variant in stocked}
    sellable = _site_prices(SITE / "catalog-master.xml", SITE / "pricebook-list.xml")
    out_of_stock = {pid for pid in sellable if catalog.master_of.get(pid, pid) not in stocked}
    frames = {"FRAME-NAT-8IN", "FRAME-NAT-12IN", "FRAME-BLK-8IN", "FRAME-BLK-12IN"}
    assert out_of_stock == {"ACC-BEANIE-01", *frames}


def _localized(product: etree._Element, tag: str, lang: str) -> str | None:
    return next((e.text for e in product.findall(f"{CATALOG}{tag}") if e.get(XML_LANG) == lang), None)


def test_site_texts_are_as_documented() -> None:
    root = _parse(SITE / "catalog-master.xml").getroot()
    products = {p.get("product-id"): p for p in root.iter(f"{CATALOG}product")}
    candle = _localized(products["HOME-CANDLE-01"], "long-description", "x-default")
    stripped = re.sub(r"<[^>]*>", "", candle)
    assert stripped == "Hand-poured soy wax &amp; a cotton wick.Burns for about 45 hours."
    assert "\u2014" in _localized(products["M-TEE-CREW"], "short-description", "x-default")
    bottle = _localized(products["KIT-BOTTLE-750"], "display-name", "en-US")
    assert bottle == "Stainless Steel Water Bottle, 25 oz"
    assert _localized(products["DUVET-OAT-KING"], "display-name", "x-default") == (
        "Washed Linen Duvet Cover, Oat (Limited Edition)")
    sizes = root.find(f"{CATALOG}variation-attribute[@variation-attribute-id='frame-size']")
    assert [v.text for v in sizes.iter(f"{CATALOG}display-value")] == ['8" Frame', '12" Frame']
