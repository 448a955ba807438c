"""Read SFCC catalog exports as a stream of small per-product records.

One pass, constant memory: each top-level `product`, `variation-attribute` and
`category-assignment` is turned into a plain record and its element is freed before the next one
is parsed. Localised values are resolved here (feed locale, then its language, then `x-default`)
and so is the site's online status, so later stages only keep what the feed needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from lxml import etree

from connector.records import (
    TRUE_TEXTS,
    in_window,
    iter_records,
    local,
    parse_bool,
    parse_datetime,
    release,
    required_attribute,
    tag_codes,
    text_of,
)
from connector.xmlsafe import Readable, open_iterparse

CATALOG_NS = "http://www.demandware.com/xml/impex/catalog/2006-10-31"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_MAX_VALUE_LENGTH = 256  # variation values and `condition` are short; long custom texts are not kept


def locale_chain(locale: str) -> tuple[str, ...]:
    """xml:lang values to try for a feed locale: `en_US` -> `en-US`, `en`, `x-default`."""
    if locale in ("", "default", "x-default"):
        return ("x-default",)
    language = locale.split("_")[0]
    chain = [locale.replace("_", "-")]
    if language != chain[0]:
        chain.append(language)
    return (*chain, "x-default")


@dataclass(frozen=True, slots=True)
class ImageGroup:
    """A `large` image group; `match` holds (attribute-id, value), attribute "" for `variation-value`."""

    match: tuple[tuple[str, str], ...]
    paths: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class VariationAttribute:
    """A variation attribute: product attribute ID, localised name, value -> display value.

    `values` is None for a `shared-variation-attribute` reference, resolved later against the
    catalog-level definition with the same `variation_attribute_id`.
    """

    attribute_id: str
    variation_attribute_id: str
    display_name: str
    values: tuple[tuple[str, str], ...] | None


@dataclass(slots=True)
class Product:
    """What the feed needs of one `product` element."""

    product_id: str
    line: int
    deleted: bool = False
    is_master: bool = False
    is_set: bool = False
    online: bool = False
    name: str = ""
    short_description: str = ""
    long_description: str = ""
    brand: str = ""
    manufacturer_sku: str = ""
    images: list[ImageGroup] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)
    attributes: list[VariationAttribute] = field(default_factory=list)
    variants: list[tuple[str, bool]] = field(default_factory=list)
    variation_groups: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CategoryAssignment:
    product_id: str
    category_id: str
    primary: bool
    deleted: bool


@dataclass(frozen=True)
class CatalogContext:
    """The feed's site, locale and clock, which decide online status and localised values."""

    site_id: str
    locale: str
    now: datetime

    @property
    def chain(self) -> tuple[str, ...]:
        return locale_chain(self.locale)


CatalogRecord = Product | VariationAttribute | CategoryAssignment


def read_catalog(
    path: Path, context: CatalogContext, source: AbstractContextManager[Readable] | None = None
) -> Iterator[CatalogRecord]:
    """Stream the products, shared variation attributes and category assignments of one catalog (or of
    `source`, a part of it: connector/split.py)."""
    reader = _CatalogReader(path, context)
    names = ("product", "variation-attribute", "category-assignment")  # `_RECORD` 0, 1, else
    for element in iter_records(path, CATALOG_NS, "catalog", names, source):
        parent = element.getparent()
        if parent is None or _CATALOG(parent.tag) < 0:
            continue  # a product's own variation attribute: read with its product
        code = _RECORD(element.tag)
        if code == 0:
            yield reader.product(element)
        elif code == 1:
            yield reader.variation_attribute(element)
        else:
            yield reader.assignment(element)
        release(element)


def catalog_id(path: Path) -> str:
    """The root's `catalog-id`: files with the same ID (a full export, a delta import) are one catalog.

    Reads the first element only; call it after `read_catalog`, which tells a file that is no catalog.
    """
    events = open_iterparse(path, events=("start",))
    try:
        _, root = next(events)
    finally:
        events.close()
    return required_attribute(path, root, "catalog-id")


# A product's children by name: 0-2 the localised texts, 3-5 the site's online flag and window (each a slot of
# the best-value lists in `_CatalogReader.product`), then the rest.
_PRODUCT_CHILD = tag_codes({
    "display-name": 0, "short-description": 1, "long-description": 2,
    "online-flag": 3, "online-from": 4, "online-to": 5,
    "custom-attributes": 6, "images": 7, "brand": 8, "manufacturer-sku": 9, "product-set-products": 10,
    "variations": 11,
})
_ONLINE_FLAG = 3
_CATALOG, _RECORD = tag_codes({"catalog": 0}), tag_codes({"product": 0, "variation-attribute": 1})
_CUSTOM_ATTRIBUTE = tag_codes({"custom-attribute": 1})
_DISPLAY_NAME, _DISPLAY_VALUE = f"{{{CATALOG_NS}}}display-name", f"{{{CATALOG_NS}}}display-value"
_VALUES, _VALUE = f"{{{CATALOG_NS}}}variation-attribute-values", f"{{{CATALOG_NS}}}variation-attribute-value"


class _CatalogReader:
    """Turns catalog elements into records for one file and one site/locale."""

    def __init__(self, path: Path, context: CatalogContext) -> None:
        self.path, self.site_id, self.now = path, context.site_id, context.now
        self.rank: dict[str, int] = {}  # xml:lang -> position in the locale chain (lower wins)
        for index, lang in enumerate(context.chain):
            self.rank.setdefault(lang, index)

    def product(self, element: etree._Element) -> Product:
        """One product; the hot loop of a scan, so best values are tracked in flat lists by slot."""
        product = Product(required_attribute(self.path, element, "product-id"), element.sourceline or 0)
        if element.get("mode") == "delete":
            product.deleted = True
            return product
        path, site_id, rank_of = self.path, self.site_id, self.rank.get
        texts, text_ranks = ["", "", ""], [99, 99, 99]
        window: list[object] = [None, None, None]
        window_ranks = [99, 99, 99]
        for child in element:
            code = _PRODUCT_CHILD(child.tag)
            if code < 0:
                continue
            if code < _ONLINE_FLAG:
                rank = rank_of(child.get(_XML_LANG) or "x-default", 99)
                if rank < text_ranks[code]:
                    text_ranks[code], texts[code] = rank, child.text or ""
            elif code < 6:
                slot = code - _ONLINE_FLAG
                value = parse_bool(path, child) if slot == 0 else parse_datetime(path, child)
                site = child.get("site-id")
                rank = 0 if site == site_id else 1 if site is None else 99
                if rank < window_ranks[slot]:
                    window_ranks[slot], window[slot] = rank, value
            elif code == 6:
                product.values = self._custom_values(child)
            elif code == 7:
                product.images = self._images(child)
            elif code == 8:
                product.brand = text_of(child)
            elif code == 9:
                product.manufacturer_sku = text_of(child)
            elif code == 10:
                product.is_set = len(child) > 0
            else:
                self._variations(child, product)
        product.name, product.short_description, product.long_description = texts
        flag, start, end = window
        product.online = flag is True and in_window(start, end, self.now)  # type: ignore[arg-type]
        return product

    def _images(self, images: etree._Element) -> list[ImageGroup]:
        groups = []
        for group in images:
            if local(group.tag) != "image-group" or group.get("view-type") != "large":
                continue
            match: list[tuple[str, str]] = []
            paths: list[str] = []
            if group.get("variation-value"):
                match.append(("", group.get("variation-value", "")))
            for child in group:
                tag = local(child.tag)
                if tag == "variation":
                    match.append((child.get("attribute-id", ""), child.get("value", "")))
                elif tag == "image":
                    paths.append(required_attribute(self.path, child, "path"))
            groups.append(ImageGroup(tuple(match), tuple(paths)))
        return groups

    def _custom_values(self, attributes: etree._Element) -> dict[str, str]:
        best: dict[str, tuple[int, str]] = {}
        site_id, rank_of = self.site_id, self.rank.get
        for attribute in attributes:
            if _CUSTOM_ATTRIBUTE(attribute.tag) < 0:
                continue
            site = attribute.get("site-id")
            if site is not None and site != site_id:
                continue
            lang_rank = rank_of(attribute.get(_XML_LANG) or "x-default")
            if lang_rank is None:
                continue
            value = attribute.text or ""
            if not value.strip() and len(attribute):
                value = attribute[0].text or ""
            if len(value) > _MAX_VALUE_LENGTH:
                continue
            rank = lang_rank * 2 + (0 if site else 1)
            key = attribute.get("attribute-id", "")
            known = best.get(key)
            if known is None or rank < known[0]:
                best[key] = (rank, value)
        return {key: value for key, (_, value) in best.items()}

    def _variations(self, variations: etree._Element, product: Product) -> None:
        for part in variations:
            tag = local(part.tag)
            if tag == "attributes":
                product.attributes.extend(
                    self.variation_attribute(item)
                    for item in part
                    if local(item.tag) in ("variation-attribute", "shared-variation-attribute")
                )
            elif tag == "variants":
                for variant in part:
                    if local(variant.tag) == "variant":
                        variant_id = required_attribute(self.path, variant, "product-id")
                        product.variants.append((variant_id, variant.get("default") in TRUE_TEXTS))
            elif tag == "variation-groups":
                product.variation_groups.extend(
                    required_attribute(self.path, group, "product-id")
                    for group in part
                    if local(group.tag) == "variation-group"
                )
        product.is_master = bool(product.attributes or product.variants or product.variation_groups)

    def variation_attribute(self, element: etree._Element) -> VariationAttribute:
        """A product's or the catalog's `variation-attribute`, or a `shared-variation-attribute`."""
        values: dict[str, str] | None = None
        if local(element.tag) != "shared-variation-attribute":
            values = {}
            for group in element.iterchildren(_VALUES):
                for value in group.iterchildren(_VALUE):
                    key = required_attribute(self.path, value, "value")
                    values[key] = self._localised(value.iterchildren(_DISPLAY_VALUE)) or key
        return VariationAttribute(
            attribute_id=required_attribute(self.path, element, "attribute-id"),
            variation_attribute_id=required_attribute(self.path, element, "variation-attribute-id"),
            display_name=self._localised(element.iterchildren(_DISPLAY_NAME)),
            values=None if values is None else tuple(values.items()),
        )

    def _localised(self, elements: Iterable[etree._Element]) -> str:
        """The text of the element whose `xml:lang` comes first in the locale chain ("" if none)."""
        best_rank, best, rank_of = 99, "", self.rank.get
        for element in elements:
            rank = rank_of(element.get(_XML_LANG) or "x-default", 99)
            if rank < best_rank:
                best_rank, best = rank, element.text or ""
        return best

    def assignment(self, element: etree._Element) -> CategoryAssignment:
        primary = False
        for child in element:
            if local(child.tag) == "primary-flag":
                primary = parse_bool(self.path, child) is True
        return CategoryAssignment(
            product_id=required_attribute(self.path, element, "product-id"),
            category_id=required_attribute(self.path, element, "category-id"),
            primary=primary,
            deleted=element.get("mode") == "delete",
        )
