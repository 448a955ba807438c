"""Which SKUs get a feed row and what each column holds, from small inline SFCC exports."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connector.feed import FEED_HEADER
from connector.scan import SiteInputs, scan_site

CATALOG = "http://www.demandware.com/xml/impex/catalog/2006-10-31"
PRICEBOOK = "http://www.demandware.com/xml/impex/pricebook/2006-10-31"
INVENTORY = "http://www.demandware.com/xml/impex/inventory/2007-05-31"
NOW = datetime(2024, 3, 15, 14, 15, 30, tzinfo=UTC)


def catalog(body: str) -> str:
    return f'<?xml version="1.0"?>\n<catalog xmlns="{CATALOG}" catalog-id="c">\n{body}\n</catalog>\n'


def pricebook(
    prices: dict[str, str],
    currency: str = "USD",
    header: str = "<online-flag>true</online-flag>",
    book_id: str = "list",
) -> str:
    tables = "".join(
        f'<price-table product-id="{pid}"><amount quantity="1">{amount}</amount></price-table>\n'
        for pid, amount in prices.items()
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<pricebooks xmlns="{PRICEBOOK}"><pricebook>'
        f'<header pricebook-id="{book_id}"><currency>{currency}</currency>{header}</header>'
        f"<price-tables>\n{tables}</price-tables></pricebook></pricebooks>\n"
    )


def inventory(records: dict[str, str], default_instock: str = "false") -> str:
    body = "".join(f'<record product-id="{pid}">{inner}</record>\n' for pid, inner in records.items())
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<inventory xmlns="{INVENTORY}"><inventory-list>'
        f'<header list-id="inv"><default-instock>{default_instock}</default-instock></header>'
        f"<records>\n{body}</records></inventory-list></inventory>\n"
    )


def product(pid: str, inner: str = "", online: bool = True) -> str:
    return f'<product product-id="{pid}"><online-flag>{str(online).lower()}</online-flag>{inner}</product>\n'


def name(text: str, lang: str = "x-default") -> str:
    return f'<display-name xml:lang="{lang}">{text}</display-name>'


def master(
    pid: str, variants: list[str], inner: str = "", default: str | None = None, attrs: str = ""
) -> str:
    flag = ' default="true"'
    listed = "".join(f'<variant product-id="{v}"{flag if v == default else ""}/>' for v in variants)
    return product(
        pid, f"{inner}<variations><attributes>{attrs}</attributes><variants>{listed}</variants></variations>"
    )


def values(**custom: str) -> str:
    return (
        "<custom-attributes>"
        + "".join(
            f'<custom-attribute attribute-id="{key}">{value}</custom-attribute>'
            for key, value in custom.items()
        )
        + "</custom-attributes>"
    )


COLOR = (
    '<variation-attribute attribute-id="color" variation-attribute-id="color">'
    '<display-name xml:lang="x-default">Color</display-name><variation-attribute-values>'
    '<variation-attribute-value value="BLK"><display-value xml:lang="x-default">Black</display-value>'
    "</variation-attribute-value></variation-attribute-values></variation-attribute>"
)


def write(tmp_path: Path, name_: str, text: str) -> Path:
    path = tmp_path / name_
    path.write_text(text, encoding="utf-8")
    return path


def feed(
    tmp_path: Path,
    products: str,
    prices: dict[str, str] | None = None,
    stock: str | None = None,
    extra_catalogs: tuple[str, ...] = (),
    books: tuple[str, ...] = (),
    assign: bool = True,
    **settings: str,
) -> dict[str, dict]:
    """Scan the inputs and return the rows by SKU, each as column -> value.

    Every catalog here has catalog-id `c`, so together they are the site catalog; `assign` assigns
    every product of `products` to category `all` in it, making each a site product.
    """
    if assign:
        products += "".join(f'<category-assignment category-id="all" product-id="{pid}"/>'
                            for pid in re.findall(r'<product product-id="([^"]+)"', products))
    catalogs = [write(tmp_path, "catalog.xml", catalog(products))]
    catalogs += [write(tmp_path, f"catalog{i}.xml", catalog(body)) for i, body in enumerate(extra_catalogs)]
    all_books = [pricebook(prices or {})] + list(books)
    pricebooks = [write(tmp_path, f"book{i}.xml", text) for i, text in enumerate(all_books)]
    inventories = (write(tmp_path, "inventory.xml", stock),) if stock is not None else ()
    inputs = SiteInputs(tuple(catalogs), tuple(pricebooks), inventories, site_id="RefArch", **settings)
    with scan_site(inputs, NOW) as scan:
        return {row[0]: dict(zip(FEED_HEADER, row, strict=True)) for row in scan.rows()}


def test_variant_inherits_the_masters_texts_brand_images_and_price(tmp_path: Path) -> None:
    rows = feed(
        tmp_path,
        product("V1", values(color="BLK"))
        + master(
            "M1",
            ["V1"],
            attrs=COLOR,
            inner=name("Blazer") + '<short-description xml:lang="x-default">Tailored</short-description>'
            '<images><image-group view-type="large"><image path="large/m1.jpg"/></image-group>'
            '<image-group view-type="small"><image path="small/m1.jpg"/></image-group></images>'
            "<brand>Acme</brand>",
        ),
        prices={"M1": "129.00"},
        image_base_url="https://img.example/i/",
        storefront_url="https://shop.example/s/{site_id}",
    )
    row = rows["V1"]
    assert (row["title"], row["description"], row["brand"], row["price"]) == (
        "Blazer",
        "Tailored",
        "Acme",
        "129 USD",
    )
    assert row["image_urls"] == '{"images":["https://img.example/i/large/m1.jpg"]}'
    assert row["landing_page_url"] == "https://shop.example/s/RefArch/V1.html"
    assert (row["item_group_id"], row["variation_properties"]) == ("M1", '{"Color":"Black"}')
    assert (row["sale_regions"], row["google_product_category"], row["condition"]) == (
        "US",
        "Apparel & Accessories",
        "new",
    )
    assert set(rows) == {"V1"}


def test_variant_values_override_the_masters(tmp_path: Path) -> None:
    rows = feed(
        tmp_path,
        product(
            "V1",
            name("Own name") + "<brand>Own</brand>"
            '<images><image-group view-type="large"><image path="v1.jpg"/></image-group></images>',
        )
        + master(
            "M1",
            ["V1"],
            inner=name("Master") + "<brand>Acme</brand>"
            '<images><image-group view-type="large"><image path="m1.jpg"/></image-group></images>',
        ),
        prices={"M1": "10", "V1": "12.5"},
    )
    row = rows["V1"]
    assert (row["title"], row["brand"], row["price"]) == ("Own name", "Own", "12.5 USD")
    assert row["image_urls"] == (
        '{"images":["https://images.example.com/on/demandware.static/-/Sites-catalog/default/images/v1.jpg"]}'
    )


def test_variant_gets_the_image_group_of_its_colour(tmp_path: Path) -> None:
    rows = feed(
        tmp_path,
        product("V1", values(color="BLK"))
        + product("V2", values(color="WHT"))
        + master(
            "M1",
            ["V1", "V2"],
            inner='<images><image-group view-type="large"><image path="all.jpg"/></image-group>'
            '<image-group view-type="large"><variation attribute-id="color" value="BLK"/>'
            '<image path="blk.jpg"/></image-group></images>',
        ),
        prices={"M1": "1"},
        image_base_url="/",
    )
    assert rows["V1"]["image_urls"] == '{"images":["/blk.jpg"]}'
    assert rows["V2"]["image_urls"] == '{"images":["/all.jpg"]}'


def test_variants_may_come_before_or_after_their_master(tmp_path: Path) -> None:
    rows = feed(
        tmp_path,
        product("A", values(color="BLK"))
        + master("M", ["A", "B"], attrs=COLOR, inner=name("N"))
        + product("B", values(color="BLK")),
        prices={"M": "5"},
    )
    assert {sku: row["title"] for sku, row in rows.items()} == {"A": "N", "B": "N"}


def test_best_price_is_the_lowest_of_the_applicable_books(tmp_path: Path) -> None:
    books = (
        pricebook({"S1": "39.00", "S2": "99"}, book_id="sale"),
        pricebook({"S1": "1.00"}, currency="EUR", book_id="eur"),
        pricebook({"S1": "2.00"}, header="<online-flag>false</online-flag>", book_id="offline"),
        pricebook(
            {"S1": "3.00"},
            header="<online-flag>true</online-flag><online-to>2020-01-01T00:00:00Z</online-to>",
            book_id="expired",
        ),
    )
    rows = feed(tmp_path, product("S1") + product("S2"), prices={"S1": "49.50", "S2": "89.00"}, books=books)
    assert (rows["S1"]["price"], rows["S2"]["price"]) == ("39 USD", "89 USD")


def test_expired_price_tables_and_tier_prices_are_ignored(tmp_path: Path) -> None:
    book = (
        f'<?xml version="1.0"?><pricebooks xmlns="{PRICEBOOK}"><pricebook><header pricebook-id="s">'
        "<currency>USD</currency><online-flag>true</online-flag></header><price-tables>"
        '<price-table product-id="S1"><online-to>2020-01-01T00:00:00.000Z</online-to>'
        '<amount quantity="1">1</amount></price-table><price-table product-id="S1">'
        '<amount quantity="1">20</amount><amount quantity="3">15</amount>'
        "</price-table></price-tables></pricebook></pricebooks>"
    )
    rows = feed(tmp_path, product("S1"), prices={"S1": "25"}, books=(book,))
    assert rows["S1"]["price"] == "20 USD"


def test_offline_unpriced_and_out_of_window_products_get_no_row(tmp_path: Path) -> None:
    rows = feed(
        tmp_path,
        product("OFF", online=False)
        + product("NOPRICE")
        + product("OK")
        + product("FUTURE", "<online-from>2099-01-01T00:00:00Z</online-from>")
        + product("PAST", "<online-to>2020-01-01T00:00:00Z</online-to>")
        + '<product product-id="NOFLAG"/>'
        + '<product product-id="SITEOFF"><online-flag>true</online-flag>'
        '<online-flag site-id="RefArch">false</online-flag></product>'
        + '<product product-id="SITEON"><online-flag>false</online-flag>'
        '<online-flag site-id="RefArch">true</online-flag></product>',
        prices={p: "1" for p in ("OFF", "OK", "FUTURE", "PAST", "NOFLAG", "SITEOFF", "SITEON")},
    )
    assert set(rows) == {"OK", "SITEON"}


def test_masters_sets_and_variation_groups_are_never_rows_but_options_and_bundles_are(tmp_path: Path) -> None:
    products = (
        master("M1", ["V1"])
        + product("V1")
        + product("SET", '<product-set-products><product-set-product product-id="S"/></product-set-products>')
        + product("S")
        + product(
            "BUNDLE",
            '<bundled-products><bundled-product product-id="S"><quantity>2</quantity>'
            "</bundled-product></bundled-products>",
        )
        + product("OPT", '<options><shared-option option-id="giftWrap"/></options>')
        + '<product product-id="M2"><online-flag>true</online-flag><variations><variants>'
        '<variant product-id="V2"/></variants><variation-groups><variation-group product-id="VG"/>'
        "</variation-groups></variations></product>" + product("V2") + product("VG")
    )
    rows = feed(
        tmp_path,
        products,
        prices={p: "5" for p in ("M1", "V1", "SET", "S", "BUNDLE", "OPT", "M2", "V2", "VG")},
    )
    assert set(rows) == {"V1", "S", "BUNDLE", "OPT", "V2"}
    assert rows["BUNDLE"]["item_group_id"] == "BUNDLE"
    assert rows["OPT"]["variation_properties"] == "{}"
    assert rows["OPT"]["is_default_variant"] == "true"


@pytest.mark.parametrize(
    ("online", "declared", "expected_default"),
    [
        ({"A", "B", "C"}, "B", "B"),  # declared and online
        ({"A", "C"}, "B", "A"),  # declared but offline: first online variant
        ({"B", "C"}, None, "B"),  # nothing declared: first online variant
    ],
)
def test_default_variant(
    tmp_path: Path, online: set[str], declared: str | None, expected_default: str
) -> None:
    products = master("M", ["A", "B", "C"], default=declared) + "".join(
        product(v, online=v in online) for v in "ABC"
    )
    rows = feed(tmp_path, products, prices={"M": "9"})
    assert {sku: row["is_default_variant"] for sku, row in rows.items()} == {
        sku: "true" if sku == expected_default else "false" for sku in online
    }


def test_quote_in_a_variation_value_is_escaped_like_the_cartridge(tmp_path: Path) -> None:
    size = (
        '<variation-attribute attribute-id="size" variation-attribute-id="size">'
        '<display-name xml:lang="x-default">Size</display-name><variation-attribute-values>'
        '<variation-attribute-value value="12"><display-value xml:lang="x-default">12" Frame</display-value>'
        "</variation-attribute-value></variation-attribute-values></variation-attribute>"
    )
    rows = feed(tmp_path, product("F", values(size="12")) + master("M", ["F"], attrs=size), prices={"M": "1"})
    assert rows["F"]["variation_properties"] == '{"Size":"12\\\\" Frame"}'


def test_shared_variation_attribute_defined_after_the_products(tmp_path: Path) -> None:
    shared = '<shared-variation-attribute attribute-id="color" variation-attribute-id="color"/>'
    rows = feed(
        tmp_path,
        product("V", values(color="BLK", size="M")) + master("M", ["V"], attrs=shared) + COLOR,
        prices={"M": "1"},
    )
    assert rows["V"]["variation_properties"] == '{"Color":"Black"}'


def test_cr_lf_and_pipe_in_values_become_spaces(tmp_path: Path) -> None:
    rows = feed(tmp_path, product("S", name("Line&#13;&#10;break | pipe")), prices={"S": "1"})
    assert rows["S"]["title"] == "Line  break   pipe"


def test_locale_prefers_its_own_text_then_x_default(tmp_path: Path) -> None:
    products = product("A", name("Default") + name("US title", "en-US") + name("Titre", "fr-FR")) + product(
        "B", name("Default only") + name("Titre B", "fr-FR")
    )
    rows = feed(tmp_path, products, prices={"A": "1", "B": "1"})
    assert (rows["A"]["title"], rows["B"]["title"]) == ("US title", "Default only")
    rows = feed(tmp_path, products, prices={"A": "1", "B": "1"}, locale="fr_FR")
    assert (rows["A"]["title"], rows["B"]["sale_regions"]) == ("Titre", "FR")


def test_description_strips_tags_keeps_entities_and_falls_back(tmp_path: Path) -> None:
    products = (
        product(
            "SHORT",
            '<short-description xml:lang="x-default">&lt;p&gt;Soft &amp;amp; warm&lt;/p&gt;'
            '</short-description><long-description xml:lang="x-default">Long</long-description>',
        )
        + product(
            "LONG",
            '<long-description xml:lang="x-default"><![CDATA[<b>Bold</b> &amp; more]]></long-description>',
        )
        + product("NAME", name("Just a name"))
        + product("BARE")
    )
    rows = feed(tmp_path, products, prices={p: "1" for p in ("SHORT", "LONG", "NAME", "BARE")})
    assert {sku: row["description"] for sku, row in rows.items()} == {
        "SHORT": "Soft &amp; warm",
        "LONG": "Bold &amp; more",
        "NAME": "Just a name",
        "BARE": "BARE",
    }


def test_category_comes_from_the_storefront_catalog_primary_first(tmp_path: Path) -> None:
    storefront = (
        '<category-assignment category-id="first" product-id="M"/>'
        '<category-assignment category-id="main" product-id="M"><primary-flag>true</primary-flag>'
        '</category-assignment><category-assignment category-id="old" product-id="S"/>'
        '<category-assignment category-id="gone" product-id="T" mode="delete"/>'
    )
    delta = (
        '<category-assignment category-id="old" product-id="S" mode="delete"/>'
        '<category-assignment category-id="only" product-id="S"/>'
    )
    rows = feed(
        tmp_path,
        master("M", ["V"]) + product("V") + product("S") + product("T"),
        prices={"M": "1", "S": "1", "T": "1"},
        extra_catalogs=(storefront, delta),
        assign=False,
    )
    # T's only assignment was deleted: it is no longer a site product, so it gets no row at all.
    assert {sku: row["product_category"] for sku, row in rows.items()} == {"V": "main", "S": "only"}


def test_availability_follows_the_masters_stock(tmp_path: Path) -> None:
    products = (
        master("M", ["A", "B"])
        + product("A")
        + product("B")
        + master("N", ["C"])
        + product("C")
        + product("P")
        + product("Z")
        + product("NOREC")
    )
    stock = inventory(
        {
            "A": "<allocation>0</allocation><ats>0</ats>",
            "B": "<allocation>3</allocation><ats>3</ats>",
            "C": "<allocation>0</allocation><ats>0</ats>",
            "P": "<allocation>0</allocation><perpetual>true</perpetual>",
            "Z": "<allocation>0</allocation><perpetual>false</perpetual>",
        }
    )
    rows = feed(tmp_path, products, prices={p: "1" for p in ("M", "N", "P", "Z", "NOREC")}, stock=stock)
    assert {sku: row["availability"] for sku, row in rows.items()} == {
        "A": "in stock",
        "B": "in stock",
        "C": "out of stock",
        "P": "in stock",
        "Z": "out of stock",
        "NOREC": "out of stock",
    }


def test_list_default_instock_and_no_inventory_mean_in_stock(tmp_path: Path) -> None:
    rows = feed(
        tmp_path, product("NOREC"), prices={"NOREC": "1"}, stock=inventory({}, default_instock="true")
    )
    assert rows["NOREC"]["availability"] == "in stock"
    rows = feed(tmp_path, product("NOREC"), prices={"NOREC": "1"})
    assert rows["NOREC"]["availability"] == "in stock"


def test_brand_falls_back_to_manufacturer_sku_then_site_and_condition_to_new(tmp_path: Path) -> None:
    products = product(
        "A", "<manufacturer-sku>MSKU-1</manufacturer-sku>" + values(condition="refurbished")
    ) + product("B")
    rows = feed(tmp_path, products, prices={"A": "1", "B": "1"})
    assert (rows["A"]["brand"], rows["A"]["condition"]) == ("MSKU-1", "refurbished")
    assert (rows["B"]["brand"], rows["B"]["condition"]) == ("RefArch", "new")


def test_deleted_products_are_reported_and_get_no_row(tmp_path: Path) -> None:
    inputs = SiteInputs(
        (write(tmp_path, "c.xml", catalog(product("KEEP") + '<product product-id="GONE" mode="delete"/>'
                                      '<category-assignment category-id="all" product-id="KEEP"/>')),),
        (write(tmp_path, "b.xml", pricebook({"KEEP": "1", "GONE": "1"})),),
        (),
        "RefArch",
    )
    with scan_site(inputs, NOW) as scan:
        assert [row[0] for row in scan.rows()] == ["KEEP"]
        assert scan.deleted_ids == frozenset({"GONE"})
