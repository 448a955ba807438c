"""Apply the rule catalog to feed rows and product groups: the one engine for review and `check`.

Each rule code in `catalog.RULES` that looks at feed values has one small check function here, in a
table keyed by that code. A check returns the offending value (what the report shows) or None. The
engine runs only the checks whose rule applies to the region, so a region limit is data, not an `if`.
Streaming (`FeedChecker`) and per-product (`check_group`) checking share the same per-group state
object, so the review and `tiktok-sim check` cannot disagree.
"""

from __future__ import annotations

import json
import re
import sys
from array import array
from bisect import bisect_left, insort
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Generic, TypeVar

from simulator.rules.catalog import Rule, rule
from simulator.rules.countries import ISO_COUNTRIES
from simulator.rules.issues import Issue, make_issue
from simulator.rules.profiles import Profile
from simulator.rules.record import FeedRecord, group_key, parse_price
from simulator.skuindex import SkuIndex

T = TypeVar("T")


def applies(found: Rule, profile: Profile) -> bool:
    return not found.regions or profile.region in found.regions


# --- one row -----------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200D]")
_PROMO = re.compile(
    r"\b(free\s+shipping|free\s+delivery|best\s+price|lowest\s+price|cheapest|on\s+sale|sale|"
    r"discount(?:ed)?|clearance|buy\s+now|limited\s+time|hot\s+deal|best\s*seller)\b|\d+\s*%\s*off\b",
    re.IGNORECASE,
)
_IMAGE_TYPES = (".jpg", ".jpeg", ".png", ".webp")
_ABSOLUTE_URL = re.compile(r"https?://[^\s/?#@:]+(?::\d+)?(?:[/?#]\S*)?", re.IGNORECASE)
AVAILABILITY = frozenset({"in stock", "out of stock", "available for order", "preorder", "discontinued"})
CONDITIONS = frozenset({"new", "refurbished", "used"})
DEFAULT_FLAGS = frozenset({"true", "false", ""})


@lru_cache(maxsize=1 << 14)  # a master's variants repeat its image URLs
def is_absolute_url(url: str) -> bool:
    """An http(s) URL with a host and no whitespace: something TikTok can fetch."""
    return _ABSOLUTE_URL.fullmatch(url) is not None


def _url_path(url: str) -> str:
    return url.split("#", 1)[0].split("?", 1)[0]


def undo_cartridge_escaping(text: str) -> str:
    """The cartridge rewrites each JSON `\\"` as `\\\\"` in variation_properties; turn it back."""
    return text.replace('\\\\"', '\\"')


@lru_cache(maxsize=1 << 14)  # a master's variants repeat its image_urls value: parse it once
def _parse_images(text: str) -> tuple[str, ...] | None:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # a deeply nested value must not crash the check
        return None
    images = data.get("images") if isinstance(data, dict) else None
    if not isinstance(images, list) or not all(isinstance(url, str) for url in images):
        return None
    return tuple(images)


@lru_cache(maxsize=1 << 12)  # few distinct variation values; the shared dict is never modified
def _parse_properties(text: str) -> dict[str, str] | None:
    try:
        data = json.loads(undo_cartridge_escaping(text))
    except (ValueError, RecursionError):  # a deeply nested value must not crash the check
        return None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        return None
    return data


class _once(Generic[T]):  # noqa: N801 (a decorator, named like the cached_property it stands for)
    """`functools.cached_property` without its lock (Python 3.11 takes one on every first access, a third of
    a row's group checks): a Row is only ever used by the thread that made it."""

    def __init__(self, compute: Callable[[Row], T]) -> None:
        self.compute = compute
        self.name = compute.__name__

    def __get__(self, row: Row, owner: type | None = None) -> T:
        value = row.__dict__[self.name] = self.compute(row)  # found there from now on: no __set__ here
        return value


class Row:
    """A record's values with the parsed views the checks share, each parsed once per distinct value."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def get(self, column: str) -> str:
        return self.values.get(column, "")

    @_once
    def images(self) -> tuple[str, ...] | None:
        return _parse_images(self.get("image_urls"))

    @_once
    def properties(self) -> dict[str, str] | None:
        return _parse_properties(self.get("variation_properties"))

    @_once
    def combination(self) -> int:
        """A hash of the variation values, order-free; only meaningful when `properties` is valid."""
        return hash(frozenset((self.properties or {}).items()))

    @_once
    def price(self) -> tuple[Decimal, str] | None:
        parsed = parse_price(self.get("price"))
        return None if parsed is None else (Decimal(parsed[0]), parsed[1])


RowCheck = Callable[[Row, Profile], "str | None"]
ROW_CHECKS: dict[str, RowCheck] = {}


def _row_check(code: str) -> Callable[[RowCheck], RowCheck]:
    def register(check: RowCheck) -> RowCheck:
        rule(code)  # fail at import on a code the catalog does not know
        ROW_CHECKS[code] = check
        return check
    return register


def _empty(column: str) -> RowCheck:
    return lambda row, _profile: "" if not row.get(column).strip() else None


def _not_in(column: str, allowed: frozenset[str]) -> RowCheck:
    return lambda row, _profile: None if row.get(column) in allowed else row.get(column)


def _longer(column: str, limit: Callable[[Profile], int]) -> RowCheck:
    def check(row: Row, profile: Profile) -> str | None:
        value = row.get(column)
        return value if len(value) > limit(profile) else None
    return check


for _code, _column in (("SKU_ID_MISSING", "sku_id"), ("ITEM_GROUP_ID_MISSING", "item_group_id"),
                       ("TITLE_MISSING", "title"), ("DESCRIPTION_MISSING", "description"),
                       ("PRODUCT_CATEGORY_MISSING", "product_category"), ("BRAND_MISSING", "brand")):
    _row_check(_code)(_empty(_column))
_row_check("SKU_ID_TOO_LONG")(_longer("sku_id", lambda p: p.sku_id_max))
_row_check("TITLE_TOO_LONG")(_longer("title", lambda p: p.title_max))
_row_check("DESCRIPTION_TOO_LONG")(_longer("description", lambda p: p.description_max))
_row_check("AVAILABILITY_INVALID")(_not_in("availability", AVAILABILITY))
_row_check("IS_DEFAULT_VARIANT_INVALID")(_not_in("is_default_variant", DEFAULT_FLAGS))
_row_check("CONDITION_INVALID")(_not_in("condition", CONDITIONS))


@_row_check("TITLE_TOO_SHORT")
def _title_short(row: Row, profile: Profile) -> str | None:
    title = row.get("title")
    return title if title.strip() and len(title) < profile.title_min else None


@_row_check("TITLE_CONTROL_CHARS")
def _title_control(row: Row, _profile: Profile) -> str | None:
    return row.get("title") if _CONTROL.search(row.get("title")) else None


@_row_check("TITLE_EMOJI")
def _title_emoji(row: Row, _profile: Profile) -> str | None:
    return row.get("title") if _EMOJI.search(row.get("title")) else None


@_row_check("TITLE_PROMOTIONAL")
def _title_promotional(row: Row, _profile: Profile) -> str | None:
    found = _PROMO.search(row.get("title"))
    return found.group(0) if found else None


@_row_check("IMAGE_URLS_INVALID")
def _images_invalid(row: Row, _profile: Profile) -> str | None:
    return row.get("image_urls") if row.images is None else None


@_row_check("IMAGE_URLS_NONE")
def _images_none(row: Row, _profile: Profile) -> str | None:
    return row.get("image_urls") if row.images == () else None


@_row_check("IMAGE_URLS_TOO_MANY")
def _images_too_many(row: Row, profile: Profile) -> str | None:
    count = len(row.images or ())
    return f"{count} images" if count > profile.images_max else None


@_row_check("IMAGE_URL_NOT_ABSOLUTE")
def _image_not_absolute(row: Row, _profile: Profile) -> str | None:
    return next((url for url in row.images or () if not is_absolute_url(url)), None)


@_row_check("IMAGE_URL_FILE_TYPE")
def _image_type(row: Row, _profile: Profile) -> str | None:
    return next((url for url in row.images or () if is_absolute_url(url)
                 and not _url_path(url).lower().endswith(_IMAGE_TYPES)), None)


@_row_check("LANDING_PAGE_URL_INVALID")
def _landing_page(row: Row, _profile: Profile) -> str | None:
    url = row.get("landing_page_url")
    return None if is_absolute_url(url) else url


@_row_check("SALE_REGIONS_INVALID")
def _region_invalid(row: Row, _profile: Profile) -> str | None:
    region = row.get("sale_regions")
    return None if region in ISO_COUNTRIES else region


@_row_check("SALE_REGIONS_OTHER_REGION")
def _region_other(row: Row, profile: Profile) -> str | None:
    region = row.get("sale_regions")
    return region if region in ISO_COUNTRIES and region != profile.country else None


@_row_check("PRICE_MISSING")
def _price_missing(row: Row, _profile: Profile) -> str | None:
    return "" if not row.get("price") else None


@_row_check("PRICE_FORMAT")
def _price_format(row: Row, _profile: Profile) -> str | None:
    return row.get("price") if row.get("price") and row.price is None else None


@_row_check("PRICE_CURRENCY")
def _price_currency(row: Row, profile: Profile) -> str | None:
    return row.get("price") if row.price and row.price[1] != profile.currency else None


@_row_check("PRICE_OUT_OF_RANGE")
def _price_range(row: Row, profile: Profile) -> str | None:
    if row.price is None or row.price[1] != profile.currency:
        return None
    return None if profile.price_min <= row.price[0] <= profile.price_max else row.get("price")


@_row_check("VARIATION_PROPERTIES_INVALID")
def _properties_invalid(row: Row, _profile: Profile) -> str | None:
    return row.get("variation_properties") if row.properties is None else None


@_row_check("VARIATION_PROPERTY_NAME_LENGTH")
def _property_name(row: Row, profile: Profile) -> str | None:
    return next((name for name in row.properties or {}
                 if not 1 <= len(name) <= profile.property_name_max), None)


@_row_check("VARIATION_PROPERTY_VALUE_TOO_LONG")
def _property_value(row: Row, profile: Profile) -> str | None:
    return next((value for value in (row.properties or {}).values()
                 if len(value) > profile.property_value_max), None)


# Every row rule reads one column, its catalog `field`, so its findings depend on that value alone, and a
# value is checked once for as long as it is remembered. How many distinct values of a column are
# remembered: most columns repeat across rows (a master's title, images and price; regions, brands), up to
# _REMEMBERED values each. `description` repeats within a product (its variants share it) but may be 10,000
# characters long: only the last one is kept. `sku_id` and `landing_page_url` differ on every row, so a
# cache would only miss: they are checked every time.
_REMEMBERED = 1 << 14
_REMEMBER = {"sku_id": 0, "landing_page_url": 0, "description": 1}
Finding = tuple[int, str, str]  # (the check's place in ROW_CHECKS, rule code, offending value)


def _check_row(record: FeedRecord, profile: Profile) -> tuple[Row, list[Issue]]:
    values = record.values
    row = Row(values)
    rules = _rules_for(profile)
    findings: list[Finding] = []
    for column, remembered, limit in rules.columns:
        if remembered is None:
            found = rules.findings(column, row)
        elif (found := remembered.get(value := values.get(column, ""))) is None:  # type: ignore[assignment]
            found = rules.findings(column, row)
            if len(remembered) >= limit:  # forgetting all at once keeps this a plain dict lookup
                remembered.clear()
            remembered[value] = found
        if found:
            findings += found
    if not findings:
        return row, []
    findings.sort()  # the order the rules are registered in, whatever the column
    issues = [make_issue(code, line=record.line, sku_id=record.sku_id, item_group_id=record.item_group_id,
                         value=value) for _, code, value in findings]
    return row, issues


# --- one product group ----------------------------------------------------------------------------------

class _Group:
    """What a product's group rules need to remember: small facts, not the rows themselves.

    A streaming check holds one per product of a 1M-row feed, so nothing is allocated before it is needed:
    the combinations are a sorted array of 8-byte hashes (a set costs five times as much), property name
    sets, brand and category are shared between products, and of the default variants only the count and
    the SKU a DEFAULT_VARIANT_COUNT issue would point at are kept.
    """

    __slots__ = ("key", "profile", "rules", "count", "names", "union", "combos", "defaults", "pointer",
                 "brand", "category", "issues")

    def __init__(self, key: str, profile: Profile) -> None:
        self.key = key
        self.profile = profile
        self.rules = _rules_for(profile)
        self.count = 0
        self.names: frozenset[str] | None = None
        self.union: frozenset[str] = frozenset()
        self.combos: array | None = None  # hashes of the value combinations, ascending
        self.defaults = 0
        self.pointer: tuple[int, str] | None = None  # the first SKU while no default, then the second default
        self.brand: str | None = None
        self.category: str | None = None
        self.issues: list[Issue] | None = None

    def has_combination(self, combination: int) -> bool:
        if self.combos is None:
            return False
        index = bisect_left(self.combos, combination)
        return index < len(self.combos) and self.combos[index] == combination

    def add(self, record: FeedRecord, row: Row) -> None:
        self.count += 1
        for code, check in self.rules.add_checks:
            value = check(self, row)
            if value is not None:
                self.issues = self.issues or []
                self.issues.append(make_issue(code, line=record.line, sku_id=record.sku_id,
                                              item_group_id=self.key, value=value))
        if row.properties is not None:
            self._add_properties(row)
        if row.get("is_default_variant") == "true":
            self.defaults += 1
            if self.defaults <= 2:
                self.pointer = (record.line, record.sku_id) if self.defaults == 2 else None
        elif self.count == 1:
            self.pointer = (record.line, record.sku_id)
        if self.brand is None:
            self.brand = sys.intern(row.get("brand"))
            self.category = sys.intern(row.get("product_category"))

    def _add_properties(self, row: Row) -> None:
        names = _shared(frozenset(row.properties or ()))
        if self.names is None:
            self.names = self.union = names
        elif not names <= self.union:
            self.union = _shared(self.union | names)
        if self.combos is None:
            self.combos = array("q")
        if not self.has_combination(row.combination):
            insort(self.combos, row.combination)

    def finish(self) -> list[Issue]:
        issues = list(self.issues or ())
        for code, check in self.rules.finish_checks:
            found = check(self)
            if found is not None:
                (line, sku_id), value = found
                issues.append(make_issue(code, line=line, sku_id=sku_id, item_group_id=self.key, value=value))
        return issues


@lru_cache(maxsize=1024)
def _shared(names: frozenset[str]) -> frozenset[str]:
    """One object for equal property name sets: most products of a feed share theirs (Color, Size)."""
    return names


GroupAddCheck = Callable[[_Group, Row], "str | None"]
GroupFinishCheck = Callable[[_Group], "tuple[tuple[int, str], str] | None"]
GROUP_ADD_CHECKS: dict[str, GroupAddCheck] = {
    # run before the row is folded into the group's facts, so "differs from the first SKU" works
    "GROUP_TOO_MANY_SKUS": lambda g, _row: f"{g.count} SKUs" if g.count == g.profile.max_skus + 1 else None,
    "GROUP_TOO_MANY_PROPERTIES": lambda g, row: (
        ", ".join(sorted(g.union | set(row.properties)))
        if row.properties is not None and len(g.union) <= g.profile.properties_max
        < len(g.union | set(row.properties)) else None),
    "GROUP_PROPERTY_NAMES_DIFFER": lambda g, row: (
        ", ".join(row.properties) or "(none)"
        if row.properties is not None and g.names is not None and frozenset(row.properties) != g.names
        else None),
    "GROUP_DUPLICATE_COMBINATION": lambda g, row: (
        json.dumps(row.properties, ensure_ascii=False)
        if row.properties is not None and g.has_combination(row.combination) else None),
    "GROUP_BRAND_INCONSISTENT": lambda g, row: (
        row.get("brand") if g.brand is not None and row.get("brand") != g.brand else None),
    "GROUP_CATEGORY_INCONSISTENT": lambda g, row: (
        row.get("product_category")
        if g.category is not None and row.get("product_category") != g.category else None),
}
GROUP_FINISH_CHECKS: dict[str, GroupFinishCheck] = {
    # the second default is the one to fix; with none, point at the product's first SKU
    "GROUP_DEFAULT_VARIANT_COUNT": lambda g: (
        None if g.defaults == 1 or g.pointer is None else (g.pointer, f"{g.defaults} default variants")),
}


class _Rules:
    """The checks that apply to one profile, looked up once: hashing the frozen Profile on every row and
    check (as a cache key) cost more than the checks themselves."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        by_column: dict[str, list[tuple[int, str, RowCheck]]] = {}
        for index, (code, check) in enumerate(ROW_CHECKS.items()):
            found = rule(code)
            if applies(found, profile):
                by_column.setdefault(found.field, []).append((index, code, check))
        self.row_checks = {column: tuple(checks) for column, checks in by_column.items()}
        self.add_checks = tuple((c, f) for c, f in GROUP_ADD_CHECKS.items() if applies(rule(c), profile))
        self.finish_checks = tuple(
            (c, f) for c, f in GROUP_FINISH_CHECKS.items() if applies(rule(c), profile)
        )
        # per column: its row checks' findings by value (None: not remembered), and how many it keeps
        limits = {column: _REMEMBER.get(column, _REMEMBERED) for column in self.row_checks}
        self.columns = tuple((column, {} if limit else None, limit) for column, limit in limits.items())

    def findings(self, column: str, row: Row) -> tuple[Finding, ...]:
        """What the row checks of `column` find in the row: they read that column only, so this depends on
        its value alone."""
        found: list[Finding] = []
        for index, code, check in self.row_checks[column]:
            if (offending := check(row, self.profile)) is not None:
                found.append((index, code, offending))
        return tuple(found)


_RULES: dict[int, _Rules] = {}


def _rules_for(profile: Profile) -> _Rules:
    """Per profile object, by identity; the entry keeps its profile alive, so the id is not reused."""
    rules = _RULES.get(id(profile))
    if rules is None or rules.profile is not profile:
        rules = _RULES[id(profile)] = _Rules(profile)
    return rules


def _by_line(issue: Issue) -> tuple[int, str]:
    return (issue.line or 0, issue.code)


def check_group(records: Sequence[FeedRecord], profile: Profile) -> list[Issue]:
    """Row rules for each record, then group rules for the product; records share one item_group_id."""
    issues: list[Issue] = []
    groups: dict[str, _Group] = {}
    for record in records:
        row, found = _check_row(record, profile)
        issues += found
        key = group_key(record)
        groups.setdefault(key, _Group(key, profile)).add(record, row)
    for group in groups.values():
        issues += group.finish()
    return issues


class FeedChecker:
    """Streaming check of one product feed: memory holds per-SKU digests and per-product facts only."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self._seen = SkuIndex()
        self._groups: dict[str, _Group] = {}

    def add(self, record: FeedRecord) -> list[Issue]:
        """Row rules for this record, plus SKU_ID_DUPLICATE; a repeated SKU is kept out of its group."""
        row, issues = _check_row(record, self.profile)
        sku_id = record.sku_id
        if not self._seen.add(sku_id) and sku_id:
            issues.append(make_issue("SKU_ID_DUPLICATE", line=record.line, sku_id=sku_id,
                                     item_group_id=record.item_group_id, value=sku_id))
            return issues
        key = group_key(record)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group(key, self.profile)
        group.add(record, row)
        return issues

    def finish(self) -> list[Issue]:
        """Group rules for every product seen, in line order."""
        issues = [issue for group in self._groups.values() for issue in group.finish()]
        return sorted(issues, key=_by_line)
